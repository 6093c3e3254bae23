package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// startServer builds the real server binary and runs it on a free loopback
// port with a fresh data folder; it is killed when the test ends. The
// server logs {"msg":"tablee listening","addr":…} on stderr once it listens.
func startServer(t *testing.T) (base string, pid int) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := filepath.Join(t.TempDir(), "tablee")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/tablee/tablee/server").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-data", t.TempDir())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "tablee listening" {
				addrc <- line.Addr
			}
			// Keep reading: a full pipe would block the server's logging.
		}
	}()
	select {
	case addr := <-addrc:
		return "http://" + addr, cmd.Process.Pid
	case <-done:
		t.Fatal("the server exited before listening")
	case <-time.After(15 * time.Second):
		t.Fatal("the server did not listen within 15s")
	}
	return "", 0
}

// TestWorkshopEndToEnd plays a small workshop against the real server and
// checks the figures a run must get right: edits flow, nothing is lost, and
// every follower ends on the same final version and text.
func TestWorkshopEndToEnd(t *testing.T) {
	base, pid := startServer(t)
	var log strings.Builder
	cfg, _, err := parseFlags([]string{
		"-url", base, "-workload", "workshop", "-boards", "2", "-editors", "3",
		"-duration", "2s", "-warmup", "300ms", "-drain", "3s", "-pid", strconv.Itoa(pid),
	}, &log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := run(ctx, cfg, &log)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, log.String())
	}
	if len(s.Steps) != 1 {
		t.Fatalf("%d results", len(s.Steps))
	}
	r := s.Steps[0]
	// 2 boards × (3 editors + 1 viewer) + 1 wall.
	if r.Conns != 9 || r.Boards != 2 {
		t.Errorf("%d connections on %d boards, want 9 on 2", r.Conns, r.Boards)
	}
	if r.Changes == 0 || r.Deliveries == 0 || r.EditToPeer.Count == 0 || r.Ack.Count == 0 {
		t.Errorf("nothing flowed: %+v", r)
	}
	// Each change reaches the board's 2 other editors, its viewer and the wall.
	if r.Deliveries < 3*r.Changes {
		t.Errorf("%d deliveries for %d changes, want about 4 each", r.Deliveries, r.Changes)
	}
	if r.Lost != 0 || r.Duplicates != 0 || r.Errors != 0 || r.Rejects != 0 || r.Closed != 0 || r.Unstamped != 0 {
		t.Errorf("lost %d, dups %d, errors %d, rejects %d, closed %d, unstamped %d", r.Lost, r.Duplicates, r.Errors, r.Rejects, r.Closed, r.Unstamped)
	}
	if r.Server == nil || r.Server.CPUSeconds <= 0 || r.Server.RSSMiB <= 0 {
		t.Errorf("server use not measured: %+v", r.Server)
	}
	f := s.Final
	if f == nil || !f.Converged || f.Followers != 2*4+2 || f.AtFinal != f.Followers || f.Lost != 0 || f.TextMismatch != 0 {
		t.Errorf("final check: %+v", f)
	}
	if f != nil && f.TotalVersions < uint64(r.Changes) {
		t.Errorf("the boards hold %d versions, fewer than the %d changes acked in the window", f.TotalVersions, r.Changes)
	}
	if s.Problems != 0 {
		t.Errorf("problems: %v", s.ProblemSamples)
	}
	if s.SlowFrames != 0 {
		t.Errorf("%d ops or acks missed the fast decoder: the server's frames changed form (see frame.go)", s.SlowFrames)
	}
	if t.Failed() {
		var out strings.Builder
		printSummary(&out, s)
		t.Log(out.String(), log.String())
	}
}
