package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat. It
// is 100 on every Linux architecture Go supports (the kernel fixes it for
// user space whatever CONFIG_HZ is), and reading sysconf would need cgo.
const clockTicks = 100

// ProcSample is what /proc tells about one or several processes (summed).
type ProcSample struct {
	At       time.Time
	CPU      time.Duration // utime + stime since the process started
	RSSKiB   uint64        // VmRSS: resident memory now
	AnonKiB  uint64        // RssAnon: the heap and stacks (what connections cost)
	FileKiB  uint64        // RssFile: mapped files resident (bbolt's mmap of the database, the binary)
	HWMKiB   uint64        // VmHWM: peak resident memory (summed over the processes: an upper bound of the peak of the sum)
	Threads  uint64
	Failures []string // processes that could not be read (gone?)
}

// readCPU returns utime+stime of pid from /proc/PID/stat.
func readCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStat(data)
}

// parseStat reads utime and stime (fields 14 and 15) of a /proc/PID/stat
// line. The command name (field 2) is in parentheses and may hold spaces
// and parentheses itself, so fields are counted after its last ')'.
func parseStat(data []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(data, ')')
	if end < 0 {
		return 0, fmt.Errorf("/proc stat: no command name")
	}
	// After ')' come field 3 (state) onwards: utime is the 12th of them.
	f := strings.Fields(string(data[end+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc stat: %d fields after the name, want ≥ 13", len(f))
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc stat: utime %q stime %q", f[11], f[12])
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// memStatus holds the lines of /proc/PID/status this tool reads.
type memStatus struct {
	RSSKiB, HWMKiB, AnonKiB, FileKiB, Threads uint64
}

// readStatus reads VmRSS, VmHWM, RssAnon, RssFile and Threads of pid.
func readStatus(pid int) (memStatus, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memStatus{}, err
	}
	return parseStatus(data)
}

func parseStatus(data []byte) (memStatus, error) {
	var m memStatus
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *uint64
		switch key {
		case "VmRSS":
			dst = &m.RSSKiB
		case "VmHWM":
			dst = &m.HWMKiB
		case "RssAnon":
			dst = &m.AnonKiB
		case "RssFile":
			dst = &m.FileKiB
		case "Threads":
			dst = &m.Threads
		default:
			continue
		}
		f := strings.Fields(val) // "12345 kB" or "7"
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil {
			return m, fmt.Errorf("/proc status %s: %q", key, val)
		}
		*dst = n
	}
	if m.RSSKiB == 0 && m.HWMKiB == 0 {
		// Kernel threads have no Vm lines; our targets always do.
		return m, fmt.Errorf("/proc status: no VmRSS/VmHWM")
	}
	return m, nil
}

// sampleProcs reads every pid and sums them: several server instances, and
// redis-server, count as one deployment.
func sampleProcs(pids []int) ProcSample {
	s := ProcSample{At: time.Now()}
	for _, pid := range pids {
		cpu, err := readCPU(pid)
		if err != nil {
			s.Failures = append(s.Failures, fmt.Sprintf("pid %d: %v", pid, err))
			continue
		}
		m, err := readStatus(pid)
		if err != nil {
			s.Failures = append(s.Failures, fmt.Sprintf("pid %d: %v", pid, err))
			continue
		}
		s.CPU += cpu
		s.RSSKiB += m.RSSKiB
		s.HWMKiB += m.HWMKiB
		s.AnonKiB += m.AnonKiB
		s.FileKiB += m.FileKiB
		s.Threads += m.Threads
	}
	return s
}

// readOpenFilesLimit returns the soft "Max open files" of pid, from
// /proc/PID/limits (0 when unlimited or unreadable).
func readOpenFilesLimit(pid int) uint64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "Max open files"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				n, _ := strconv.ParseUint(f[0], 10, 64) // "unlimited" → 0
				return n
			}
		}
	}
	return 0
}

// selfCPU is this process's own CPU time (user + system), to tell whether
// the generator, rather than the server, was the bottleneck.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// raiseFileLimit lifts RLIMIT_NOFILE to its hard limit (every connection is
// a descriptor) and returns the soft limit in force afterwards.
func raiseFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur < lim.Max {
		want := lim
		want.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			return lim.Cur, err
		}
		lim = want
	}
	return lim.Cur, nil
}

// readPressure returns the total time some task of the machine was stalled
// on kind ("cpu" or "io"), from /proc/pressure (PSI). Other work on the
// machine delays the server without showing in its own CPU time: this is
// how a report tells a noisy measurement.
func readPressure(kind string) (time.Duration, bool) {
	data, err := os.ReadFile("/proc/pressure/" + kind)
	if err != nil {
		return 0, false
	}
	return parsePressure(data)
}

// parsePressure reads total= (µs) of the "some" line of a PSI file.
func parsePressure(data []byte) (time.Duration, bool) {
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "some ") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, "total="); ok {
				n, err := strconv.ParseUint(v, 10, 64)
				return time.Duration(n) * time.Microsecond, err == nil
			}
		}
	}
	return 0, false
}

// readLoadAvg returns the 1-minute load average of the machine.
func readLoadAvg() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// machineSample is the machine-wide stall counters at one instant.
type machineSample struct {
	cpu, io     time.Duration
	cpuOK, ioOK bool
}

func sampleMachine() machineSample {
	var m machineSample
	m.cpu, m.cpuOK = readPressure("cpu")
	m.io, m.ioOK = readPressure("io")
	return m
}
