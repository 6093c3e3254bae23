package hub

import (
	"bufio"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// coalesceSize bounds what one connection gathers before a socket write.
// A keystroke's op is about 150 bytes, so a burst of a hundred goes out in
// one write; a larger frame (a welcome with its snapshot) is written as is.
const coalesceSize = 16 << 10

// coalescePool lends the gathering buffers: a connection holds one only
// while its write pump writes, so an idle connection costs no buffer.
var coalescePool = sync.Pool{New: func() any {
	b := make([]byte, 0, coalesceSize)
	return &b
}}

// errCloseSent refuses frames after the close frame (RFC 6455, 5.5.1).
var errCloseSent = errors.New("hub: close frame sent")

// frameWriter is the socket under a websocket.Conn, and the writer of its
// frames: gorilla reads the connection, the frames the server sends are
// written here. A server frame is a header and the payload as is (no mask,
// no compression), so one encoded message serves every follower without
// gorilla's PreparedMessage (a 4 KiB buffer and two encodings per message).
//
// Between begin and flush (the write pump writing what is queued) frames
// are gathered and go out in one socket write, a syscall for many frames.
// Each frame stays whole: one message per frame, as the protocol asks.
// Outside begin/flush, frames (pings, the pongs and close frames the read
// pump answers) are written at once.
//
// The write deadline is set on the socket only when it changed and
// something is written: a peer that does not read still fails the write
// after writeWait, and its connection is closed.
type frameWriter struct {
	net.Conn

	mu       sync.Mutex // the read pump answers pings and closes
	buf      *[]byte    // borrowed between begin and flush
	deadline time.Time  // for the next write to the socket
	applied  time.Time  // the write deadline set on the socket
	err      error      // a failed write or a close frame: nothing more
}

// begin starts gathering frames, to be written by deadline.
func (w *frameWriter) begin(deadline time.Time) {
	w.mu.Lock()
	if w.buf == nil {
		w.buf = coalescePool.Get().(*[]byte)
	}
	w.deadline = deadline
	w.mu.Unlock()
}

// setDeadline moves the deadline of what is being gathered.
func (w *frameWriter) setDeadline(deadline time.Time) {
	w.mu.Lock()
	w.deadline = deadline
	w.mu.Unlock()
}

// flush writes what was gathered, in one write, and gives the buffer back.
func (w *frameWriter) flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf == nil {
		return w.err
	}
	err := w.flushLocked()
	w.putBuf()
	return err
}

func (w *frameWriter) flushLocked() error {
	if w.buf == nil || len(*w.buf) == 0 {
		return w.err
	}
	_, err := w.writeLocked(*w.buf)
	*w.buf = (*w.buf)[:0]
	return err
}

// release gives the buffer back unwritten: the connection is over.
func (w *frameWriter) release() {
	w.mu.Lock()
	if w.buf != nil {
		w.putBuf()
	}
	w.mu.Unlock()
}

func (w *frameWriter) putBuf() {
	*w.buf = (*w.buf)[:0]
	coalescePool.Put(w.buf)
	w.buf = nil
}

// writeLocked writes p to the socket by the deadline.
func (w *frameWriter) writeLocked(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	w.applyDeadline()
	n, err := w.Conn.Write(p)
	if err != nil {
		w.err = err
	}
	return n, err
}

// writeFrameLocked writes a frame at once: a small one as one write of a
// copy, a large one as its header and payload in one writev (on a TCP
// socket), without copying the payload.
func (w *frameWriter) writeFrameLocked(h, payload []byte) error {
	if len(h)+len(payload) <= coalesceSize {
		b := coalescePool.Get().(*[]byte)
		*b = append(append((*b)[:0], h...), payload...)
		_, err := w.writeLocked(*b)
		*b = (*b)[:0]
		coalescePool.Put(b)
		return err
	}
	if w.err != nil {
		return w.err
	}
	w.applyDeadline()
	bufs := net.Buffers{append([]byte(nil), h...), payload}
	_, err := bufs.WriteTo(w.Conn)
	if err != nil {
		w.err = err
	}
	return err
}

// deadlineSlack is how much later than the socket's write deadline the
// next write's may be before it is moved: moving it costs a timer update per
// write, and a peer that does not read is still cut off after writeWait, give
// or take this.
const deadlineSlack = time.Second

// applyDeadline moves the socket's write deadline to w.deadline when it is
// earlier (a close frame's short wait; none) or later by more than the slack.
func (w *frameWriter) applyDeadline() {
	if w.deadline.Equal(w.applied) {
		return
	}
	if w.deadline.IsZero() || w.deadline.Before(w.applied) || w.deadline.Sub(w.applied) > deadlineSlack {
		w.Conn.SetWriteDeadline(w.deadline)
		w.applied = w.deadline
	}
}

// appendHeader appends the header of an unmasked, final frame.
func appendHeader(b []byte, opcode int, n int) []byte {
	b0 := byte(opcode) | 0x80
	switch {
	case n < 126:
		return append(b, b0, byte(n))
	case n <= 0xFFFF:
		return binary.BigEndian.AppendUint16(append(b, b0, 126), uint16(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, b0, 127), uint64(n))
	}
}

// frame writes one frame: gathered while the pump writes (a frame larger
// than the buffer goes out as is, after what was gathered), else written
// at once by deadline (the zero time keeps the current one). A close frame
// is the last frame, and goes out at once after what was gathered: the
// read pump closes the socket right after its reply.
func (w *frameWriter) frame(opcode int, payload []byte, deadline time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	var hdr [10]byte
	h := appendHeader(hdr[:0], opcode, len(payload))
	if opcode == websocket.CloseMessage {
		err := w.flushLocked()
		if !deadline.IsZero() {
			w.deadline = deadline
		}
		if err == nil {
			err = w.writeFrameLocked(h, payload)
		}
		if err == nil {
			w.err = errCloseSent
		}
		return err
	}
	if w.buf == nil {
		if !deadline.IsZero() {
			w.deadline = deadline
		}
		return w.writeFrameLocked(h, payload)
	}
	if len(*w.buf)+len(h)+len(payload) > cap(*w.buf) {
		if err := w.flushLocked(); err != nil {
			return err
		}
		if len(h)+len(payload) > cap(*w.buf) {
			return w.writeFrameLocked(h, payload)
		}
	}
	*w.buf = append(append(*w.buf, h...), payload...)
	return nil
}

// text writes a text frame (one message) while the pump gathers.
func (w *frameWriter) text(payload []byte) error {
	return w.frame(websocket.TextMessage, payload, time.Time{})
}

// control writes a control frame; a close frame is the last one.
// A payload over the protocol's 125 bytes is cut.
func (w *frameWriter) control(opcode int, payload []byte, deadline time.Time) error {
	if len(payload) > 125 {
		payload = payload[:125]
	}
	return w.frame(opcode, payload, deadline)
}

// Write is used by gorilla only: the upgrade's response, and the close
// frame it sends itself on a protocol error or a frame over the read limit
// (one Write, 0x88 first), which is the last frame too.
func (w *frameWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.flushLocked(); err != nil {
		return 0, err
	}
	n, err := w.writeLocked(p)
	if err == nil && len(p) >= 2 && p[0] == 0x88 {
		w.err = errCloseSent
	}
	return n, err
}

// SetWriteDeadline keeps t for the next write gorilla makes.
func (w *frameWriter) SetWriteDeadline(t time.Time) error {
	w.mu.Lock()
	if w.buf == nil {
		w.deadline = t
	}
	w.mu.Unlock()
	return nil
}

// SetDeadline is used by the upgrade only (to clear the HTTP server's).
func (w *frameWriter) SetDeadline(t time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.deadline, w.applied = t, t
	return w.Conn.SetDeadline(t)
}

// hijacker hands the upgrader the socket wrapped in a frameWriter.
type hijacker struct {
	http.ResponseWriter
}

func (h hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hub: the response writer cannot be hijacked")
	}
	nc, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, err
	}
	return &frameWriter{Conn: nc}, brw, nil
}
