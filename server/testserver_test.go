package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"testing"
	"time"
)

// startTestServer runs the whole application on a fresh data folder and
// stops it (and its storage) when the test ends.
func startTestServer(t testing.TB) *httptest.Server {
	t.Helper()
	ts, _ := startTestServerIn(t, t.TempDir())
	return ts
}

// startTestServerIn runs the application on dir, returning the server and
// the application for tests that look inside.
func startTestServerIn(t testing.TB, dir string) (*httptest.Server, *Server) {
	t.Helper()
	return startTestServerWith(t, Config{Data: dir, LogLevel: "debug"})
}

// startTestServerWith runs the application with cfg (a Redis URL, say).
func startTestServerWith(t testing.TB, cfg Config) (*httptest.Server, *Server) {
	t.Helper()
	logOut := io.Discard
	if os.Getenv("TABLEE_TEST_LOG") != "" {
		logOut = os.Stderr
	}
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := newServer(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// Hijacked websockets outlive ts.Close; the hub closes them.
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		ts.Close()
	})
	return ts, s
}
