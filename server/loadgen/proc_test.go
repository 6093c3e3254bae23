package main

import (
	"os"
	"testing"
	"time"
)

func TestProcOwnProcess(t *testing.T) {
	// Burn a little CPU so that utime moves past a tick.
	start := time.Now()
	x := 0
	for time.Since(start) < 50*time.Millisecond {
		x++
	}
	_ = x
	pid := os.Getpid()
	cpu, err := readCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	if cpu <= 0 || cpu > time.Hour {
		t.Fatalf("own CPU %v", cpu)
	}
	if self := selfCPU(); self+100*time.Millisecond < cpu {
		t.Fatalf("/proc says %v of CPU, getrusage %v", cpu, self)
	}
	m, err := readStatus(pid)
	if err != nil {
		t.Fatal(err)
	}
	if m.RSSKiB == 0 || m.HWMKiB < m.RSSKiB || m.AnonKiB == 0 || m.AnonKiB > m.RSSKiB || m.Threads == 0 {
		t.Fatalf("own status %+v", m)
	}
	s := sampleProcs([]int{pid, pid})
	if len(s.Failures) > 0 || s.RSSKiB < m.RSSKiB || s.CPU < 2*cpu {
		t.Fatalf("two samples of the same pid summed to %+v (one: %v, %+v)", s, cpu, m)
	}
	if lim := readOpenFilesLimit(pid); lim == 0 {
		t.Fatal("no open files limit read")
	}
	if s := sampleProcs([]int{1 << 30}); len(s.Failures) != 1 {
		t.Fatalf("a missing pid must be reported: %+v", s)
	}
}

func TestParseStatOddName(t *testing.T) {
	// A command name may hold spaces and parentheses.
	line := "4242 (we (ird) name) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 130 0 0 20 0 9 0 100 1000000 2000 18446744073709551615\n"
	cpu, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if want := 3800 * time.Millisecond; cpu != want {
		t.Fatalf("cpu %v, want %v (250+130 ticks)", cpu, want)
	}
	if _, err := parseStat([]byte("1 (x) S 1 2")); err == nil {
		t.Fatal("short line accepted")
	}
}

func TestParseStatus(t *testing.T) {
	m, err := parseStatus([]byte("Name:\ttablee\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\nRssAnon:\t   30000 kB\nRssFile:\t   10960 kB\nThreads:\t12\n"))
	if err != nil {
		t.Fatal(err)
	}
	if m.RSSKiB != 40960 || m.HWMKiB != 51200 || m.AnonKiB != 30000 || m.FileKiB != 10960 || m.Threads != 12 {
		t.Fatalf("%+v", m)
	}
	if _, err := parseStatus([]byte("Name:\tkthreadd\n")); err == nil {
		t.Fatal("a status without memory lines accepted")
	}
}

func TestParsePressure(t *testing.T) {
	d, ok := parsePressure([]byte("some avg10=6.35 avg60=7.90 avg300=3.30 total=20900036\nfull avg10=1.51 avg60=2.76 avg300=1.05 total=8024616\n"))
	if !ok || d != 20900036*time.Microsecond {
		t.Fatalf("%v %v", d, ok)
	}
	if _, ok := parsePressure([]byte("garbage")); ok {
		t.Fatal("garbage parsed")
	}
}
