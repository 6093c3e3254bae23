package main

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// csp allows only this origin's own scripts, styles and sockets: no inline
// script, no eval, no third-party anything. img-src allows data: and blob:
// for the exported map images.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// secure adds the security headers to every response.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer") // the facilitator key never leaks through a Referer
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		next.ServeHTTP(w, r)
	})
}

// originChecker allows a websocket from a page of this server's own origin
// or of an origin the operator listed. A request without Origin is not from a
// browser page (browsers always send it on websockets), so cross-site
// hijacking does not apply and native clients may connect.
type originChecker struct {
	allowed map[string]bool
}

func newOriginChecker(origins []string) *originChecker {
	m := make(map[string]bool, len(origins))
	for _, o := range origins {
		m[o] = true
	}
	return &originChecker{allowed: m}
}

func (o *originChecker) check(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return o.allowed[strings.ToLower(u.Scheme+"://"+u.Host)]
}

// failLimiter limits refused keys and codes. Two budgets, both must allow:
// one per client address, so one noisy machine cannot use up everyone's, and
// one for the whole server, so that many addresses cannot guess faster. The
// per-address budget is generous because a whole room shares one address.
type failLimiter struct {
	mu     sync.Mutex
	global tokens
	perIP  map[string]*tokens
	now    func() time.Time
}

type tokens struct {
	n    float64
	last time.Time
}

const (
	globalFailRate  = 20.0 // refused attempts per second, whole server
	globalFailBurst = 200.0
	ipFailRate      = 2.0 // per address: a room of 30 mistyping now and then stays far below
	ipFailBurst     = 60.0
	maxTrackedIPs   = 100000 // bound on memory; beyond, the map is reset
)

func newFailLimiter() *failLimiter {
	now := time.Now()
	return &failLimiter{
		global: tokens{n: globalFailBurst, last: now},
		perIP:  make(map[string]*tokens),
		now:    time.Now,
	}
}

func (t *tokens) refill(now time.Time, rate, burst float64) {
	t.n += now.Sub(t.last).Seconds() * rate
	if t.n > burst {
		t.n = burst
	}
	t.last = now
}

// allowed says whether an attempt from ip may be checked at all.
func (l *failLimiter) allowed(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.global.refill(now, globalFailRate, globalFailBurst)
	if l.global.n < 1 {
		return false
	}
	if t := l.perIP[ip]; t != nil {
		t.refill(now, ipFailRate, ipFailBurst)
		if t.n < 1 {
			return false
		}
	}
	return true
}

// failed records a refused attempt from ip.
func (l *failLimiter) failed(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.global.refill(now, globalFailRate, globalFailBurst)
	l.global.n--
	t := l.perIP[ip]
	if t == nil {
		if len(l.perIP) >= maxTrackedIPs {
			l.perIP = make(map[string]*tokens)
		}
		t = &tokens{n: ipFailBurst, last: now}
		l.perIP[ip] = t
	}
	t.refill(now, ipFailRate, ipFailBurst)
	t.n--
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
