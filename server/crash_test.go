package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tablee/tablee/board"
)

// serverProc is the tablee binary running as its own process.
type serverProc struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
}

func buildServer(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tablee")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startProc starts the binary on a free loopback port and waits until it
// listens (it logs its address).
func startProc(t *testing.T, bin, data string) *serverProc {
	t.Helper()
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-data", data)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProc{cmd: cmd, done: make(chan struct{})}
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
		}
	}()
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	select {
	case p.addr = <-addrc:
	case <-p.done:
		t.Fatal("server exited before listening")
	case <-time.After(20 * time.Second):
		t.Fatal("server did not start within 20s")
	}
	return p
}

func (p *serverProc) kill() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// TestCrashKeepsAcknowledgedEdits kills the server with SIGKILL while
// clients type, restarts it on the same data, and checks that every edit
// that was acknowledged before the kill is on the board.
func TestCrashKeepsAcknowledgedEdits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	bin := buildServer(t)
	data := t.TempDir()
	p := startProc(t, bin, data)
	ts := &httptest.Server{URL: "http://" + p.addr}
	w := createWorkshop(t, ts.URL)
	b := w.Groups[0].Board
	sections := []string{"etat_des_lieux", "enjeux", "animation", "financement"}

	var acked sync.Map // token → true, for every acknowledged insert
	var nAcked atomic.Int64
	var wg sync.WaitGroup
	for i, sec := range sections {
		c := dial(t, ts)
		if m := c.hello(b, w.Code); m.Type != "welcome" {
			t.Fatalf("hello: %s", m.raw)
		}
		wg.Add(1)
		go func(i int, sec string, c *wsConn) {
			defer wg.Done()
			var v uint64
			length := 0
			for seq := uint64(1); seq <= 2000; seq++ {
				token := fmt.Sprintf("[%d-%d é🌱]", i, seq)
				c.submit(b, seq, v, map[string]any{"kind": "text", "section": sec, "op": []any{length, token}})
				for {
					m, ok := <-c.in
					if !ok {
						return // the server died
					}
					if m.Type == "op" && m.V > v {
						v = m.V
						continue
					}
					if m.Type == "reject" {
						t.Errorf("reject: %s", m.raw)
						return
					}
					if m.Type == "ack" {
						v = m.V
						length += board.UTF16Len(token)
						acked.Store(token, true)
						nAcked.Add(1)
						break
					}
				}
			}
		}(i, sec, c)
	}
	// Kill in the middle of the typing.
	deadline := time.Now().Add(30 * time.Second)
	for nAcked.Load() < 400 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	p.kill()
	wg.Wait()
	if nAcked.Load() < 400 {
		t.Fatalf("only %d acks before the deadline", nAcked.Load())
	}

	p2 := startProc(t, bin, data)
	_, snap := getSnapshot(t, "http://"+p2.addr, b, w.Code)
	all := ""
	for _, sec := range sections {
		all += sectionText(t, snap, sec)
	}
	missing := 0
	acked.Range(func(k, _ any) bool {
		if n := strings.Count(all, k.(string)); n != 1 {
			missing++
			if missing < 5 {
				t.Errorf("acknowledged %q found %d times after the crash", k, n)
			}
		}
		return true
	})
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged edits lost or doubled", missing, nAcked.Load())
	}
	t.Logf("%d acknowledged edits all present after SIGKILL", nAcked.Load())

	// And the restarted server keeps working on the same board.
	c := dial(t, &httptest.Server{URL: "http://" + p2.addr})
	m := c.hello(b, w.Code)
	c.submit(b, 1, m.V, textChange("calendrier", "Après la panne"))
	if a := c.next("ack", "reject"); a.Type != "ack" || a.V != m.V+1 {
		t.Fatalf("after restart: %s", a.raw)
	}
	// Graceful stop (SIGTERM) flushes and exits cleanly.
	p2.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p2.done:
		if code := p2.cmd.ProcessState.ExitCode(); code != 0 {
			t.Fatalf("exit code %d after SIGTERM", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit within 20s of SIGTERM")
	}
}
