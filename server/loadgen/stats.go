package main

import (
	"math"
	"sync/atomic"
	"time"
)

const (
	// lateAfter is when a delivery counts as late: a second is where a
	// collaborator notices that what another typed did not show up "live".
	lateAfter = time.Second
	// timelineSlots is how many seconds of a window the per-second
	// timeline keeps (later ones fold into the last): ten minutes is
	// longer than any window, at 9 KiB.
	timelineSlots = 600
)

// Stats gathers one measurement window. Many connections update it at once,
// every field atomically; a window begins by swapping the fleet's current
// *Stats for a fresh one, so nothing is ever reset under a writer's feet.
type Stats struct {
	start time.Time

	editToPeer Shards // submit sent → op received by a peer
	typeToPeer Shards // first keystroke composed into the submit → op received by a peer
	ack        Shards // submit sent → its ack received
	lag        Hist   // how late the generator's own timer woke: its scheduling delay

	changes    atomic.Int64 // submits acknowledged
	deliveries atomic.Int64 // ops received by peers
	lost       atomic.Int64 // versions skipped by a follower (gaps), and, at the end, missing
	late       atomic.Int64 // deliveries later than lateAfter
	dups       atomic.Int64 // versions received twice
	unstamped  atomic.Int64 // ops whose (client, seq) no submitter recorded
	errors     atomic.Int64 // error messages, protocol surprises, failed writes
	rejects    atomic.Int64 // rejected submits
	closed     atomic.Int64 // connections that closed under us
	keystrokes atomic.Int64 // characters typed (several may share a submit)

	// Per second of the window: deliveries and the worst edit→peer, to
	// tell a steady tail from a few stalls.
	slotN   [timelineSlots]atomic.Uint64
	slotMax [timelineSlots]atomic.Uint64
	// slotPSI is the machine's CPU pressure in that second (float64 bits,
	// +1 so that 0 means "not measured"), to tell a stall of the server
	// from a burst of other work on the machine.
	slotPSI [timelineSlots]atomic.Uint64
}

// onPressure records the machine's CPU pressure (a share, 0–1) measured
// around at.
func (s *Stats) onPressure(at time.Time, share float64) {
	i := int(at.Sub(s.start) / time.Second)
	if i < 0 || i >= timelineSlots {
		return
	}
	s.slotPSI[i].Store(math.Float64bits(share + 1))
}

// onTimeline records a delivery at now with edit→peer latency us.
func (s *Stats) onTimeline(now time.Time, us uint64) {
	i := int(now.Sub(s.start) / time.Second)
	i = max(0, min(i, timelineSlots-1))
	s.slotN[i].Add(1)
	for {
		m := s.slotMax[i].Load()
		if us <= m || s.slotMax[i].CompareAndSwap(m, us) {
			return
		}
	}
}

// timeline returns the first n seconds of the window.
func (s *Stats) timeline(n int) []Second {
	n = min(n, timelineSlots)
	out := make([]Second, n)
	for i := range out {
		out[i] = Second{T: i, Ops: s.slotN[i].Load(), MaxMs: float64(s.slotMax[i].Load()) / 1000, CPUPressurePct: -1}
		if b := s.slotPSI[i].Load(); b != 0 {
			out[i].CPUPressurePct = 100 * (math.Float64frombits(b) - 1)
		}
	}
	return out
}

func newStats() *Stats { return &Stats{start: time.Now()} }

// stamp is when a submit left its client, kept by the submitter
// (Client.stamps) and read by every peer that receives the op, which
// carries the submitter's id and seq: all clients live in this process, so
// one clock serves.
type stamp struct {
	sent  time.Time // the submit was written
	typed time.Time // the oldest keystroke in it
	// left counts the peers still to receive it; the last one deletes the
	// stamp so that the map stays as small as the deliveries in flight.
	left int32
}
