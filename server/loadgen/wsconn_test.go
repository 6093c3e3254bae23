package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// recorder is a wsHandler that keeps what it receives and tells each
// message on got.
type recorder struct {
	mu     sync.Mutex
	msgs   []string
	pings  []string
	closes []int
	got    chan string
	ws     *wsConn // answers pings when set
}

func newRecorder() *recorder { return &recorder{got: make(chan string, 1000)} }

func (r *recorder) onMessage(data []byte, now time.Time) {
	r.mu.Lock()
	r.msgs = append(r.msgs, string(data))
	r.mu.Unlock()
	r.got <- string(data)
}

func (r *recorder) onPing(p []byte) {
	r.mu.Lock()
	r.pings = append(r.pings, string(p))
	r.mu.Unlock()
	if r.ws != nil {
		r.ws.write(opPong, p, time.Now())
	}
}

func (r *recorder) onClose(code int, text string) {
	r.mu.Lock()
	r.closes = append(r.closes, code)
	r.mu.Unlock()
}

func (r *recorder) wait(t *testing.T, want string) {
	t.Helper()
	select {
	case m := <-r.got:
		if m != want {
			t.Fatalf("received %.80q (%d bytes), want %.80q (%d bytes)", m, len(m), want, len(want))
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("nothing received; waiting for %.80q", want)
	}
}

// gorillaPair connects a wsConn, through gorilla's handshake as Fleet.open
// does, to a gorilla server conn (its write buffer small, so that long
// messages go out in several frames), and starts reading into a recorder.
func gorillaPair(t *testing.T) (*wsConn, *websocket.Conn, *recorder, chan error) {
	t.Helper()
	srvc := make(chan *websocket.Conn, 1)
	up := websocket.Upgrader{WriteBufferSize: 256}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		srvc <- conn
	}))
	t.Cleanup(srv.Close)
	d := websocket.Dialer{ReadBufferSize: wsBuffer, WriteBufferSize: wsBuffer}
	wc, _, err := d.Dial("ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ws := newWSConn(wc.UnderlyingConn())
	if ws.raw == nil {
		t.Fatal("a TCP connection should be read with raw syscalls")
	}
	sc := <-srvc
	t.Cleanup(func() { ws.Close(); sc.Close() })
	rec := newRecorder()
	rec.ws = ws
	done := make(chan error, 1)
	go func() { done <- ws.readAll(rec) }()
	return ws, sc, rec, done
}

func TestWSConnWithGorilla(t *testing.T) {
	_, sc, rec, done := gorillaPair(t)
	// Messages of every length encoding, and fragmented ones.
	for _, n := range []int{0, 1, 125, 126, 200, 1023, 1024, 1500, 65535, 65536, 300000} {
		msg := strings.Repeat(string(rune('a'+n%26)), n)
		if err := sc.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		rec.wait(t, msg)
	}
	// Many frames at once: several in one read, some cut between reads.
	var want []string
	for i := range 500 {
		m := fmt.Sprintf(`{"type":"op","v":%d,"pad":%q}`, i, strings.Repeat("x", i%300))
		want = append(want, m)
		if err := sc.WriteMessage(websocket.TextMessage, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range want {
		rec.wait(t, m)
	}

	// A ping is answered with its payload.
	pong := make(chan string, 1)
	sc.SetPongHandler(func(p string) error { pong <- p; return nil })
	go func() {
		for {
			if _, _, err := sc.ReadMessage(); err != nil {
				return
			}
		}
	}()
	if err := sc.WriteControl(websocket.PingMessage, []byte("hop"), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-pong:
		if p != "hop" {
			t.Fatalf("pong %q", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no pong")
	}

	// The server's close ends the read with its code, after an answer.
	msg := websocket.FormatCloseMessage(4008, "slow")
	if err := sc.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var ce *closeError
		if !errors.As(err, &ce) || ce.code != 4008 || ce.text != "slow" {
			t.Fatalf("read ended with %v, want close 4008", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the read did not end at the close frame")
	}
}

func TestWSConnWritesToGorilla(t *testing.T) {
	ws, sc, _, _ := gorillaPair(t)
	for _, n := range []int{0, 1, 7, 8, 9, 125, 126, 1000, 65535, 65536, 200000} {
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte('a' + i%26)
		}
		if err := ws.write(opText, msg, time.Now()); err != nil {
			t.Fatal(err)
		}
		mt, got, err := sc.ReadMessage() // gorilla checks the mask
		if err != nil || mt != websocket.TextMessage || !bytes.Equal(got, msg) {
			t.Fatalf("%d bytes: gorilla read %d bytes (type %d): %v", n, len(got), mt, err)
		}
	}
	if err := ws.writeClose(1000, "load test over", time.Second); err != nil {
		t.Fatal(err)
	}
	var ce *websocket.CloseError
	if _, _, err := sc.ReadMessage(); !errors.As(err, &ce) || ce.Code != 1000 || ce.Text != "load test over" {
		t.Fatalf("after the close frame gorilla read %v", err)
	}
	if err := ws.write(opText, []byte("x"), time.Now()); !errors.Is(err, errCloseSent) {
		t.Fatalf("a frame after the close frame: %v", err)
	}
}

// frame builds a server frame by hand.
func frame(first byte, payload []byte) []byte {
	b := []byte{first}
	switch n := len(payload); {
	case n <= 125:
		b = append(b, byte(n))
	case n <= 0xFFFF:
		b = append(b, 126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, payload...)
}

// rawPair returns a wsConn reading a socket whose other end is srv: over
// TCP (raw syscalls) or a net.Pipe (the path for TLS).
func rawPair(t *testing.T, tcp bool) (*wsConn, net.Conn) {
	t.Helper()
	if !tcp {
		a, b := net.Pipe()
		t.Cleanup(func() { a.Close(); b.Close() })
		return newWSConn(a), b
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return newWSConn(a), b
}

func TestWSConnFraming(t *testing.T) {
	long := bytes.Repeat([]byte("z"), 70000)
	for _, tc := range []struct {
		name   string
		stream [][]byte // written in these pieces
		msgs   []string
		err    string // what the read ends with; "" for EOF
	}{
		{"one frame", [][]byte{frame(0x81, []byte("hello"))}, []string{"hello"}, ""},
		{"binary", [][]byte{frame(0x82, []byte("bin"))}, []string{"bin"}, ""},
		{"byte by byte", split(append(frame(0x81, []byte("abc")), frame(0x81, long)...), 1, 9000),
			[]string{"abc", string(long)}, ""},
		{"fragments with a ping between", [][]byte{frame(0x01, []byte("ab")), frame(0x89, []byte("p")), frame(0x00, []byte("cd")), frame(0x80, []byte("ef"))},
			[]string{"abcdef"}, ""},
		{"close without status", [][]byte{frame(0x88, nil)}, nil, "close 1005"},
		{"masked frame", [][]byte{{0x81, 0x81, 1, 2, 3, 4, 'x'}}, nil, "masked"},
		{"reserved bit", [][]byte{frame(0xC1, []byte("x"))}, nil, "reserved"},
		{"unknown opcode", [][]byte{frame(0x83, []byte("x"))}, nil, "opcode"},
		{"continuation alone", [][]byte{frame(0x80, []byte("x"))}, nil, "continuation"},
		{"text inside fragments", [][]byte{frame(0x01, []byte("a")), frame(0x81, []byte("b"))}, nil, "inside"},
		{"fragmented ping", [][]byte{frame(0x09, []byte("p"))}, nil, "control"},
		{"long ping", [][]byte{frame(0x89, bytes.Repeat([]byte("p"), 126))}, nil, "control"},
		{"close of one byte", [][]byte{frame(0x88, []byte{3})}, nil, "1 byte"},
		{"huge frame", [][]byte{{0x81, 127, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}, nil, "bytes"},
		{"cut short", [][]byte{frame(0x81, []byte("abcdef"))[:4]}, nil, ""},
	} {
		for _, tcp := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/tcp=%v", tc.name, tcp), func(t *testing.T) {
				ws, srv := rawPair(t, tcp)
				rec := newRecorder()
				done := make(chan error, 1)
				go func() { done <- ws.readAll(rec) }()
				srv.SetWriteDeadline(time.Now().Add(5 * time.Second)) // a pipe waits for its reader
				for _, p := range tc.stream {
					if _, err := srv.Write(p); err != nil {
						break // the reader stopped at an error
					}
					time.Sleep(50 * time.Microsecond) // separate reads, mostly
				}
				srv.Close()
				var err error
				select {
				case err = <-done:
				case <-time.After(5 * time.Second):
					t.Fatal("the read did not end")
				}
				if tc.err == "" {
					if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrClosedPipe) {
						t.Fatalf("read ended with %v, want EOF", err)
					}
				} else if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("read ended with %v, want an error with %q", err, tc.err)
				}
				if strings.Join(rec.msgs, "|") != strings.Join(tc.msgs, "|") {
					t.Fatalf("received %.100q, want %.100q", rec.msgs, tc.msgs)
				}
				if tc.err == "" && len(ws.buf) != wsReadBuf {
					t.Fatalf("the read buffer stays at %d bytes", len(ws.buf))
				}
			})
		}
	}
}

// TestWSConnEOFWithData checks that a FIN that came with the last data
// (the server wrote and died before the client read) ends the read: the
// poller has no edge for it.
func TestWSConnEOFWithData(t *testing.T) {
	ws, srv := rawPair(t, true)
	if _, err := srv.Write(append(frame(0x81, []byte("last")), frame(0x81, []byte("words"))...)); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	time.Sleep(10 * time.Millisecond) // both in the socket before the first read
	rec := newRecorder()
	done := make(chan error, 1)
	go func() { done <- ws.readAll(rec) }()
	select {
	case err := <-done:
		if !errors.Is(err, io.EOF) {
			t.Fatalf("read ended with %v, want EOF", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the read did not see the end of the connection")
	}
	if strings.Join(rec.msgs, "|") != "last|words" {
		t.Fatalf("received %q", rec.msgs)
	}
}

// split cuts b into pieces of size n, then the rest in pieces of size m.
func split(b []byte, n, m int) [][]byte {
	var out [][]byte
	for i := 0; i < len(b); {
		size := n
		if i > 64 {
			size = m
		}
		j := min(i+size, len(b))
		out = append(out, b[i:j])
		i = j
	}
	return out
}

func TestMaskBytes(t *testing.T) {
	for n := range 40 {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i * 7)
		}
		key := uint32(0xA1B2C3D4)
		got := append([]byte(nil), b...)
		maskBytes(got, key)
		k := binary.LittleEndian.AppendUint32(nil, key)
		for i := range b {
			if got[i] != b[i]^k[i%4] {
				t.Fatalf("%d bytes: byte %d is %#x, want %#x", n, i, got[i], b[i]^k[i%4])
			}
		}
	}
}
