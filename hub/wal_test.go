package hub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// crash stops the broker the way a killed process would: the writers stop,
// the files are closed, and no final checkpoint runs. What was acknowledged
// is then only where it was synced.
func (b *LocalBroker) crash() {
	b.stopWriters()
	b.log.close()
	b.db.Close()
}

// boltHead reads the board's head as bbolt has it (the checkpointed part).
func (b *LocalBroker) boltHead(t *testing.T, board string) uint64 {
	t.Helper()
	var v uint64
	if err := b.db.View(func(tx *bolt.Tx) error {
		if bk := boardBucket(tx, board); bk != nil {
			v = getU64(bk, keyHead)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return v
}

// openLocal opens the broker at path, failing the test if it cannot.
func openLocal(t *testing.T, path string) *LocalBroker {
	t.Helper()
	b, err := OpenLocalBroker(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// padded is record v made n bytes larger, to fill segments.
func padded(v uint64, n int) Record {
	return Record{V: v, Data: append([]byte(fmt.Sprintf(`{"v":%d,"pad":"`, v)), bytes.Repeat([]byte("x"), n)...)}
}

func testRec(v uint64) Record { return Record{V: v, Data: []byte(fmt.Sprintf(`{"v":%d}`, v))} }

func commitRange(t *testing.T, b *LocalBroker, board string, from, to uint64) {
	t.Helper()
	for v := from; v <= to; v++ {
		if err := b.Commit(context.Background(), board, []Record{testRec(v)}); err != nil {
			t.Fatalf("commit v%d: %v", v, err)
		}
	}
}

func wantHistory(t *testing.T, b *LocalBroker, board string, since, head uint64) {
	t.Helper()
	recs, err := b.History(context.Background(), board, since, 0)
	if err != nil {
		t.Fatalf("history since %d: %v", since, err)
	}
	if uint64(len(recs)) != head-since {
		t.Fatalf("history since %d: %d records, want %d", since, len(recs), head-since)
	}
	for i, r := range recs {
		if want := testRec(since + 1 + uint64(i)); r.V != want.V || !bytes.Equal(r.Data, want.Data) {
			t.Fatalf("history[%d] = v%d %s, want v%d %s", i, r.V, r.Data, want.V, want.Data)
		}
	}
	if v, _, err := b.Head(context.Background(), board); err != nil || v != head {
		t.Fatalf("head %d %v, want %d", v, err, head)
	}
}

// checkpointNow asks for a checkpoint and waits until bbolt has head.
func checkpointNow(t *testing.T, b *LocalBroker, board string, head uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for b.boltHead(t, board) != head {
		if time.Now().After(deadline) {
			t.Fatalf("bbolt head %d, want %d after a checkpoint", b.boltHead(t, board), head)
		}
		select {
		case b.kick <- struct{}{}:
		default:
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func segments(t *testing.T, path string) []uint64 {
	t.Helper()
	segs, err := listSegments(path + ".wal")
	if err != nil {
		t.Fatal(err)
	}
	return segs
}

func TestLocalBrokerReplaysAfterCrash(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	b := openLocal(t, path)
	b.Create(ctx, "b1", "e1", []byte("s0"))
	b.Create(ctx, "b2", "e2", []byte("s0"))
	b.Create(ctx, "gone", "e3", []byte("s0"))
	commitRange(t, b, "b1", 1, 30)
	checkpointNow(t, b, "b1", 30) // the first 30 reach bbolt …
	commitRange(t, b, "b1", 31, 50)
	commitRange(t, b, "b2", 1, 7) // … the rest only the log
	commitRange(t, b, "gone", 1, 3)
	if err := b.Delete(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	wantHistory(t, b, "b1", 0, 50) // bbolt and memory together
	wantHistory(t, b, "b1", 40, 50)
	if got := b.boltHead(t, "b1"); got != 30 {
		t.Fatalf("bbolt head %d before the crash, want 30 (the test needs records only in the log)", got)
	}
	b.crash()

	b = openLocal(t, path)
	defer b.Close()
	wantHistory(t, b, "b1", 0, 50)
	wantHistory(t, b, "b2", 0, 7)
	if _, _, err := b.Head(ctx, "gone"); !errors.Is(err, ErrNoBoard) {
		t.Fatalf("a deleted board came back from the log: %v", err)
	}
	// Replay wrote everything into bbolt and left one fresh segment.
	if got := b.boltHead(t, "b1"); got != 50 {
		t.Fatalf("bbolt head %d after replay, want 50", got)
	}
	if segs := segments(t, path); len(segs) != 1 {
		t.Fatalf("segments after replay: %v, want one", segs)
	}
	// And commits go on from there.
	if err := b.Commit(ctx, "b1", []Record{testRec(50)}); !errors.Is(err, ErrConflict) {
		t.Fatalf("commit of v50 again: %v, want ErrConflict", err)
	}
	commitRange(t, b, "b1", 51, 52)
	wantHistory(t, b, "b1", 0, 52)
}

func TestLocalBrokerCheckpointRemovesSegments(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	b := openLocal(t, path)
	defer b.Close()
	b.Create(ctx, "b1", "e1", []byte("s0"))
	// 1 MiB records: more than two segments' worth.
	big := func(v uint64) Record { return padded(v, 1<<20) }
	n := uint64(2*segSize>>20 + 4)
	for v := uint64(1); v <= n; v++ {
		if err := b.Commit(ctx, "b1", []Record{big(v)}); err != nil {
			t.Fatalf("commit v%d: %v", v, err)
		}
	}
	if segs := segments(t, path); len(segs) < 3 {
		t.Fatalf("segments %v: %d MiB should have filled two", segs, n)
	}
	checkpointNow(t, b, "b1", n)
	deadline := time.Now().Add(10 * time.Second)
	for len(segments(t, path)) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("segments %v: checkpointed ones are not removed", segments(t, path))
		}
		select {
		case b.kick <- struct{}{}:
		default:
		}
		time.Sleep(5 * time.Millisecond)
	}
	recs, err := b.History(ctx, "b1", 0, 0)
	if err != nil || uint64(len(recs)) != n || !bytes.Equal(recs[n-1].Data, big(n).Data) {
		t.Fatalf("history after checkpoints: %d records, %v", len(recs), err)
	}
	// Nothing is held in memory once checkpointed.
	b.mu.Lock()
	held := b.held
	b.mu.Unlock()
	if held != 0 {
		t.Fatalf("%d bytes held after checkpoints", held)
	}
}

// endOfFrames returns the last segment's path and where its frames end
// (the rest of a segment is zeros).
func endOfFrames(t *testing.T, path string) (string, int) {
	t.Helper()
	segs := segments(t, path)
	name := filepath.Join(path+".wal", segName(segs[len(segs)-1]))
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	_, good := parseFrames(data)
	return name, good
}

func TestLocalBrokerTornTail(t *testing.T) {
	ctx := context.Background()
	badSum := appendFrame(nil, "b1", testRec(11))
	badSum[len(badSum)-1] ^= 0xff
	for _, tc := range []struct {
		name string
		tail []byte
	}{
		{"half a header", []byte{9, 0, 0}},
		{"a length past the end", []byte{200, 0, 0, 0, 1, 2, 3, 4, 5}},
		{"a bad checksum", badSum},
		{"zeros (preallocated space)", make([]byte, 64)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "t.db")
			b := openLocal(t, path)
			b.Create(ctx, "b1", "e1", []byte("s0"))
			commitRange(t, b, "b1", 1, 10)
			b.crash()
			name, end := endOfFrames(t, path)
			f, err := os.OpenFile(name, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteAt(tc.tail, int64(end)) // right after the last whole frame
			f.Close()
			b, err = OpenLocalBroker(path)
			if err != nil {
				t.Fatalf("a torn tail must not stop the start: %v", err)
			}
			defer b.Close()
			wantHistory(t, b, "b1", 0, 10)
			commitRange(t, b, "b1", 11, 12)
			wantHistory(t, b, "b1", 0, 12)
		})
	}
}

func TestLocalBrokerDamagedSegmentRefusesToStart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	b := openLocal(t, path)
	b.Create(ctx, "b1", "e1", []byte("s0"))
	commitRange(t, b, "b1", 1, 5)
	b.crash()
	// A damaged frame followed by another segment is not a torn tail: the
	// records after it would be lost without a word.
	segs := segments(t, path)
	name, end := endOfFrames(t, path)
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	data[end/2] ^= 0xff // inside the frames
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	next := appendFrame(nil, "b1", testRec(6))
	if err := os.WriteFile(filepath.Join(path+".wal", segName(segs[len(segs)-1]+1)), next, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = OpenLocalBroker(path)
	if err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("open over a damaged segment: %v, want a clear refusal", err)
	}
}

func TestParseFrames(t *testing.T) {
	var data []byte
	for v := uint64(1); v <= 3; v++ {
		data = appendFrame(data, "board-"+fmt.Sprint(v), testRec(v))
	}
	frames, good := parseFrames(data)
	if good != len(data) || len(frames) != 3 {
		t.Fatalf("%d frames, good %d of %d", len(frames), good, len(data))
	}
	for i, fr := range frames {
		if fr.board != fmt.Sprint("board-", i+1) || fr.rec.V != uint64(i+1) || !bytes.Equal(fr.rec.Data, testRec(uint64(i+1)).Data) {
			t.Fatalf("frame %d: %+v", i, fr)
		}
	}
	// Every cut inside the last frame keeps the first two and no more.
	second := len(appendFrame(appendFrame(nil, "board-1", testRec(1)), "board-2", testRec(2)))
	for cut := second; cut < len(data); cut++ {
		frames, good := parseFrames(data[:cut])
		if len(frames) != 2 || good != second {
			t.Fatalf("cut at %d: %d frames, good %d", cut, len(frames), good)
		}
	}
}

func FuzzParseFrames(f *testing.F) {
	f.Add(appendFrame(nil, "b", testRec(1)))
	f.Add([]byte{255, 255, 255, 255, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		frames, good := parseFrames(data)
		if good < 0 || good > len(data) {
			t.Fatalf("good %d of %d", good, len(data))
		}
		// What parses re-encodes to the same bytes.
		var again []byte
		for _, fr := range frames {
			again = appendFrame(again, fr.board, fr.rec)
		}
		if !bytes.Equal(again, data[:good]) {
			t.Fatal("frames do not re-encode to what was read")
		}
	})
}

// A filled segment ends in zeros (what was preallocated and not used):
// replay reads on into the next one.
func TestLocalBrokerReplaysFilledSegments(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	b := openLocal(t, path)
	b.Create(ctx, "b1", "e1", []byte("s0"))
	const pad = 700 << 10
	rec := func(v uint64) Record { return padded(v, pad) }
	n := uint64(segSize/pad + 3)
	for v := uint64(1); v <= n; v++ {
		if err := b.Commit(ctx, "b1", []Record{rec(v)}); err != nil {
			t.Fatalf("commit v%d: %v", v, err)
		}
	}
	if segs := segments(t, path); len(segs) < 2 {
		t.Fatalf("segments %v, want two or more", segs)
	}
	b.crash()
	b, err := OpenLocalBroker(path)
	if err != nil {
		t.Fatalf("replay over a filled segment: %v", err)
	}
	defer b.Close()
	recs, err := b.History(ctx, "b1", 0, 0)
	if err != nil || uint64(len(recs)) != n {
		t.Fatalf("after replay: %d records, %v; want %d", len(recs), err, n)
	}
	for i, r := range recs {
		if !bytes.Equal(r.Data, rec(uint64(i+1)).Data) {
			t.Fatalf("record %d differs", i+1)
		}
	}
}
