package main

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// A Hist is a log-linear histogram of durations in microseconds, in the
// manner of HdrHistogram: exact below 2^histPrecision µs, then every doubling
// of the value is cut into 2^(histPrecision-1) equal buckets, so a bucket is
// never wider than 1/64 of the values it holds. Counters are atomic: many
// connections record into one Hist without a lock, and histograms merge by
// adding their buckets.
const (
	// histPrecision is the number of significant bits kept: 7 gives
	// buckets at most 1/64 (1.6 %) wide, finer than the noise of a
	// loaded machine, in 16 KiB per histogram.
	histPrecision = 7
	// histMaxBits bounds the values recorded: 2^36 µs is 19 hours, far
	// past any run; larger values are clamped into the last bucket.
	histMaxBits = 36
	// histSub is the number of buckets per doubling past the exact range.
	histSub = 1 << (histPrecision - 1)
	// histBuckets is the number of buckets up to 2^histMaxBits.
	histBuckets = (histMaxBits - histPrecision + 2) * histSub
	// histMaxValue is the largest value kept exactly in its bucket.
	histMaxValue = 1<<histMaxBits - 1
)

// Hist is safe for concurrent Record, Merge and reads; the zero value is
// empty and ready.
type Hist struct {
	counts [histBuckets]atomic.Uint64
	n      atomic.Uint64
	max    atomic.Uint64
}

// bucketOf returns the bucket holding v (in µs).
func bucketOf(v uint64) int {
	if v > histMaxValue {
		v = histMaxValue
	}
	if v < 1<<histPrecision {
		return int(v)
	}
	e := bits.Len64(v) - histPrecision // ≥ 1: how far v is shifted to keep 7 bits
	return e*histSub + int(v>>e)
}

// bucketHigh returns the largest value that falls in bucket i, what a
// percentile reports: the reported value is never below the true one and
// at most 1/64 above it.
func bucketHigh(i int) uint64 {
	if i < 1<<histPrecision {
		return uint64(i)
	}
	e := i/histSub - 1
	m := uint64(i%histSub + histSub)
	return (m+1)<<e - 1
}

// Record adds one value, in µs.
func (h *Hist) Record(us uint64) {
	h.counts[bucketOf(us)].Add(1)
	h.n.Add(1)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			return
		}
	}
}

// RecordDuration adds one duration; negative ones (clock steps) count as 0.
func (h *Hist) RecordDuration(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.Record(uint64(d / time.Microsecond))
}

// Merge adds every count of o into h.
func (h *Hist) Merge(o *Hist) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c != 0 {
			h.counts[i].Add(c)
		}
	}
	h.n.Add(o.n.Load())
	om := o.max.Load()
	for {
		m := h.max.Load()
		if om <= m || h.max.CompareAndSwap(m, om) {
			return
		}
	}
}

// Count is the number of values recorded.
func (h *Hist) Count() uint64 { return h.n.Load() }

// Max is the largest value recorded, exactly.
func (h *Hist) Max() uint64 { return h.max.Load() }

// Quantile returns the value at quantile q (0 < q ≤ 1): the smallest
// bucket bound below which at least q of the values fall, never above the
// maximum. 0 for an empty histogram.
func (h *Hist) Quantile(q float64) uint64 {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	rank = max(1, min(rank, n))
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return min(bucketHigh(i), h.max.Load())
		}
	}
	return h.max.Load() // a Record racing with this read
}

// Shards spreads recording over several histograms, so that connections on
// different cores do not fight over one cache line; Merged adds them up.
type Shards struct {
	h [histShards]Hist
}

// histShards is how many histograms a Shards holds: a few per core of the
// machines this runs on is enough to keep contention out of the picture.
const histShards = 8

// For returns the shard of the connection numbered i.
func (s *Shards) For(i int) *Hist { return &s.h[i%histShards] }

// Merged returns one histogram holding every shard's values.
func (s *Shards) Merged() *Hist {
	var out Hist
	for i := range s.h {
		out.Merge(&s.h[i])
	}
	return &out
}
