package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/tablee/tablee/board"
)

// benchFleet is a fleet with no connection: enough for a client's receive
// path.
func benchFleet(b *testing.B) *Fleet {
	u, _ := url.Parse("http://127.0.0.1:1")
	f := newFleet(context.Background(), &Config{URLs: []*url.URL{u}}, io.Discard)
	b.Cleanup(f.closeAll)
	return f
}

// benchClient is an editor typing in section (or a viewer: -1) of one
// board, welcomed on a text of ~300 characters per section, as after a
// minute of a workshop.
func benchClient(f *Fleet, bi *boardInfo, section int) (*Client, *follow) {
	kind := kindEditor
	if section < 0 {
		kind = kindViewer
	}
	c := newClient(f, connSpec{kind: kind, boards: []*boardInfo{bi}, section: section}, "0f8fad5b-d9cb-469f-a165-70867728950e", 0)
	f.register(c)
	fl := c.follows[bi.id]
	fl.ok = true
	for i := range fl.docs {
		fl.docs[i] = strings.Repeat("Les élus du territoire 🌱 coopèrent. ", 8)
	}
	return c, fl
}

// opFrames returns n op frames exactly as the server sends them (hub's
// encodeOp around encodeEntry) from the peer client on section, typing
// at offset: inserts and deletes alternate so that the text keeps its size.
func opFrames(boardID, client, section string, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		op := `[12,"é"]`
		if i%2 == 1 {
			op = `[12,{"d":1}]`
		}
		out[i] = fmt.Appendf(nil, `{"type":"op","board":%q,"v":%d,"client":%q,"seq":%d,"changes":[{"kind":"text","section":%q,"op":%s}]}`,
			boardID, i+1, client, i+1, section, op)
	}
	return out
}

// BenchmarkReceiveOp is the generator's hot path: one op message, as the
// server sends it, decoded → version checked → latency recorded → applied
// to the follower's copy. "peer" is an op on another section (editors of
// other sections, viewers, walls: most deliveries); "own" an op on the
// section this editor types in while its own submit is in flight, which
// transforms both; "framed" is "peer" from the websocket frame's bytes, as
// read from the socket (the read itself aside).
func BenchmarkReceiveOp(b *testing.B) {
	for _, tc := range []struct {
		name    string
		section int
		framed  bool
	}{{"peer", 0, false}, {"own", 1, false}, {"framed", 0, true}} {
		b.Run(tc.name, func(b *testing.B) {
			f := benchFleet(b)
			bi := &boardInfo{id: "7c9e6679-7425-40de-944b-e07fc1f90ae7", followers: 10}
			c, fl := benchClient(f, bi, tc.section)
			const peer = "16fd2706-8baf-433b-82eb-8c7fada847da"
			frames := opFrames(bi.id, peer, board.Sections[1].Key, 64)
			for i := range frames {
				benchStamp(f, peer, uint64(i+1))
			}
			if tc.section == 1 {
				fl.inflight, fl.inflightSeq = board.TextOp{{Retain: 40}, {Insert: "x"}}, 1
			}
			ws := newWSConn(nil)
			var wire [][]byte
			for _, p := range frames {
				wire = append(wire, append([]byte{0x81, 126, byte(len(p) >> 8), byte(len(p))}, p...))
			}
			st := f.stats()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k := i % len(frames)
				fl.v = uint64(k) // the frame is the next version
				if !tc.framed {
					c.onFrame(frames[k], time.Now())
					continue
				}
				ws.w = copy(ws.buf, wire[k])
				ws.r = 0
				if err := ws.handleFrames(time.Now(), c); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if n := st.errors.Load() + st.unstamped.Load() + st.dups.Load(); n != 0 || fl.broken {
				b.Fatalf("errors %d, unstamped %d, dups %d, broken %v", st.errors.Load(), st.unstamped.Load(), st.dups.Load(), fl.broken)
			}
		})
	}
}

// benchStamp records that peer sent seq, for more deliveries than any run.
func benchStamp(f *Fleet, peer string, seq uint64) {
	f.idMu.RLock()
	c := f.byID[peer]
	f.idMu.RUnlock()
	if c == nil {
		c = newClient(f, connSpec{}, peer, 1)
		f.register(c)
	}
	c.putStamp(seq, stamp{sent: time.Now(), typed: time.Now(), left: 1 << 30})
}

// wsSink serves websockets that read and discard every frame: the far end
// of a keystroke's submit.
func wsSink(b *testing.B, f *Fleet) *websocket.Conn {
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		// Frames are not even parsed: big reads keep the sink's cost,
		// which runs on the same core, out of the figures.
		buf := make([]byte, 1<<16)
		for {
			if _, err := conn.UnderlyingConn().Read(buf); err != nil {
				return
			}
		}
	}))
	b.Cleanup(srv.Close)
	conn, _, err := f.dialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return conn
}

// BenchmarkKeystroke is an editor's hot path: a keystroke typed, its
// submit built and written to a real loopback websocket, then the
// server's ack read, so that every keystroke makes one submit. Run it with
// -cpu 1, as the generator runs on one core, so that the time of any
// helper goroutine is counted.
func BenchmarkKeystroke(b *testing.B) {
	f := benchFleet(b)
	bi := &boardInfo{id: "7c9e6679-7425-40de-944b-e07fc1f90ae7", followers: 10}
	c, fl := benchClient(f, bi, 1)
	c.conn = newWSConn(wsSink(b, f).UnderlyingConn())
	acks := make([][]byte, 64)
	for i := range acks {
		acks[i] = fmt.Appendf(nil, `{"type":"ack","board":%q,"seq":%d,"v":%d}`, bi.id, i+1, i+1)
	}
	st := f.stats()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(acks)
		fl.seq, fl.v = uint64(k), uint64(k)
		fl.docs[1] = fl.docs[0] // the text keeps its size
		c.keystroke()
		c.onFrame(acks[k], time.Now())
	}
	b.StopTimer()
	if n := st.errors.Load(); n != 0 || fl.broken || st.changes.Load() != int64(b.N) {
		b.Fatalf("errors %d, broken %v, %d changes for %d keystrokes", n, fl.broken, st.changes.Load(), b.N)
	}
}
