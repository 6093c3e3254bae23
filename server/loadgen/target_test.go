package main

import (
	"context"
	"errors"
	"testing"
)

func TestCheckTarget(t *testing.T) {
	for _, tc := range []struct {
		url  string
		ok   bool
		host string // the host the URL is rewritten to
	}{
		{"http://127.0.0.1:8080", true, "127.0.0.1:8080"},
		{"http://127.42.0.9:18181/", true, "127.42.0.9:18181"},
		{"http://localhost:8080", true, "127.0.0.1:8080"},
		{"http://LOCALHOST.:8080", true, "127.0.0.1:8080"},
		{"http://[::1]:8080", true, "[::1]:8080"},
		{"https://[::1]", true, "[::1]"},
		{"http://10.0.0.1:8080", false, ""},
		{"http://192.168.1.1", false, ""},
		{"http://example.com", false, ""},
		{"http://0.0.0.0:8080", false, ""},
		{"http://[::ffff:10.0.0.1]:8080", false, ""},
		{"http://8.8.8.8", false, ""},
	} {
		u, err := checkTarget(context.Background(), tc.url)
		if tc.ok {
			if err != nil {
				t.Errorf("%s refused: %v", tc.url, err)
			} else if u.Host != tc.host {
				t.Errorf("%s rewritten to host %q, want %q", tc.url, u.Host, tc.host)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s accepted, want refused", tc.url)
		} else if !errors.Is(err, errNotLoopback) {
			t.Errorf("%s refused for the wrong reason: %v", tc.url, err)
		}
	}
}

func TestCheckTargetBadURLs(t *testing.T) {
	for _, raw := range []string{"ftp://127.0.0.1", "127.0.0.1:8080", "http://", "ws://127.0.0.1"} {
		if _, err := checkTarget(context.Background(), raw); err == nil {
			t.Errorf("%q accepted", raw)
		}
	}
}

// TestLoopbackDialerRefuses makes sure the socket-level guard holds even if
// a non-loopback address reached the dialer (a redirect, say): nothing is
// sent, the dial fails before connect.
func TestLoopbackDialerRefuses(t *testing.T) {
	_, err := loopbackDialer().DialContext(context.Background(), "tcp", "10.0.0.1:80")
	if !errors.Is(err, errNotLoopback) {
		t.Fatalf("dial 10.0.0.1: %v, want a loopback refusal", err)
	}
}

func TestWSURL(t *testing.T) {
	u, err := checkTarget(context.Background(), "https://127.0.0.1:8443/base/")
	if err != nil {
		t.Fatal(err)
	}
	if got := wsURL(u); got != "wss://127.0.0.1:8443/base/ws" {
		t.Fatalf("wsURL = %s", got)
	}
	u, _ = checkTarget(context.Background(), "http://localhost:8080")
	if got := wsURL(u); got != "ws://127.0.0.1:8080/ws" {
		t.Fatalf("wsURL = %s", got)
	}
}
