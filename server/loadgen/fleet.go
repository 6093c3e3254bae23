package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/tablee/tablee/board"
)

const (
	// maxDialing bounds handshakes in progress during a ramp: the ramp
	// rate paces them, this keeps a stalled server from piling up
	// thousands of half-open sockets.
	maxDialing = 256
	// maxRampFailures stops a ramp once this many connections failed: a
	// few are findings, many mean the server is down or at a limit, and
	// waiting for every dial would only burn the deadline.
	maxRampFailures = 20
	// maxErrSamples is how many error messages are kept (and printed) for
	// the report; past it they are only counted.
	maxErrSamples = 10
	// fetchWorkers bounds the snapshot reads of the final check.
	fetchWorkers = 8
	// pollEvery is the pace of the drain's checks.
	pollEvery = 50 * time.Millisecond
	// lagTick is the period of the generator's scheduling-lag probe: fine
	// enough to catch a stall that would skew the latencies, cheap at 100
	// wakeups a second.
	lagTick = 10 * time.Millisecond
	// wsBuffer is gorilla's read and write buffer size, for the opening
	// handshake only (the frames are read and written by wsconn.go): its
	// 4 KiB default would cost 80 MiB over 10,000 connections.
	wsBuffer = 1024
)

// Fleet is every connection of a run, with what they share: the stamps of
// submits in flight and the current measurement window.
type Fleet struct {
	cfg    *Config
	urls   []*url.URL
	wsURLs []string
	http   *http.Client
	dialer *websocket.Dialer
	log    io.Writer

	// byID finds a submitter by its protocol id, to read the stamp of an
	// op (Client.stamps). Written when a connection opens.
	idMu sync.RWMutex
	byID map[string]*Client
	cur  atomic.Pointer[Stats]
	// slowFrames counts the ops and acks, and the changes of ops, that the
	// fast path (frame.go) left to encoding/json or board.DecodeChanges:
	// none with this server, which the end-to-end test checks.
	slowFrames atomic.Int64

	mu        sync.Mutex
	clients   []*Client
	workshops []*workshop
	boards    []*boardInfo
	nconn     int

	typeCtx  context.Context
	typeStop context.CancelFunc
	typers   sync.WaitGroup
	lagStop  context.CancelFunc
	lagDone  chan struct{}

	errMu      sync.Mutex
	errCount   int
	errSamples []string
}

func newFleet(ctx context.Context, cfg *Config, log io.Writer) *Fleet {
	f := &Fleet{cfg: cfg, urls: cfg.URLs, log: log, byID: map[string]*Client{}}
	for _, u := range cfg.URLs {
		f.wsURLs = append(f.wsURLs, wsURL(u))
	}
	nd := loopbackDialer()
	f.http = &http.Client{
		Timeout: 30 * time.Second, // a snapshot or a create on a loaded server
		Transport: &http.Transport{
			DialContext:         nd.DialContext,
			MaxIdleConnsPerHost: fetchWorkers,
			Proxy:               nil, // never through a proxy: the target is this machine
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	f.dialer = &websocket.Dialer{
		NetDialContext:   nd.DialContext,
		HandshakeTimeout: 15 * time.Second, // a server accepting thousands of sockets is slow to answer
		ReadBufferSize:   wsBuffer,
		WriteBufferSize:  wsBuffer,
	}
	f.cur.Store(newStats())
	f.typeCtx, f.typeStop = context.WithCancel(ctx)
	lagCtx, lagStop := context.WithCancel(ctx)
	f.lagStop, f.lagDone = lagStop, make(chan struct{})
	go f.probeLag(lagCtx)
	return f
}

// probeLag measures how late this process's own timers fire. Every latency
// here is taken by this process: when it is starved of CPU (by its own load
// or by other work on the machine), deliveries are read late and look slow.
// A high lag says the figures are the generator's, not the server's.
func (f *Fleet) probeLag(ctx context.Context) {
	defer close(f.lagDone)
	t := time.NewTimer(lagTick)
	defer t.Stop()
	// Once a second, the machine's CPU pressure goes on the timeline too.
	lastAt := time.Now()
	lastPSI, psiOK := readPressure("cpu")
	for {
		start := time.Now()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now := time.Now()
		st := f.stats()
		st.lag.RecordDuration(now.Sub(start) - lagTick)
		if span := now.Sub(lastAt); psiOK && span >= time.Second {
			if p, ok := readPressure("cpu"); ok {
				st.onPressure(lastAt.Add(span/2), float64(p-lastPSI)/float64(span))
				lastPSI = p
			}
			lastAt = now
		}
		t.Reset(lagTick)
	}
}

// stats is the current window, where every event is counted.
func (f *Fleet) stats() *Stats { return f.cur.Load() }

// noteErr counts a problem over the whole run and keeps the first messages.
func (f *Fleet) noteErr(format string, args ...any) {
	f.errMu.Lock()
	defer f.errMu.Unlock()
	f.errCount++
	if len(f.errSamples) < maxErrSamples {
		msg := fmt.Sprintf(format, args...)
		f.errSamples = append(f.errSamples, msg)
		fmt.Fprintln(f.log, "loadgen: problem:", msg)
	}
}

func (f *Fleet) problems() (int, []string) {
	f.errMu.Lock()
	defer f.errMu.Unlock()
	return f.errCount, append([]string(nil), f.errSamples...)
}

// register makes c findable by its protocol id.
func (f *Fleet) register(c *Client) {
	f.idMu.Lock()
	f.byID[c.id] = c
	f.idMu.Unlock()
}

// observe records the delivery to one peer (connection n) of the submit seq
// of client.
func (f *Fleet) observe(client []byte, seq uint64, now time.Time, st *Stats, n int) {
	f.idMu.RLock()
	sub := f.byID[string(client)] // no allocation: a map index
	f.idMu.RUnlock()
	var s stamp
	ok := false
	if sub != nil {
		s, ok = sub.takeStamp(seq)
	}
	if !ok {
		st.unstamped.Add(1)
		return
	}
	d := max(now.Sub(s.sent), 0)
	st.editToPeer.For(n).RecordDuration(d)
	st.onTimeline(now, uint64(d/time.Microsecond))
	st.typeToPeer.For(n).RecordDuration(now.Sub(s.typed))
	if d > lateAfter {
		st.late.Add(1)
	}
}

// layout is who follows each board.
type layout struct {
	editors int  // participants, one section each
	viewers int  // projectors (as "viewer")
	wall    bool // the facilitator's wall follows every board of its workshop
	idle    bool // the participants never type (idle connections)
}

// plan lists the connections of boards. Connections of one board go round
// the URLs, so that with several instances most deliveries cross from one
// to another. Boards come whole, in order, so a ramp stopped half-way still
// has complete boards.
func (f *Fleet) plan(boards []*boardInfo, lay layout) []connSpec {
	var specs []connSpec
	pick := func(i int) string { return f.wsURLs[i%len(f.wsURLs)] }
	kind := kindEditor
	if lay.idle {
		kind = kindIdle
	}
	for _, b := range boards {
		k := b.idx
		for e := 0; e < lay.editors; e++ {
			specs = append(specs, connSpec{kind: kind, base: pick(k), boards: []*boardInfo{b},
				section: e % board.NumSections, name: fmt.Sprintf("Participant %d", e+1)})
			k++
		}
		for v := 0; v < lay.viewers; v++ {
			specs = append(specs, connSpec{kind: kindViewer, base: pick(k), boards: []*boardInfo{b}, name: "Projecteur"})
			k++
		}
		b.followers += lay.editors + lay.viewers
	}
	if lay.wall {
		var order []*workshop
		seen := map[*workshop][]*boardInfo{}
		for _, b := range boards {
			if seen[b.ws] == nil {
				order = append(order, b.ws)
			}
			seen[b.ws] = append(seen[b.ws], b)
			b.followers++
		}
		for i, ws := range order {
			specs = append(specs, connSpec{kind: kindWall, base: pick(i), boards: seen[ws], name: "Mur de l'animateur"})
		}
	}
	return specs
}

// connect opens specs at rate connections per second and waits for their
// welcomes. It returns the clients opened; err says why some were not.
func (f *Fleet) connect(ctx context.Context, specs []connSpec, rate float64) ([]*Client, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		opened  []*Client
		failed  int
		first   error
		sem     = make(chan struct{}, maxDialing)
		tick    = time.NewTicker(time.Duration(float64(time.Second) / rate))
		started = time.Now()
		lastLog = started
	)
	defer tick.Stop()
ramp:
	for i, spec := range specs {
		if i > 0 {
			select {
			case <-tick.C:
			case <-ctx.Done():
				break ramp
			}
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break ramp
		}
		f.mu.Lock()
		n := f.nconn
		f.nconn++
		f.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := f.open(ctx, spec, n)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				if first == nil {
					first = err
				}
				if failed >= maxRampFailures {
					cancel()
				}
				return
			}
			opened = append(opened, c)
		}()
		if time.Since(lastLog) > 2*time.Second {
			lastLog = time.Now()
			mu.Lock()
			fmt.Fprintf(f.log, "loadgen: %d/%d connections open (%.0f/s)\n", len(opened), len(specs), float64(len(opened))/time.Since(started).Seconds())
			mu.Unlock()
		}
	}
	wg.Wait()
	f.mu.Lock()
	f.clients = append(f.clients, opened...)
	f.mu.Unlock()
	if len(opened) < len(specs) {
		if first == nil {
			first = ctx.Err()
		}
		return opened, fmt.Errorf("%d of %d connections did not open (first: %v)", len(specs)-len(opened), len(specs), first)
	}
	return opened, nil
}

// startTyping sets the editors among clients typing at rate keystrokes/s
// until stopTyping.
func (f *Fleet) startTyping(clients []*Client, rate float64) {
	var typists []*Client
	for _, c := range clients {
		if c.spec.kind == kindEditor {
			typists = append(typists, c)
		}
	}
	if len(typists) == 0 {
		return
	}
	f.typers.Add(1)
	go func() {
		defer f.typers.Done()
		typeAll(f.typeCtx, typists, rate)
	}()
}

// typeAll types for every typist at rate keystrokes per second until ctx
// ends. Each strikes once per interval at its own phase, drawn at random so
// that the editors of a board do not all strike at once. All share the
// interval, so sorted by phase they strike in a fixed cycle, which one
// goroutine walks with one timer: a goroutine and a timer per typist would
// cost a wakeup and two context switches per keystroke, and keystrokes due
// together are typed in one wakeup. A cycle that ends more than an interval
// late (an overloaded machine) is not caught up in a burst: people do not
// type faster because the screen froze.
func typeAll(ctx context.Context, typists []*Client, rate float64) {
	interval := time.Duration(float64(time.Second) / rate)
	type slot struct {
		phase time.Duration
		c     *Client
	}
	slots := make([]slot, len(typists))
	for i, c := range typists {
		c.mu.Lock()
		slots[i] = slot{time.Duration(c.rnd.Int64N(int64(interval))), c}
		c.mu.Unlock()
	}
	slices.SortFunc(slots, func(a, b slot) int { return cmp.Compare(a.phase, b.phase) })
	t := time.NewTimer(interval)
	defer t.Stop()
	cycle := time.Now()
	for {
		for _, s := range slots {
			if wait := time.Until(cycle.Add(s.phase)); wait > 0 {
				t.Reset(wait)
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			} else if ctx.Err() != nil {
				return
			}
			s.c.keystroke()
		}
		cycle = cycle.Add(interval)
		if now := time.Now(); now.Sub(cycle) > interval {
			cycle = now
		}
	}
}

func (f *Fleet) stopTyping() {
	f.typeStop()
	f.typers.Wait()
}

// window is a measurement in progress.
type window struct {
	st      *Stats
	proc    ProcSample
	machine machineSample
	self    time.Duration
	start   time.Time
}

func (f *Fleet) beginWindow() *window {
	w := &window{st: newStats(), self: selfCPU(), machine: sampleMachine()}
	if len(f.cfg.PIDs) > 0 {
		w.proc = sampleProcs(f.cfg.PIDs)
	}
	w.start = time.Now()
	w.st.start = w.start
	f.cur.Store(w.st)
	return w
}

// endWindow closes w (later events go to a fresh Stats) and sums it up.
func (f *Fleet) endWindow(w *window, label string) Result {
	end := time.Now()
	f.cur.Store(newStats())
	self := selfCPU() - w.self
	secs := end.Sub(w.start).Seconds()
	st := w.st
	f.mu.Lock()
	r := Result{Label: label, Boards: len(f.boards), Conns: len(f.clients)}
	f.mu.Unlock()
	r.Window = secs
	r.EditToPeer = latencyOf(st.editToPeer.Merged())
	r.TypeToPeer = latencyOf(st.typeToPeer.Merged())
	r.Ack = latencyOf(st.ack.Merged())
	r.GenLag = latencyOf(&st.lag)
	r.Changes = st.changes.Load()
	r.Deliveries = st.deliveries.Load()
	r.ChangesPerSec = float64(r.Changes) / secs
	r.KeystrokesPerSec = float64(st.keystrokes.Load()) / secs
	r.Timeline = st.timeline(int(math.Ceil(secs)))
	r.DeliveriesPerSec = float64(r.Deliveries) / secs
	r.Lost, r.Late, r.Duplicates = st.lost.Load(), st.late.Load(), st.dups.Load()
	r.Unstamped = st.unstamped.Load()
	r.Errors, r.Rejects, r.Closed = st.errors.Load(), st.rejects.Load(), st.closed.Load()
	r.LoadgenCPU = self.Seconds() / secs
	m := sampleMachine()
	r.Machine = &MachineLoad{LoadAvg1: readLoadAvg(), CPUPressurePct: -1, IOPressurePct: -1}
	if m.cpuOK && w.machine.cpuOK {
		r.Machine.CPUPressurePct = 100 * (m.cpu - w.machine.cpu).Seconds() / secs
	}
	if m.ioOK && w.machine.ioOK {
		r.Machine.IOPressurePct = 100 * (m.io - w.machine.io).Seconds() / secs
	}
	if len(f.cfg.PIDs) > 0 {
		p := sampleProcs(f.cfg.PIDs)
		cpu := (p.CPU - w.proc.CPU).Seconds()
		r.Server = &ServerUse{
			CPUSeconds: cpu, CPUPerSec: cpu / secs,
			RSSMiB: kib(p.RSSKiB), AnonMiB: kib(p.AnonKiB), FileMiB: kib(p.FileKiB), HWMMiB: kib(p.HWMKiB), Threads: p.Threads,
			Failures: p.Failures,
		}
		if r.Changes > 0 {
			r.Server.CPUPerChangeUs = cpu * 1e6 / float64(r.Changes)
		}
	}
	return r
}

func kib(n uint64) float64 { return float64(n) / 1024 }

// finalCheck stops nothing itself: once typing has stopped, it waits for
// every submit to be acked, reads every board's durable version and text,
// gives followers until drain to reach it, then counts who did not.
func (f *Fleet) finalCheck(ctx context.Context, drain time.Duration) *Final {
	st := newStats()
	f.cur.Store(st)
	deadline := time.Now().Add(drain)
	f.mu.Lock()
	clients := append([]*Client(nil), f.clients...)
	boards := append([]*boardInfo(nil), f.boards...)
	f.mu.Unlock()

	wait := func(done func() bool) {
		for !done() && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(pollEvery)
		}
	}
	wait(func() bool {
		for _, c := range clients {
			if !c.idle() {
				return false
			}
		}
		return true
	})

	fin := &Final{Boards: len(boards)}
	finals := make(map[*boardInfo]boardState, len(boards))
	var fmu sync.Mutex
	inParallel(boards, func(b *boardInfo) {
		s, err := f.fetchBoard(ctx, b)
		fmu.Lock()
		defer fmu.Unlock()
		if err != nil {
			fin.FetchErrors++
			f.noteErr("final check: %v", err)
			return
		}
		finals[b] = s
		fin.TotalVersions += s.v
	})

	caughtUp := func() bool {
		for _, c := range clients {
			c.mu.Lock()
			for _, fl := range c.follows {
				if s, ok := finals[fl.b]; ok && fl.v < s.v && !c.closing {
					c.mu.Unlock()
					return false
				}
			}
			c.mu.Unlock()
		}
		return true
	}
	wait(caughtUp)

	for _, c := range clients {
		c.mu.Lock()
		for _, fl := range c.follows {
			s, ok := finals[fl.b]
			if !ok {
				continue
			}
			fin.Followers++
			switch {
			case fl.v == s.v:
				fin.AtFinal++
			case fl.v < s.v:
				fin.Behind++
				fin.Missing += int64(s.v - fl.v)
			default:
				fin.Ahead++ // a version the durable state does not have: never acceptable
			}
			if fl.broken || !fl.ok {
				fin.Broken++
			} else if fl.docs != s.texts {
				fin.TextMismatch++
			}
		}
		c.mu.Unlock()
	}
	fin.Lost = st.lost.Load() + fin.Missing
	fin.Errors = st.errors.Load() + st.rejects.Load() + st.closed.Load()
	fin.Converged = fin.Behind == 0 && fin.Ahead == 0 && fin.TextMismatch == 0 && fin.Broken == 0 &&
		fin.FetchErrors == 0 && fin.Lost == 0
	return fin
}

// closeAll closes every connection and stops the typists and the probe.
func (f *Fleet) closeAll() {
	f.stopTyping()
	f.lagStop()
	<-f.lagDone
	f.mu.Lock()
	clients := f.clients
	f.clients = nil
	f.mu.Unlock()
	inParallel(clients, (*Client).close)
}

// inParallel calls fn on every item, fetchWorkers at a time, and returns
// when all are done.
func inParallel[T any](items []T, fn func(T)) {
	jobs := make(chan T)
	var wg sync.WaitGroup
	for range fetchWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range jobs {
				fn(it)
			}
		}()
	}
	for _, it := range items {
		jobs <- it
	}
	close(jobs)
	wg.Wait()
}
