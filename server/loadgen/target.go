package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// resolveTimeout bounds the lookup of a target's host name: a load generator
// must fail fast rather than hang on a broken resolver.
const resolveTimeout = 3 * time.Second

// errNotLoopback is wrapped by every refusal of a target, so that callers and
// tests can tell it from other errors.
var errNotLoopback = errors.New("not a loopback address")

// checkTarget parses a base URL (http or https) and refuses it unless every
// address its host stands for is a loopback one (127.0.0.0/8, ::1,
// localhost): this tool floods whatever it is pointed at, so it only ever
// points at this machine. It returns the URL with the host replaced by the
// loopback IP it resolved to, so that a DNS answer changing later cannot send
// the load elsewhere.
func checkTarget(ctx context.Context, raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("target %q: the scheme must be http or https (the websocket URL is derived from it)", raw)
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("target %q: no host", raw)
	}
	ip, err := resolveLoopback(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", raw, err)
	}
	out := *u
	out.Path = strings.TrimRight(u.Path, "/")
	out.RawQuery, out.Fragment = "", ""
	if port := u.Port(); port != "" {
		out.Host = net.JoinHostPort(ip.String(), port)
	} else if ip.To4() == nil {
		out.Host = "[" + ip.String() + "]"
	} else {
		out.Host = ip.String()
	}
	return &out, nil
}

// resolveLoopback returns the loopback IP host stands for, or an error
// wrapping errNotLoopback when it is, or may be, anything else.
func resolveLoopback(ctx context.Context, host string) (net.IP, error) {
	if ip := net.ParseIP(strings.SplitN(host, "%", 2)[0]); ip != nil {
		if !ip.IsLoopback() {
			return nil, fmt.Errorf("%s is %w: this tool only loads a server on this machine (127.0.0.0/8, ::1, localhost)", host, errNotLoopback)
		}
		return ip, nil
	}
	// RFC 6761: localhost is loopback whatever /etc/hosts says.
	if h := strings.ToLower(strings.TrimSuffix(host, ".")); h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return net.IPv4(127, 0, 0, 1), nil
	}
	ctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("%s could not be resolved (%v), so it is refused as %w", host, err, errNotLoopback)
	}
	var first net.IP
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return nil, fmt.Errorf("%s resolves to %s, %w: this tool only loads a server on this machine", host, a.IP, errNotLoopback)
		}
		if first == nil || first.To4() == nil && a.IP.To4() != nil {
			first = a.IP // prefer IPv4, as the server's default listener
		}
	}
	if first == nil {
		return nil, fmt.Errorf("%s resolves to no address, %w", host, errNotLoopback)
	}
	return first, nil
}

// loopbackDialer dials like net.Dialer but refuses, at the socket, any
// address that is not loopback: the check above cannot be bypassed by a
// redirect or a proxy setting.
func loopbackDialer() *net.Dialer {
	return &net.Dialer{
		Timeout:   10 * time.Second, // a loopback connect that takes this long will not come
		KeepAlive: -1,               // websocket pings do this job; keep-alive probes are noise
		Control: func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("dial %s: %w", address, errNotLoopback)
			}
			return nil
		},
	}
}

// wsURL turns a base http(s) URL into the websocket endpoint.
func wsURL(base *url.URL) string {
	u := *base
	if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	u.Path += "/ws"
	return u.String()
}
