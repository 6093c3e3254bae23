package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// exactQuantile is the nearest-rank quantile of sorted values, the
// definition Hist.Quantile approximates.
func exactQuantile(sorted []uint64, q float64) uint64 {
	rank := int(math.Ceil(q * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

func TestHistQuantilesAgainstSortedSlice(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		gen  func() uint64
	}{
		{"small exact", func() uint64 { return uint64(rnd.IntN(128)) }},
		{"log-normal around 3ms", func() uint64 { return uint64(math.Exp(rnd.NormFloat64()*1.2 + 8)) }},
		{"uniform to 10s", func() uint64 { return rnd.Uint64N(10_000_000) }},
		{"with a far tail", func() uint64 {
			if rnd.IntN(1000) == 0 {
				return 5_000_000 + rnd.Uint64N(1_000_000)
			}
			return 500 + rnd.Uint64N(2000)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h Hist
			vals := make([]uint64, 100_000)
			for i := range vals {
				vals[i] = tc.gen()
				h.Record(vals[i])
			}
			slices.Sort(vals)
			if h.Count() != uint64(len(vals)) {
				t.Fatalf("count %d, want %d", h.Count(), len(vals))
			}
			if h.Max() != vals[len(vals)-1] {
				t.Fatalf("max %d, want %d", h.Max(), vals[len(vals)-1])
			}
			for _, q := range []float64{0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 1} {
				want := exactQuantile(vals, q)
				got := h.Quantile(q)
				// Never below the truth, at most one bucket (1/64) above.
				if got < want || got > want+want/64+1 {
					t.Errorf("q%.4f = %d, want %d (+1/64 at most)", q, got, want)
				}
			}
		})
	}
}

func TestHistBuckets(t *testing.T) {
	prev := -1
	for v := uint64(0); v < 1<<20; v++ {
		i := bucketOf(v)
		if i < prev || i > prev+1 {
			t.Fatalf("bucketOf(%d) = %d after %d: buckets must be contiguous", v, i, prev)
		}
		prev = i
		if hi := bucketHigh(i); hi < v || hi-v > v/64 {
			t.Fatalf("bucketHigh(bucketOf(%d)) = %d", v, hi)
		}
	}
	if i := bucketOf(math.MaxUint64); i != histBuckets-1 {
		t.Fatalf("huge value in bucket %d, want the last, %d", i, histBuckets-1)
	}
	var h Hist
	if h.Quantile(0.5) != 0 || h.Max() != 0 {
		t.Fatal("empty histogram must answer 0")
	}
}

// TestShardsMergeConcurrent records from many goroutines into shards and
// checks that the merge equals one histogram of everything (run with -race).
func TestShardsMergeConcurrent(t *testing.T) {
	var s Shards
	var all Hist
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(g), 7))
			for range 5000 {
				v := rnd.Uint64N(1_000_000)
				s.For(g).Record(v)
				all.Record(v)
			}
		}()
	}
	wg.Wait()
	m := s.Merged()
	if m.Count() != 16*5000 || m.Max() != all.Max() {
		t.Fatalf("merged count %d max %d, want %d and %d", m.Count(), m.Max(), 16*5000, all.Max())
	}
	for _, q := range []float64{0.5, 0.99, 0.999} {
		if m.Quantile(q) != all.Quantile(q) {
			t.Errorf("q%v: merged %d, direct %d", q, m.Quantile(q), all.Quantile(q))
		}
	}
}
