// Command tablee serves Tablée: the web app, its HTTP API and the websocket
// hub, on the embedded default (one process, local durable storage).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tablee/tablee/hub"
	"github.com/tablee/tablee/static"
)

// shutdownGrace bounds a graceful stop: pending commits and last snapshots.
const shutdownGrace = 15 * time.Second

// Server is the running application: storage, directory, hub and routes.
type Server struct {
	cfg    Config
	log    *slog.Logger
	broker hub.Broker
	dir    Directory
	// closers release what newServer opened, last first.
	closers []func() error
	hub     *hub.Hub
	fails   *failLimiter
	origin  *originChecker
}

// newServer opens storage and wires everything; Shutdown releases it.
// With a Redis URL, boards and workshops live in Redis and several instances
// share them; otherwise in one bbolt file under cfg.Data.
func newServer(cfg Config, log *slog.Logger) (*Server, error) {
	s := &Server{cfg: cfg, log: log, fails: newFailLimiter(), origin: newOriginChecker(cfg.Origins)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if cfg.RedisURL != "" {
		// go-redis logs pool errors with the standard logger; route them
		// into our structured log instead.
		redis.SetLogger(redisLog{log})
		rdb, err := openRedis(cfg.RedisURL)
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, rdb.Close)
		broker, err := hub.NewRedisBroker(ctx, rdb, "tablee", log)
		if err != nil {
			rdb.Close()
			return nil, err
		}
		s.broker = broker
		s.dir = newRedisDirectory(rdb, "tablee")
	} else {
		if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
			return nil, fmt.Errorf("data folder: %w", err)
		}
		broker, err := hub.OpenLocalBroker(filepath.Join(cfg.Data, "tablee.db"))
		if err != nil {
			return nil, err
		}
		dir, err := newBoltDirectory(ctx, broker)
		if err != nil {
			broker.Close()
			return nil, err
		}
		s.broker, s.dir = broker, dir
	}
	s.hub = hub.New(hub.Options{Broker: s.broker, Auth: s, Log: log, CheckOrigin: s.origin.check})
	return s, nil
}

// redisLog passes go-redis's own messages (reconnects, dial failures) to
// slog at debug level: the rooms log what matters to an operator.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.Debug("redis: " + fmt.Sprintf(format, v...))
}

// openRedis connects to one Redis (redis://host:port/db) or to a Redis
// Cluster (redis://host1:port?addr=host2:port&addr=host3:port). It speaks
// RESP2 unless the URL asks (protocol=3): go-redis looks for RESP3 push
// notifications around every command and every pub/sub message, a tenth of
// an instance's CPU at workshop load, and Tablée uses none.
func openRedis(url string) (redis.UniversalClient, error) {
	if strings.Contains(url, "addr=") {
		opt, err := redis.ParseClusterURL(url)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %w", err)
		}
		if !strings.Contains(url, "protocol=") {
			opt.Protocol = 2
		}
		return redis.NewClusterClient(opt), nil
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	if !strings.Contains(url, "protocol=") {
		opt.Protocol = 2
	}
	return redis.NewClient(opt), nil
}

// Handler returns every route, behind the security headers.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/workshops", s.createWorkshop)
	mux.HandleFunc("GET /api/workshops/{code}", s.getWorkshop)
	mux.HandleFunc("GET /api/workshops/{code}/qr.svg", s.workshopQR)
	mux.HandleFunc("PATCH /api/workshops/{code}", s.updateWorkshop)
	mux.HandleFunc("DELETE /api/workshops/{code}", s.deleteWorkshop)
	mux.HandleFunc("POST /api/workshops/{code}/close", s.closeWorkshop)
	mux.HandleFunc("GET /api/boards/{board}", s.getBoard)
	mux.HandleFunc("GET /api/boards/{board}/export.md", s.exportBoard("md"))
	mux.HandleFunc("GET /api/boards/{board}/export.json", s.exportBoard("json"))
	mux.HandleFunc("GET /api/workshops/{code}/archive.zip", s.exportWorkshop)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, hub.CodeNotFound, "no such API route")
	})
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /ws", s.hub.ServeWS)

	assets, _ := fs.Sub(static.FS, ".")
	files := http.FileServerFS(assets)
	mux.Handle("GET /static/", http.StripPrefix("/static/", noCache(files)))
	page := func(w http.ResponseWriter, r *http.Request) {
		data, err := static.FS.ReadFile("index.html")
		if err != nil {
			http.Error(w, "missing page", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(data)
	}
	mux.HandleFunc("GET /{$}", page)
	mux.HandleFunc("GET /j/{code}", page)
	mux.HandleFunc("GET /f/{code}", page)
	mux.HandleFunc("GET /wall/{code}", page)
	mux.HandleFunc("GET /print/{code}/{board}", page)
	return secure(s.logRequests(mux))
}

// noCache makes browsers revalidate the app's files, so that a new version
// reaches every phone at its next load.
func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(s int) { w.status = s; w.ResponseWriter.WriteHeader(s) }

// Unwrap lets http.ResponseController (and the websocket upgrade) reach the
// connection underneath.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs API calls (never the query: it may hold a key).
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ws" {
			next.ServeHTTP(w, r) // the upgrade needs the original writer's Hijacker
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		if sw.status >= 400 || len(r.URL.Path) > 4 && r.URL.Path[:5] == "/api/" {
			s.log.Debug("http", "method", r.Method, "path", r.URL.Path, "status", sw.status, "ms", time.Since(start).Milliseconds())
		}
	})
}

// Shutdown closes connections, lets rooms store what is pending, then closes
// storage.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.hub.Shutdown(ctx)
	if cerr := s.broker.Close(); err == nil {
		err = cerr
	}
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
	return err
}

// minProcs is the fewest Ps the server runs with. A durable commit waits in
// fdatasync, a blocking system call whose thread keeps its P until the
// runtime's monitor takes it back, which it checks every 20 µs to 10 ms. With
// a single P (the default when the server is given one core, e.g. pinned
// with taskset or a one-CPU container) every connection stalls for that long
// at each sync: at 2,400 changes/s that alone pushed p99 past 400 ms with
// the core half idle. A second P lets the other goroutines run meanwhile.
//
// With Redis the instance makes no such call (its commits are network
// round trips, which release the P), and on one core a second P only costs:
// the idle one spins and wakes for nothing, 12 % more CPU per change.
const minProcs = 2

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tablee:", err)
		os.Exit(2)
	}
	if cfg.RedisURL == "" && os.Getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) < minProcs {
		runtime.GOMAXPROCS(minProcs)
	}
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if err := run(cfg, log); err != nil {
		log.Error("tablee stopped", "err", err)
		os.Exit(1)
	}
}

func run(cfg Config, log *slog.Logger) error {
	s, err := newServer(cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		s.Shutdown(context.Background())
		return err
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second, // slowloris
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.Pprof != "" {
		// The profiler has its own listener and mux: never on the public port.
		pl, err := net.Listen("tcp", cfg.Pprof)
		if err != nil {
			return fmt.Errorf("pprof: %w", err)
		}
		pm := http.NewServeMux()
		pm.HandleFunc("/debug/pprof/", pprof.Index)
		pm.HandleFunc("/debug/pprof/profile", pprof.Profile)
		pm.HandleFunc("/debug/pprof/trace", pprof.Trace)
		pm.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		go http.Serve(pl, pm)
		defer pl.Close()
		log.Info("profiler listening", "addr", pl.Addr().String())
	}
	log.Info("tablee listening", "addr", ln.Addr().String(), "data", cfg.Data)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case err = <-errc:
	case got := <-sig:
		log.Info("stopping", "signal", got.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	srv.Shutdown(ctx) // stop taking requests; hijacked websockets are the hub's
	if serr := s.Shutdown(ctx); serr != nil && err == nil {
		err = serr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
