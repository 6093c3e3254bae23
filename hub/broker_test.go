package hub

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// brokerContract checks the Broker contract; every implementation runs it.
// peerOf returns the broker another instance sharing b's storage would use
// (b itself for a broker of one process).
func brokerContract(t *testing.T, newBroker func(t *testing.T) Broker, peerOf func(t *testing.T, b Broker) Broker) {
	ctx := context.Background()
	rec := func(v uint64) Record { return Record{V: v, Data: []byte(fmt.Sprintf(`{"v":%d}`, v))} }

	t.Run("create is idempotent and load returns the initial state", func(t *testing.T) {
		b := newBroker(t)
		if err := b.Create(ctx, "b1", "e1", []byte("s0")); err != nil {
			t.Fatal(err)
		}
		if err := b.Create(ctx, "b1", "other", []byte("other")); err != nil {
			t.Fatal(err)
		}
		state, v, epoch, err := b.Load(ctx, "b1")
		if err != nil || string(state) != "s0" || v != 0 || epoch != "e1" {
			t.Fatalf("load: %q %d %q %v", state, v, epoch, err)
		}
		if _, _, _, err := b.Load(ctx, "nope"); !errors.Is(err, ErrNoBoard) {
			t.Fatalf("load of a missing board: %v", err)
		}
	})

	t.Run("commit checks the version", func(t *testing.T) {
		b := newBroker(t)
		b.Create(ctx, "b1", "e1", []byte("s0"))
		if err := b.Commit(ctx, "b1", []Record{rec(1), rec(2)}); err != nil {
			t.Fatal(err)
		}
		for _, bad := range [][]Record{{rec(2)}, {rec(4)}, {rec(1)}} {
			if err := b.Commit(ctx, "b1", bad); !errors.Is(err, ErrConflict) {
				t.Fatalf("commit v%d on head 2: %v, want ErrConflict", bad[0].V, err)
			}
		}
		if err := b.Commit(ctx, "nope", []Record{rec(1)}); !errors.Is(err, ErrNoBoard) {
			t.Fatalf("commit to a missing board: %v", err)
		}
		v, epoch, err := b.Head(ctx, "b1")
		if err != nil || v != 2 || epoch != "e1" {
			t.Fatalf("head %d %q %v", v, epoch, err)
		}
		recs, err := b.History(ctx, "b1", 0, 0)
		if err != nil || len(recs) != 2 || recs[1].V != 2 || string(recs[1].Data) != `{"v":2}` {
			t.Fatalf("history %v %v", recs, err)
		}
		if recs, _ := b.History(ctx, "b1", 1, 0); len(recs) != 1 || recs[0].V != 2 {
			t.Fatalf("history since 1: %v", recs)
		}
		if recs, _ := b.History(ctx, "b1", 2, 0); len(recs) != 0 {
			t.Fatalf("history since head: %v", recs)
		}
		if recs, _ := b.History(ctx, "b1", 0, 1); len(recs) != 1 {
			t.Fatalf("history limit: %v", recs)
		}
	})

	t.Run("concurrent commits of the same version: one wins", func(t *testing.T) {
		b := newBroker(t)
		b.Create(ctx, "b1", "e1", nil)
		var wg sync.WaitGroup
		wins := make(chan int, 8)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if b.Commit(ctx, "b1", []Record{rec(1)}) == nil {
					wins <- i
				}
			}(i)
		}
		wg.Wait()
		close(wins)
		if n := len(wins); n != 1 {
			t.Fatalf("%d commits of v1 won", n)
		}
	})

	t.Run("snapshots only move forward and trim the log", func(t *testing.T) {
		b := newBroker(t)
		b.Create(ctx, "b1", "e1", []byte("s0"))
		var recs []Record
		for v := uint64(1); v <= 20; v++ {
			recs = append(recs, rec(v))
		}
		if err := b.Commit(ctx, "b1", recs); err != nil {
			t.Fatal(err)
		}
		if err := b.SaveSnapshot(ctx, "b1", 15, []byte("s15"), 5); err != nil {
			t.Fatal(err)
		}
		if err := b.SaveSnapshot(ctx, "b1", 12, []byte("s12"), 5); err != nil {
			t.Fatal(err)
		}
		state, v, _, _ := b.Load(ctx, "b1")
		if string(state) != "s15" || v != 15 {
			t.Fatalf("snapshot went back: %q v%d", state, v)
		}
		if _, err := b.History(ctx, "b1", 2, 0); !errors.Is(err, ErrTrimmed) {
			t.Fatalf("history behind the kept log: %v", err)
		}
		got, err := b.History(ctx, "b1", 10, 0)
		if err != nil || len(got) != 10 || got[0].V != 11 {
			t.Fatalf("history within the kept log: %v %v", got, err)
		}
		if err := b.SaveSnapshot(ctx, "b1", 30, []byte("s30"), 5); err == nil {
			t.Fatal("a snapshot ahead of the log must be refused")
		}
	})

	t.Run("subscribers get the commits of every instance", func(t *testing.T) {
		sub := newBroker(t)
		b := peerOf(t, sub)
		b.Create(ctx, "b1", "e1", nil)
		got := make(chan []Record, 4)
		cancel, err := sub.Subscribe("b1", Handler{Records: func(r []Record) { got <- r }})
		if err != nil {
			t.Fatal(err)
		}
		b.Commit(ctx, "b1", []Record{rec(1)})
		select {
		case r := <-got:
			if len(r) != 1 || r[0].V != 1 {
				t.Fatalf("got %v", r)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no delivery")
		}
		// Several records in one commit arrive whole and in order.
		if err := b.Commit(ctx, "b1", []Record{rec(2), rec(3)}); err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-got:
			if len(r) != 2 || r[0].V != 2 || r[1].V != 3 || string(r[1].Data) != string(rec(3).Data) {
				t.Fatalf("got %v, want v2 and v3", r)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no delivery of a commit of two records")
		}
		cancel()
		b.Commit(ctx, "b1", []Record{rec(4)})
		select {
		case r := <-got:
			t.Fatalf("delivery after cancel: %v", r)
		case <-time.After(100 * time.Millisecond):
		}
	})

	t.Run("delete", func(t *testing.T) {
		b := newBroker(t)
		b.Create(ctx, "b1", "e1", nil)
		if err := b.Delete(ctx, "b1"); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := b.Load(ctx, "b1"); !errors.Is(err, ErrNoBoard) {
			t.Fatalf("after delete: %v", err)
		}
		if err := b.Delete(ctx, "b1"); err != nil {
			t.Fatalf("delete twice: %v", err)
		}
	})
}

func newLocal(t *testing.T) Broker {
	b, err := OpenLocalBroker(filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestLocalBrokerContract(t *testing.T) {
	brokerContract(t, newLocal, func(_ *testing.T, b Broker) Broker { return b })
}

func TestLocalBrokerSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	b, err := OpenLocalBroker(path)
	if err != nil {
		t.Fatal(err)
	}
	b.Create(ctx, "b1", "e1", []byte("s0"))
	b.Commit(ctx, "b1", []Record{{V: 1, Data: []byte("one")}})
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(ctx, "b1", []Record{{V: 2, Data: []byte("two")}}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("commit after close: %v", err)
	}
	b, err = OpenLocalBroker(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	recs, err := b.History(ctx, "b1", 0, 0)
	if err != nil || len(recs) != 1 || string(recs[0].Data) != "one" {
		t.Fatalf("after reopen: %v %v", recs, err)
	}
}

// BenchmarkLocalCommit measures a durable commit of one record, alone and
// with 16 boards committing at once (group commit shares the fsyncs).
func BenchmarkLocalCommit(b *testing.B) {
	for _, boards := range []int{1, 16} {
		b.Run(fmt.Sprintf("boards=%d", boards), func(b *testing.B) {
			br, err := OpenLocalBroker(filepath.Join(b.TempDir(), "t.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer br.Close()
			ctx := context.Background()
			data := []byte(`{"v":1,"client":"c","seq":1,"changes":[{"kind":"text","section":"enjeux","op":[12,"a"]}]}`)
			var wg sync.WaitGroup
			per := b.N/boards + 1
			b.ResetTimer()
			for i := 0; i < boards; i++ {
				id := fmt.Sprintf("b%d", i)
				br.Create(ctx, id, "e", nil)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for v := uint64(1); v <= uint64(per); v++ {
						if err := br.Commit(ctx, id, []Record{{V: v, Data: data}}); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}
