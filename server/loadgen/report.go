package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// Latency is a latency distribution, in milliseconds.
type Latency struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	Max   float64 `json:"max"`
}

func latencyOf(h *Hist) Latency {
	ms := func(us uint64) float64 { return float64(us) / 1000 }
	return Latency{Count: h.Count(), P50: ms(h.Quantile(0.50)), P99: ms(h.Quantile(0.99)),
		P999: ms(h.Quantile(0.999)), Max: ms(h.Max())}
}

// ServerUse is what the server's processes spent during a window.
type ServerUse struct {
	CPUSeconds     float64  `json:"cpuSeconds"`
	CPUPerSec      float64  `json:"cpuPerSecond"` // cores busy on average
	CPUPerChangeUs float64  `json:"cpuMicrosPerChange,omitempty"`
	RSSMiB         float64  `json:"vmRssMiB"`
	AnonMiB        float64  `json:"rssAnonMiB"` // heap and stacks
	FileMiB        float64  `json:"rssFileMiB"` // mapped files: the database's mmap, the binary
	HWMMiB         float64  `json:"vmHwmMiB"`
	Threads        uint64   `json:"threads"`
	Failures       []string `json:"failures,omitempty"`
}

// Result is one measurement window (a whole workload, or one step).
type Result struct {
	Label            string       `json:"label"`
	Multiplier       float64      `json:"multiplier,omitempty"`
	Boards           int          `json:"boards"`
	Conns            int          `json:"connections"`
	Window           float64      `json:"windowSeconds"`
	EditToPeer       Latency      `json:"editToPeerMs"`
	TypeToPeer       Latency      `json:"typeToPeerMs"`
	Ack              Latency      `json:"ackMs"`
	GenLag           Latency      `json:"generatorLagMs"`      // how late the generator's own 10 ms timer fired
	KeystrokesPerSec float64      `json:"keystrokesPerSecond"` // typed; a submit carries those typed while the previous was in flight
	Changes          int64        `json:"changes"`
	ChangesPerSec    float64      `json:"changesPerSecond"`
	Deliveries       int64        `json:"deliveries"`
	DeliveriesPerSec float64      `json:"deliveriesPerSecond"`
	Lost             int64        `json:"lost"`
	Late             int64        `json:"late"`
	Duplicates       int64        `json:"duplicates"`
	Unstamped        int64        `json:"unstamped"`
	Errors           int64        `json:"errors"`
	Rejects          int64        `json:"rejects"`
	Closed           int64        `json:"closed"`
	LoadgenCPU       float64      `json:"loadgenCpuPerSecond"`
	Server           *ServerUse   `json:"server,omitempty"`
	Machine          *MachineLoad `json:"machine,omitempty"`
	Timeline         []Second     `json:"timeline"`
}

// Second is one second of a window: deliveries received in it and the
// worst edit→peer latency among them.
type Second struct {
	T              int     `json:"t"`
	Ops            uint64  `json:"ops"`
	MaxMs          float64 `json:"maxMs"`
	CPUPressurePct float64 `json:"cpuPressurePct"` // the machine's, -1 when not measured
}

// worstSeconds returns the n seconds of the timeline with the highest max.
func worstSeconds(tl []Second, n int) []Second {
	out := slices.Clone(tl)
	slices.SortStableFunc(out, func(a, b Second) int { return cmp.Compare(b.MaxMs, a.MaxMs) })
	return out[:min(n, len(out))]
}

// MachineLoad is what else the machine was doing during a window: the share
// of the time some task waited for a CPU or for I/O (Linux PSI "some", -1
// when unavailable), and the load average at its end. High values mean other
// work competed with the server and the figures are pessimistic.
type MachineLoad struct {
	CPUPressurePct float64 `json:"cpuPressurePct"`
	IOPressurePct  float64 `json:"ioPressurePct"`
	LoadAvg1       float64 `json:"loadAvg1"`
}

// Final is the end-of-run check: every follower at the board's durable
// version, with the board's durable text.
type Final struct {
	Boards        int    `json:"boards"`
	TotalVersions uint64 `json:"totalVersions"`
	Followers     int    `json:"followers"`
	AtFinal       int    `json:"atFinal"`
	Behind        int    `json:"behind"`
	Ahead         int    `json:"ahead"`
	Missing       int64  `json:"missingVersions"`
	Lost          int64  `json:"lost"` // gaps during the drain + versions missing at the end
	TextMismatch  int    `json:"textMismatch"`
	Broken        int    `json:"broken"` // follows whose text was not kept (a gap, a reject)
	FetchErrors   int    `json:"fetchErrors"`
	Errors        int64  `json:"errorsDuringDrain"`
	Converged     bool   `json:"converged"`
}

// RSSPoint is the server's memory with n connections open and idle.
type RSSPoint struct {
	Conns          int     `json:"connections"`
	RSSMiB         float64 `json:"vmRssMiB"`
	AnonMiB        float64 `json:"rssAnonMiB"`
	FileMiB        float64 `json:"rssFileMiB"`
	PerConnKiB     float64 `json:"perConnectionKiB,omitempty"`     // (RSS − RSS at 0) / n
	AnonPerConnKiB float64 `json:"anonPerConnectionKiB,omitempty"` // (RssAnon − RssAnon at 0) / n
}

// Summary is everything a run reports.
type Summary struct {
	Workload       string     `json:"workload"`
	Shape          string     `json:"shape"`
	Targets        []string   `json:"targets"`
	PIDs           []int      `json:"pids,omitempty"`
	FDLimit        uint64     `json:"fdLimit"`
	RSS            []RSSPoint `json:"rss,omitempty"`
	Steps          []Result   `json:"results"`
	Stop           string     `json:"stopReason,omitempty"`
	Final          *Final     `json:"final,omitempty"`
	Problems       int        `json:"problems"`
	ProblemSamples []string   `json:"problemSamples,omitempty"`
	Notes          []string   `json:"notes,omitempty"`
	// SlowFrames counts the ops and acks, and the changes of ops, that the
	// fast decoder (frame.go) left to encoding/json or board.DecodeChanges:
	// none from this server.
	SlowFrames int64 `json:"slowFrames,omitempty"`
}

func writeJSON(w io.Writer, s *Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

func printHeader(w io.Writer, s *Summary) {
	fmt.Fprintf(w, "workload   %s: %s\n", s.Workload, s.Shape)
	fmt.Fprintf(w, "target     %s", strings.Join(s.Targets, ", "))
	if len(s.PIDs) > 0 {
		fmt.Fprintf(w, "   (server pids %v)", s.PIDs)
	}
	fmt.Fprintln(w)
	for _, n := range s.Notes {
		fmt.Fprintf(w, "note       %s\n", n)
	}
}

// printResult prints one window in full.
func printResult(w io.Writer, r Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "\n%s: %d boards, %d connections, window %.1f s\n", r.Label, r.Boards, r.Conns, r.Window)
	fmt.Fprintln(tw, "latency (ms)\tcount\tp50\tp99\tp99.9\tmax\t")
	for _, l := range []struct {
		name string
		v    Latency
	}{{"edit→peer", r.EditToPeer}, {"keystroke→peer", r.TypeToPeer}, {"ack", r.Ack}, {"generator lag", r.GenLag}} {
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t\n", l.name, l.v.Count, l.v.P50, l.v.P99, l.v.P999, l.v.Max)
	}
	tw.Flush()
	fmt.Fprintf(w, "changes in        %9.1f /s  (%d acked; %.1f keystrokes/s typed)\n", r.ChangesPerSec, r.Changes, r.KeystrokesPerSec)
	fmt.Fprintf(w, "deliveries out    %9.1f /s  (%d ops received)\n", r.DeliveriesPerSec, r.Deliveries)
	fmt.Fprintf(w, "lost / late >1s   %d / %d   (duplicates %d, unstamped %d)\n", r.Lost, r.Late, r.Duplicates, r.Unstamped)
	fmt.Fprintf(w, "errors / rejects  %d / %d   (connections closed %d)\n", r.Errors, r.Rejects, r.Closed)
	if ws := worstSeconds(r.Timeline, 3); len(ws) > 0 {
		fmt.Fprint(w, "worst seconds    ")
		for _, s := range ws {
			fmt.Fprintf(w, " t=%ds max %.1f ms (%d ops, cpu psi %.0f%%);", s.T, s.MaxMs, s.Ops, s.CPUPressurePct)
		}
		fmt.Fprintln(w)
	}
	if s := r.Server; s != nil {
		fmt.Fprintf(w, "server CPU        %.2f s over the window = %.2f cores", s.CPUSeconds, s.CPUPerSec)
		if s.CPUPerChangeUs > 0 {
			fmt.Fprintf(w, ", %.0f µs per change", s.CPUPerChangeUs)
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "server memory     VmRSS %.1f MiB (anon %.1f, files %.1f), VmHWM %.1f MiB, %d threads\n", s.RSSMiB, s.AnonMiB, s.FileMiB, s.HWMMiB, s.Threads)
		for _, f := range s.Failures {
			fmt.Fprintf(w, "server /proc      %s\n", f)
		}
	}
	fmt.Fprintf(w, "loadgen CPU       %.2f cores\n", r.LoadgenCPU)
	if m := r.Machine; m != nil {
		fmt.Fprintf(w, "machine           CPU pressure %.0f%%, I/O pressure %.0f%% of the window, load average %.2f\n", m.CPUPressurePct, m.IOPressurePct, m.LoadAvg1)
	}
}

// stepColumns is the header of the one-line-per-step table.
const stepColumns = "step\tboards\tconns\tchanges/s\tdeliv/s\tp50 ms\tp99 ms\tp99.9 ms\tmax ms\tack p99\tlost\tlate\terr\tsrv cores\tµs/change\tRSS MiB\tgen cores\tgen lag max\tcpu psi %\t"

func stepLine(r Result) string {
	cores, us, rss := "-", "-", "-"
	if s := r.Server; s != nil {
		cores, rss = fmt.Sprintf("%.2f", s.CPUPerSec), fmt.Sprintf("%.0f", s.RSSMiB)
		us = fmt.Sprintf("%.0f", s.CPUPerChangeUs)
	}
	psi := "-"
	if r.Machine != nil && r.Machine.CPUPressurePct >= 0 {
		psi = fmt.Sprintf("%.0f", r.Machine.CPUPressurePct)
	}
	return fmt.Sprintf("%s\t%d\t%d\t%.0f\t%.0f\t%.2f\t%.2f\t%.2f\t%.1f\t%.2f\t%d\t%d\t%d\t%s\t%s\t%s\t%.2f\t%.1f\t%s\t",
		r.Label, r.Boards, r.Conns, r.ChangesPerSec, r.DeliveriesPerSec, r.EditToPeer.P50, r.EditToPeer.P99,
		r.EditToPeer.P999, r.EditToPeer.Max, r.Ack.P99, r.Lost, r.Late, r.Errors+r.Rejects+r.Closed, cores, us, rss, r.LoadgenCPU, r.GenLag.Max, psi)
}

// printSteps prints every step as one line of a table.
func printSteps(w io.Writer, rs []Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, stepColumns)
	for _, r := range rs {
		fmt.Fprintln(tw, stepLine(r))
	}
	tw.Flush()
}

func printRSS(w io.Writer, pts []RSSPoint) {
	if len(pts) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "\nserver memory with idle connections (connected and welcomed, nobody typing)")
	fmt.Fprintln(tw, "connections\tVmRSS MiB\tRssAnon MiB\tRssFile MiB\tKiB per connection\tanon KiB per connection\t")
	for _, p := range pts {
		per, anon := "-", "-"
		if p.Conns > 0 {
			per, anon = fmt.Sprintf("%.1f", p.PerConnKiB), fmt.Sprintf("%.1f", p.AnonPerConnKiB)
		}
		fmt.Fprintf(tw, "%d\t%.1f\t%.1f\t%.1f\t%s\t%s\t\n", p.Conns, p.RSSMiB, p.AnonMiB, p.FileMiB, per, anon)
	}
	tw.Flush()
}

func printFinal(w io.Writer, f *Final) {
	if f == nil {
		return
	}
	verdict := "CONVERGED"
	if !f.Converged {
		verdict = "NOT CONVERGED"
	}
	fmt.Fprintf(w, "\nfinal check       %s: %d/%d follows at their board's durable version (%d boards, %d versions in all)\n",
		verdict, f.AtFinal, f.Followers, f.Boards, f.TotalVersions)
	fmt.Fprintf(w, "                  behind %d (missing %d versions), ahead %d, lost %d, text mismatch %d, untracked %d, unreadable boards %d, errors while draining %d\n",
		f.Behind, f.Missing, f.Ahead, f.Lost, f.TextMismatch, f.Broken, f.FetchErrors, f.Errors)
}

// printSummary prints the whole report as text. Steps already streamed
// (stepup) are printed again, as one table, for a clean copy.
func printSummary(w io.Writer, s *Summary) {
	printHeader(w, s)
	printRSS(w, s.RSS)
	switch {
	case len(s.Steps) == 1:
		printResult(w, s.Steps[0])
	case len(s.Steps) > 1:
		fmt.Fprintln(w)
		printSteps(w, s.Steps)
		for _, r := range s.Steps {
			fmt.Fprintf(w, "%s worst seconds:", r.Label)
			for _, sec := range worstSeconds(r.Timeline, 3) {
				fmt.Fprintf(w, " t=%ds max %.1f ms (%d ops, cpu psi %.0f%%);", sec.T, sec.MaxMs, sec.Ops, sec.CPUPressurePct)
			}
			fmt.Fprintln(w)
		}
	}
	if s.Stop != "" {
		fmt.Fprintf(w, "\nstopped           %s\n", s.Stop)
	}
	printFinal(w, s.Final)
	if s.Problems > 0 {
		fmt.Fprintf(w, "\nproblems          %d over the whole run; first ones:\n", s.Problems)
		for _, p := range s.ProblemSamples {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
}
