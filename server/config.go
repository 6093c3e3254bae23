package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// Config is what an operator sets, by flag or by the matching environment
// variable (the flag wins).
type Config struct {
	Addr      string   // listen address
	Data      string   // folder of the local store (embedded default)
	Origins   []string // extra browser origins allowed to open websockets
	PublicURL string   // base URL put in join links and QR codes; default: the request's
	RedisURL  string   // when set, boards and workshops are shared through Redis
	LogLevel  string
	Pprof     string // address of the profiling endpoint (off when empty); keep it on loopback
}

// parseConfig reads flags from args and defaults from env.
func parseConfig(args []string, getenv func(string) string, out io.Writer) (Config, error) {
	def := func(env, fallback string) string {
		if v := getenv(env); v != "" {
			return v
		}
		return fallback
	}
	var c Config
	var origins string
	fs := flag.NewFlagSet("tablee", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.Addr, "addr", def("TABLEE_ADDR", ":8080"), "listen address (env TABLEE_ADDR)")
	fs.StringVar(&c.Data, "data", def("TABLEE_DATA", "./data"), "data folder of the embedded store (env TABLEE_DATA)")
	fs.StringVar(&origins, "origins", def("TABLEE_ORIGINS", ""), "comma-separated browser origins allowed besides the server's own, e.g. https://tablee.example.org (env TABLEE_ORIGINS)")
	fs.StringVar(&c.PublicURL, "public-url", def("TABLEE_PUBLIC_URL", ""), "public base URL for join links and QR codes, e.g. https://tablee.example.org (env TABLEE_PUBLIC_URL; default: the address the browser used)")
	fs.StringVar(&c.RedisURL, "redis", def("REDIS_URL", ""), "Redis URL to share boards between instances (env REDIS_URL)")
	fs.StringVar(&c.Pprof, "pprof", def("TABLEE_PPROF", ""), "serve Go's profiler (net/http/pprof) on this address, e.g. 127.0.0.1:6060; off when empty (env TABLEE_PPROF)")
	fs.StringVar(&c.LogLevel, "log-level", def("TABLEE_LOG_LEVEL", "info"), "debug, info, warn or error (env TABLEE_LOG_LEVEL)")
	fs.Usage = func() {
		fmt.Fprintln(out, "Tablée — live collaborative workshop boards.\n\nUsage: tablee [flags]\n\nFlags (each also read from the environment variable named):")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	for _, o := range strings.Split(origins, ",") {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
				return c, fmt.Errorf("origin %q: must start with http:// or https://", o)
			}
			c.Origins = append(c.Origins, strings.ToLower(o))
		}
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		return c, fmt.Errorf("public-url %q: must start with http:// or https://", c.PublicURL)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return c, fmt.Errorf("log-level %q: use debug, info, warn or error", c.LogLevel)
	}
	return c, nil
}
