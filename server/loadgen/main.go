// Command loadgen plays named workloads against a running Tablée server over
// real websockets, each connection a full protocol client, and reports
// edit-to-peer latency, throughput, lost deliveries and what the server
// spent. It only ever targets this machine (loopback) and always ends by
// itself.
//
//	go run ./server/loadgen -url http://127.0.0.1:8080 -workload workshop -pid $(pidof tablee)
//
// Workloads: workshop, stepup, scale, idle; see -h.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// exitGrace is how long past the hard deadline the process may take to
// close its connections before the watchdog ends it outright.
const exitGrace = 15 * time.Second

// Config is one run's settings.
type Config struct {
	URLs         []*url.URL // loopback base URLs, host already resolved
	Workload     string
	Duration     time.Duration // measured window (workshop, scale)
	StepDuration time.Duration // measured window of each stepup step
	Steps        []float64     // stepup multipliers
	P99Limit     time.Duration // stepup stops past this p99 edit→peer
	Warmup       time.Duration // typing before a window is measured
	Drain        time.Duration // bound of the final check's wait
	Deadline     time.Duration // hard bound of the whole run
	Boards       int
	Editors      int
	Viewers      int
	Wall         bool
	Rate         float64 // keystrokes per second per editor
	Conns        int     // idle: connections to open
	RampRate     float64 // connections opened per second
	PIDs         []int   // server processes (and redis-server) to read in /proc
	FDLimit      uint64  // this process's descriptor limit, once raised
}

// defaults per workload, for the flags not given.
var workloadDefaults = map[string]struct {
	boards, editors, viewers int
	rate                     float64
	wall                     bool
}{
	// A training room at its busiest: 30 groups of 8 typing, one
	// projector each, the facilitator's wall on everything.
	"workshop": {30, 8, 1, 5, true},
	"stepup":   {30, 8, 1, 5, true},
	// A busy day on a shared instance: many smaller rooms, slower typing,
	// a projector and a spectator per board.
	"scale": {1000, 8, 2, 1, false},
	"idle":  {0, 8, 2, 0, false},
}

func main() {
	cfg, jsonOut, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeoutCause(ctx, cfg.Deadline, fmt.Errorf("hard deadline of %v reached", cfg.Deadline))
	defer cancel()
	// Whatever happens (a stuck close, a bug), the process ends.
	time.AfterFunc(cfg.Deadline+exitGrace, func() {
		fmt.Fprintln(os.Stderr, "loadgen: hard deadline passed and connections did not close; exiting")
		os.Exit(3)
	})
	fmt.Fprintf(os.Stderr, "loadgen: %s against %v, hard deadline %v, descriptor limit %d\n", cfg.Workload, cfg.URLs, cfg.Deadline, cfg.FDLimit)

	s, runErr := run(ctx, cfg, os.Stderr)
	if runErr != nil {
		s.Notes = append(s.Notes, "run error: "+runErr.Error())
	}
	switch jsonOut {
	case "":
		printSummary(os.Stdout, s)
	case "-":
		writeJSON(os.Stdout, s)
	default:
		printSummary(os.Stdout, s)
		if err := writeJSONFile(jsonOut, s); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
		}
	}
	if runErr != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", runErr)
		os.Exit(1)
	}
	if s.Final != nil && !s.Final.Converged {
		os.Exit(1) // lost or diverged deliveries: a failed check, for scripts
	}
}

func writeJSONFile(path string, s *Summary) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := writeJSON(f, s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// parseFlags reads the flags, applies the workload's defaults to those not
// given, checks the targets and raises the descriptor limit.
func parseFlags(args []string, out io.Writer) (*Config, string, error) {
	cfg := &Config{}
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(out)
	urls := fs.String("url", "http://127.0.0.1:8080", "base URL of the server, or several comma-separated (instances sharing Redis): each board's connections go round them. Loopback only")
	fs.StringVar(&cfg.Workload, "workload", "workshop", "workshop, stepup, scale or idle")
	fs.DurationVar(&cfg.Duration, "duration", 20*time.Second, "measured window of workshop and scale")
	fs.DurationVar(&cfg.StepDuration, "step-duration", 10*time.Second, "measured window of each stepup step")
	steps := fs.String("steps", "1,2,5,10,20,30,40,50,60,80,100", "stepup multipliers of the boards (load = multiplier × the workshop's changes/s)")
	fs.DurationVar(&cfg.P99Limit, "p99-limit", 100*time.Millisecond, "stepup stops when p99 edit→peer passes this")
	fs.DurationVar(&cfg.Warmup, "warmup", 2*time.Second, "typing before each measured window")
	fs.DurationVar(&cfg.Drain, "drain", 5*time.Second, "at the end, how long followers may take to reach every board's final version")
	fs.DurationVar(&cfg.Deadline, "deadline", 0, "hard bound of the whole run (0: computed from the workload)")
	fs.IntVar(&cfg.Boards, "boards", 0, "boards (workshop, scale; stepup: boards at ×1) (default per workload: 30, 1000 for scale)")
	fs.IntVar(&cfg.Editors, "editors", 0, "typing participants per board (default 8)")
	fs.IntVar(&cfg.Viewers, "viewers", 0, "projectors/spectators per board, as viewer (default 1; 2 for scale and idle)")
	fs.BoolVar(&cfg.Wall, "wall", false, "one facilitator wall per workshop following its boards (default on for workshop and stepup)")
	fs.Float64Var(&cfg.Rate, "rate", 0, "keystrokes per second per editor (default 5; 1 for scale)")
	fs.IntVar(&cfg.Conns, "conns", 1000, "idle: connections to open")
	fs.Float64Var(&cfg.RampRate, "ramp", 500, "connections opened per second (gradual, to spare the accept queue)")
	pids := fs.String("pid", "", "server PID(s), comma-separated (add redis-server's): CPU and memory read from /proc and summed")
	jsonOut := fs.String("json", "", "also write a JSON summary to this file; \"-\" writes only JSON to stdout")
	fs.Usage = func() {
		fmt.Fprintln(out, "loadgen — plays workloads against a Tablée server on this machine.\n\nUsage: loadgen [flags]\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, "", err
	}
	if fs.NArg() > 0 {
		return nil, "", fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	def, ok := workloadDefaults[cfg.Workload]
	if !ok {
		return nil, "", fmt.Errorf("unknown workload %q: use workshop, stepup, scale or idle", cfg.Workload)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["boards"] {
		cfg.Boards = def.boards
	}
	if !set["editors"] {
		cfg.Editors = def.editors
	}
	if !set["viewers"] {
		cfg.Viewers = def.viewers
	}
	if !set["rate"] {
		cfg.Rate = def.rate
	}
	if !set["wall"] {
		cfg.Wall = def.wall
	}
	if err := cfg.validate(); err != nil {
		return nil, "", err
	}
	var err error
	if cfg.Steps, err = parseFloats(*steps); err != nil {
		return nil, "", fmt.Errorf("-steps: %w", err)
	}
	if cfg.PIDs, err = parsePIDs(*pids); err != nil {
		return nil, "", fmt.Errorf("-pid: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	for _, raw := range strings.Split(*urls, ",") {
		if strings.TrimSpace(raw) == "" {
			continue
		}
		u, err := checkTarget(ctx, raw)
		if err != nil {
			return nil, "", err
		}
		cfg.URLs = append(cfg.URLs, u)
	}
	if len(cfg.URLs) == 0 {
		return nil, "", errors.New("-url: no target")
	}
	lim, err := raiseFileLimit()
	if err != nil {
		fmt.Fprintf(out, "loadgen: could not raise the descriptor limit (%v); it stays %d\n", err, lim)
	}
	cfg.FDLimit = lim
	if cfg.Deadline == 0 {
		cfg.Deadline = cfg.autoDeadline()
	}
	return cfg, *jsonOut, nil
}

func (c *Config) validate() error {
	switch {
	case c.Duration <= 0 || c.StepDuration <= 0:
		return errors.New("-duration and -step-duration must be above 0")
	case c.Workload != "idle" && c.Boards <= 0:
		return errors.New("-boards must be above 0")
	case c.Editors < 0 || c.Viewers < 0:
		return errors.New("-editors and -viewers cannot be negative")
	case c.Workload != "idle" && (c.Rate <= 0 || c.Rate > 1000):
		return errors.New("-rate must be above 0 and at most 1000 keystrokes/s")
	case c.Workload == "idle" && c.Conns <= 0:
		return errors.New("-conns must be above 0")
	case c.RampRate <= 0:
		return errors.New("-ramp must be above 0")
	case c.Warmup < 0 || c.Drain < 0 || c.Deadline < 0:
		return errors.New("-warmup, -drain and -deadline cannot be negative")
	}
	return nil
}

// autoDeadline bounds the run by what it should take, with room: ramping
// every connection, every window, the drain, plus a minute for the slow
// answers of an overloaded server.
func (c *Config) autoDeadline() time.Duration {
	ramp := func(conns int) time.Duration {
		return time.Duration(float64(conns) / c.RampRate * float64(time.Second))
	}
	d := time.Minute + c.Drain
	switch c.Workload {
	case "stepup":
		for range c.Steps {
			d += c.Warmup + c.StepDuration + 5*time.Second // workshop creation, a settling second
		}
		d += ramp(c.connsFor(int(math.Round(c.Steps[len(c.Steps)-1] * float64(c.Boards)))))
	case "idle":
		d += ramp(c.Conns) + time.Duration(len(rssCheckpoints)+2)*rssSettle
	default:
		d += ramp(c.connsFor(c.Boards)) + c.Warmup + c.Duration + time.Duration(len(rssCheckpoints)+2)*rssSettle
	}
	return d
}

func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v <= 0 || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		if len(out) > 0 && v <= out[len(out)-1] {
			return nil, fmt.Errorf("multipliers must grow: %v after %v", v, out[len(out)-1])
		}
		out = append(out, v)
	}
	return out, nil
}

func parsePIDs(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		pid, err := strconv.Atoi(f)
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("%q is not a process id", f)
		}
		if _, err := readCPU(pid); err != nil {
			return nil, fmt.Errorf("process %d cannot be read: %w", pid, err)
		}
		out = append(out, pid)
	}
	return out, nil
}
