package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

const (
	// fdReserve is the descriptors kept aside from connections: stdio, the
	// HTTP client's sockets, /proc files.
	fdReserve = 64
	// rssSettle is the pause before reading the server's RSS at a
	// checkpoint, so that the welcomes just sent are done with and the
	// memory measured is that of idle connections.
	rssSettle = 2 * time.Second
)

// rssCheckpoints are the idle connection counts at which the server's memory
// is read, besides 0 and the total.
var rssCheckpoints = []int{1000, 10000}

// run plays cfg.Workload and returns its report; the error says why it
// could not complete (the report then holds what was measured).
func run(ctx context.Context, cfg *Config, log io.Writer) (*Summary, error) {
	s := &Summary{Workload: cfg.Workload, PIDs: cfg.PIDs, FDLimit: cfg.FDLimit, Shape: cfg.shape()}
	for _, u := range cfg.URLs {
		s.Targets = append(s.Targets, u.String())
	}
	if n := cfg.serverFDShortfall(); n != "" {
		s.Notes = append(s.Notes, n)
	}
	f := newFleet(ctx, cfg, log)
	defer f.closeAll()
	var err error
	switch cfg.Workload {
	case "workshop":
		err = runWorkshop(ctx, f, s)
	case "stepup":
		err = runStepup(ctx, f, s)
	case "scale":
		err = runScale(ctx, f, s)
	case "idle":
		err = runIdle(ctx, f, s)
	default:
		err = fmt.Errorf("unknown workload %q", cfg.Workload)
	}
	s.Problems, s.ProblemSamples = f.problems()
	if s.SlowFrames = f.slowFrames.Load(); s.SlowFrames > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%d ops or acks were not in the server's plain form and took the slow decoder (encoding/json, board.DecodeChanges): the generator's own CPU is overstated", s.SlowFrames))
	}
	return s, err
}

// layout is the shape of every board of the run.
func (c *Config) layout() layout {
	return layout{editors: c.Editors, viewers: c.Viewers, wall: c.Wall, idle: c.Workload == "idle"}
}

// connsFor counts the connections of n boards.
func (c *Config) connsFor(n int) int {
	conns := n * (c.Editors + c.Viewers)
	if c.Wall {
		conns += (n + groupsPerWorkshop - 1) / groupsPerWorkshop
	}
	return conns
}

func (c *Config) checkFD(conns int) error {
	if c.FDLimit > 0 && uint64(conns+fdReserve) > c.FDLimit {
		return fmt.Errorf("%d connections need about %d file descriptors but the limit is %d even after raising it to the hard limit; raise the hard limit (ulimit -Hn, limits.conf) or ask for fewer", conns, conns+fdReserve, c.FDLimit)
	}
	return nil
}

// serverFDShortfall warns when a server's own descriptor limit is below the
// connections asked for: it would refuse them, not this tool.
func (c *Config) serverFDShortfall() string {
	conns := c.plannedConns()
	for _, pid := range c.PIDs {
		if lim := readOpenFilesLimit(pid); lim > 0 && uint64(conns+fdReserve) > lim {
			return fmt.Sprintf("pid %d may open at most %d files, fewer than the %d connections planned: start it with a higher ulimit -n", pid, lim, conns)
		}
	}
	return ""
}

func (c *Config) plannedConns() int {
	switch c.Workload {
	case "idle":
		return c.Conns
	case "stepup":
		return c.connsFor(int(math.Round(c.Steps[len(c.Steps)-1] * float64(c.Boards))))
	}
	return c.connsFor(c.Boards)
}

func (c *Config) shape() string {
	wall := ""
	if c.Wall {
		wall = " + a facilitator wall per workshop (≤ 30 boards)"
	}
	board := fmt.Sprintf("(%d editors typing %g keystrokes/s + %d viewers)%s", c.Editors, c.Rate, c.Viewers, wall)
	offered := float64(c.Editors) * c.Rate
	switch c.Workload {
	case "stepup":
		return fmt.Sprintf("steps ×%v of %d boards × %s; each step multiplies the boards (and walls), every board keeps its editors and rate, so load = multiplier × %.0f changes/s; %v per step, stop when p99 edit→peer > %v or a delivery is lost",
			c.Steps, c.Boards, board, offered*float64(c.Boards), c.StepDuration, c.P99Limit)
	case "idle":
		return fmt.Sprintf("%d idle connections, %d participants + %d viewers per board, nobody typing", c.Conns, c.Editors, c.Viewers)
	}
	return fmt.Sprintf("%d boards × %s = %d connections, %.0f changes/s offered, %v measured",
		c.Boards, board, c.connsFor(c.Boards), offered*float64(c.Boards), c.Duration)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stopped before the end: %w", context.Cause(ctx))
	}
}

// measure lets the typists warm up, then measures one window.
func measure(ctx context.Context, f *Fleet, label string, d time.Duration) (Result, error) {
	if err := sleep(ctx, f.cfg.Warmup); err != nil {
		return Result{}, err
	}
	w := f.beginWindow()
	err := sleep(ctx, d)
	r := f.endWindow(w, label)
	fmt.Fprintf(f.log, "loadgen: %s: %.0f changes/s, %.0f deliveries/s, edit→peer p50 %.2f p99 %.2f max %.1f ms, lost %d, errors %d\n",
		label, r.ChangesPerSec, r.DeliveriesPerSec, r.EditToPeer.P50, r.EditToPeer.P99, r.EditToPeer.Max, r.Lost, r.Errors+r.Rejects+r.Closed)
	return r, err
}

// finish stops typing and runs the final check.
func finish(ctx context.Context, f *Fleet, s *Summary) error {
	f.stopTyping()
	s.Final = f.finalCheck(ctx, f.cfg.Drain)
	if ctx.Err() != nil {
		return fmt.Errorf("stopped during the final check: %w", context.Cause(ctx))
	}
	return nil
}

// createBoards makes the run's -boards boards, once their connections are
// known to fit the descriptor limit.
func (f *Fleet) createBoards(ctx context.Context) ([]*boardInfo, error) {
	if err := f.cfg.checkFD(f.cfg.connsFor(f.cfg.Boards)); err != nil {
		return nil, err
	}
	return f.createWorkshops(ctx, f.cfg.Boards)
}

// runWorkshop: a whole training room at its busiest, measured for -duration.
func runWorkshop(ctx context.Context, f *Fleet, s *Summary) error {
	cfg := f.cfg
	boards, err := f.createBoards(ctx)
	if err != nil {
		return err
	}
	clients, err := f.connect(ctx, f.plan(boards, cfg.layout()), cfg.RampRate)
	if err != nil {
		return err
	}
	return typeAndMeasure(ctx, f, s, clients, "workshop")
}

// typeAndMeasure sets every editor typing, measures one window, then drains
// and checks that every follower converged.
func typeAndMeasure(ctx context.Context, f *Fleet, s *Summary, clients []*Client, name string) error {
	f.startTyping(clients, f.cfg.Rate)
	r, err := measure(ctx, f, name, f.cfg.Duration)
	s.Steps = append(s.Steps, r)
	if err != nil {
		return err
	}
	return finish(ctx, f, s)
}

// runStepup multiplies the workshop's boards step by step, all typing,
// until latency or delivery breaks.
func runStepup(ctx context.Context, f *Fleet, s *Summary) error {
	cfg := f.cfg
	have := 0
	for _, m := range cfg.Steps {
		label := fmt.Sprintf("×%g", m)
		want := int(math.Round(m * float64(cfg.Boards)))
		if want <= have {
			continue
		}
		if err := cfg.checkFD(cfg.connsFor(want)); err != nil {
			s.Stop = fmt.Sprintf("%s not run: %v", label, err)
			break
		}
		fmt.Fprintf(f.log, "loadgen: step %s: adding %d boards (%d connections in all)\n", label, want-have, cfg.connsFor(want))
		boards, err := f.createWorkshops(ctx, want-have)
		if err != nil {
			s.Stop = fmt.Sprintf("%s: %v", label, err)
			break
		}
		clients, err := f.connect(ctx, f.plan(boards, cfg.layout()), cfg.RampRate)
		f.startTyping(clients, cfg.Rate)
		if err != nil {
			s.Stop = fmt.Sprintf("%s: %v", label, err)
			break
		}
		have = want
		r, err := measure(ctx, f, label, cfg.StepDuration)
		r.Multiplier = m
		s.Steps = append(s.Steps, r)
		if err != nil {
			return err
		}
		if limit := float64(cfg.P99Limit) / float64(time.Millisecond); r.EditToPeer.P99 > limit {
			s.Stop = fmt.Sprintf("at %s p99 edit→peer %.1f ms passed %v", label, r.EditToPeer.P99, cfg.P99Limit)
			break
		}
		if r.Lost > 0 || r.Closed > 0 {
			s.Stop = fmt.Sprintf("at %s %d deliveries lost, %d connections closed by the server", label, r.Lost, r.Closed)
			break
		}
	}
	if s.Stop == "" {
		s.Stop = "every step passed"
	}
	return finish(ctx, f, s)
}

// rampWithRSS opens specs in chunks, reading the server's memory at each
// checkpoint once the connections are idle.
func rampWithRSS(ctx context.Context, f *Fleet, s *Summary, specs []connSpec) ([]*Client, error) {
	var all []*Client
	var at0 ProcSample
	point := func(n int) error {
		if len(f.cfg.PIDs) == 0 {
			return nil
		}
		if err := sleep(ctx, rssSettle); err != nil {
			return err
		}
		p := sampleProcs(f.cfg.PIDs)
		if n == 0 {
			at0 = p
		}
		pt := RSSPoint{Conns: n, RSSMiB: kib(p.RSSKiB), AnonMiB: kib(p.AnonKiB), FileMiB: kib(p.FileKiB)}
		if n > 0 {
			pt.PerConnKiB = (float64(p.RSSKiB) - float64(at0.RSSKiB)) / float64(n)
			pt.AnonPerConnKiB = (float64(p.AnonKiB) - float64(at0.AnonKiB)) / float64(n)
		}
		s.RSS = append(s.RSS, pt)
		fmt.Fprintf(f.log, "loadgen: %d idle connections: server VmRSS %.1f MiB\n", n, pt.RSSMiB)
		return nil
	}
	if err := point(0); err != nil {
		return nil, err
	}
	marks := []int{}
	for _, m := range rssCheckpoints {
		if m < len(specs) {
			marks = append(marks, m)
		}
	}
	marks = append(marks, len(specs))
	from := 0
	for _, m := range marks {
		clients, err := f.connect(ctx, specs[from:m], f.cfg.RampRate)
		all = append(all, clients...)
		if err != nil {
			return all, err
		}
		if err := point(m); err != nil {
			return all, err
		}
		from = m
	}
	return all, nil
}

// runScale: many small workshops at once, first idle (memory per
// connection), then typing.
func runScale(ctx context.Context, f *Fleet, s *Summary) error {
	cfg := f.cfg
	boards, err := f.createBoards(ctx)
	if err != nil {
		return err
	}
	clients, err := rampWithRSS(ctx, f, s, f.plan(boards, cfg.layout()))
	if err != nil {
		return err
	}
	return typeAndMeasure(ctx, f, s, clients, "scale")
}

// runIdle opens -conns quiet connections and reads the server's memory.
func runIdle(ctx context.Context, f *Fleet, s *Summary) error {
	cfg := f.cfg
	if err := cfg.checkFD(cfg.Conns); err != nil {
		return err
	}
	perBoard := cfg.Editors + cfg.Viewers
	if perBoard <= 0 {
		return errors.New("idle needs -editors or -viewers above 0: connections follow boards")
	}
	boards, err := f.createWorkshops(ctx, (cfg.Conns+perBoard-1)/perBoard)
	if err != nil {
		return err
	}
	specs := f.plan(boards, cfg.layout())[:cfg.Conns]
	_, err = rampWithRSS(ctx, f, s, specs)
	return err
}
