package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"
	"unsafe"
)

// The client side of a websocket (RFC 6455) after the opening handshake,
// which gorilla does (Fleet.open): frames are read and written here, on the
// socket itself, because the generator's cost is mostly per frame and
// gorilla's way costs more than the rest of the client together:
//
//   - Every read and write through Go's net package is a syscall that wakes
//     the runtime's sysmon thread if it slept, and then keeps it polling
//     every 20 µs while the process is busy (and handing the P to another
//     thread when a loopback write takes longer than that): on a generator
//     that wakes for each delivery, sysmon alone took a third of its CPU. A
//     read or write on a non-blocking socket never blocks, so it is made
//     here with RawSyscall, which the scheduler does not watch, inside the
//     net package's RawConn so that waiting is still the poller's.
//   - Every complete frame of a read is handled from the read buffer, with
//     no copy and no allocation; gorilla reads a frame header and its
//     payload in separate calls, allocates per message, and sets the write
//     deadline (a runtime timer update) on every write.
//
// The server never speaks before a hello, so gorilla's reader holds nothing
// of the stream when it hands the socket over. Over TLS (wss targets) the
// socket is not reachable: the same framing then runs over the tls.Conn.

const (
	opCont   = 0x0
	opText   = 0x1
	opBinary = 0x2
	opClose  = 0x8
	opPing   = 0x9
	opPong   = 0xA

	// wsReadBuf is the first size of a connection's read buffer: several
	// op frames of ~200 bytes, and 10,000 connections cost 10 MiB. A larger
	// frame (a welcome's snapshot) grows it for as long as needed.
	wsReadBuf = 1024
	// wsMaxMessage bounds one message: the server's own limit on a frame
	// is under 1 MiB and a snapshot a few MiB; past this the stream cannot
	// be the server's.
	wsMaxMessage = 64 << 20
	// wsMsgKeep is the largest buffer of a fragmented message kept for
	// the next one.
	wsMsgKeep = 16 << 10
)

var (
	// errProtocol wraps every framing error: the server broke RFC 6455.
	errProtocol = errors.New("websocket protocol error")
	// errCloseSent refuses a frame after the close frame.
	errCloseSent = errors.New("websocket: close frame sent")
)

// closeError is the end of a connection closed by the server's close frame.
type closeError struct {
	code int
	text string
}

func (e *closeError) Error() string {
	if e.text == "" {
		return fmt.Sprintf("websocket: close %d", e.code)
	}
	return fmt.Sprintf("websocket: close %d: %s", e.code, e.text)
}

// wsHandler receives what a connection reads: data messages (text or
// binary, the payload valid only during the call, received at now, the end
// of the read that completed them), pings and the server's close frame.
type wsHandler interface {
	onMessage(data []byte, now time.Time)
	onPing(payload []byte)
	onClose(code int, text string)
}

// wsConn is one websocket connection. Reads are the reader goroutine's;
// writes must be serialised by the caller (Client.mu).
type wsConn struct {
	nc  net.Conn
	raw syscall.RawConn // nil over TLS: nc's Read and Write then

	// Reading.
	buf  []byte // buf[r:w] is read and not yet handled
	r, w int
	need int    // the size of the frame that buf[r:w] begins, when known
	msg  []byte // a fragmented message, gathered
	frag bool   // msg is open

	// Writing.
	out       []byte                // the frame being written, reused
	pending   []byte                // what rawWrite has still to write
	werr      error                 // what rawWrite met
	writeFn   func(fd uintptr) bool // rawWrite, bound once: a closure per write would allocate
	deadline  time.Time             // when to push the write deadline further
	closeSent bool                  // nothing may follow a close frame
}

// newWSConn takes over nc once the handshake is done.
func newWSConn(nc net.Conn) *wsConn {
	ws := &wsConn{nc: nc, buf: make([]byte, wsReadBuf)}
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			ws.raw = raw
		}
	}
	ws.writeFn = ws.rawWrite
	return ws
}

// Close closes the socket; a read in progress returns an error.
func (ws *wsConn) Close() error { return ws.nc.Close() }

// readAll reads and hands over frames until the connection ends, and
// returns why: a read or protocol error, or a *closeError.
func (ws *wsConn) readAll(h wsHandler) error {
	if ws.raw == nil {
		for {
			ws.makeRoom()
			n, err := ws.nc.Read(ws.buf[ws.w:])
			ws.w += n
			if n > 0 {
				if err := ws.handleFrames(time.Now(), h); err != nil {
					return err
				}
			}
			if err != nil {
				return err
			}
		}
	}
	var rerr error
	err := ws.raw.Read(func(fd uintptr) bool {
		for {
			ws.makeRoom()
			room := len(ws.buf) - ws.w
			n, _, errno := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&ws.buf[ws.w])), uintptr(room))
			switch {
			case errno == syscall.EAGAIN:
				return false // wait for the poller
			case errno == syscall.EINTR:
				continue
			case errno != 0:
				rerr = errno
				return true
			case n == 0:
				rerr = io.EOF
				return true
			}
			ws.w += int(n)
			if rerr = ws.handleFrames(time.Now(), h); rerr != nil {
				return true
			}
			// Read again until EAGAIN even after a short read: the
			// poller is edge-triggered, and a FIN that came with the
			// last data (the server died just after writing) makes no
			// edge of its own; only a read returning 0 tells it.
		}
	})
	if err != nil {
		return err
	}
	return rerr
}

// makeRoom moves what is left of a partial frame to the front of buf,
// grows buf when that frame does not fit, and lets a grown buf go once it
// is empty.
func (ws *wsConn) makeRoom() {
	if ws.r == ws.w {
		ws.r, ws.w = 0, 0
		if len(ws.buf) > wsReadBuf {
			ws.buf = make([]byte, wsReadBuf)
		}
		return
	}
	if ws.r > 0 {
		ws.w = copy(ws.buf, ws.buf[ws.r:ws.w])
		ws.r = 0
	}
	if ws.w == len(ws.buf) || ws.need > len(ws.buf) {
		grown := make([]byte, max(2*len(ws.buf), ws.need))
		copy(grown, ws.buf[:ws.w])
		ws.buf = grown
	}
}

// handleFrames hands over every complete frame of buf[r:w].
func (ws *wsConn) handleFrames(now time.Time, h wsHandler) error {
	for {
		b := ws.buf[ws.r:ws.w]
		if len(b) < 2 {
			return nil
		}
		fin, rsv, op := b[0]&0x80 != 0, b[0]&0x70, b[0]&0x0F
		if rsv != 0 {
			return fmt.Errorf("%w: reserved bits %#x set (no extension was agreed)", errProtocol, rsv)
		}
		if b[1]&0x80 != 0 {
			return fmt.Errorf("%w: a masked frame from the server", errProtocol)
		}
		hdr, n := 2, uint64(b[1]&0x7F)
		switch n {
		case 126:
			hdr = 4
		case 127:
			hdr = 10
		}
		if len(b) < hdr {
			return nil
		}
		switch hdr {
		case 4:
			n = uint64(binary.BigEndian.Uint16(b[2:4]))
		case 10:
			n = binary.BigEndian.Uint64(b[2:10])
		}
		if n > wsMaxMessage {
			return fmt.Errorf("%w: a frame of %d bytes", errProtocol, n)
		}
		if uint64(len(b)-hdr) < n {
			ws.need = hdr + int(n)
			return nil
		}
		ws.need = 0
		payload := b[hdr : hdr+int(n)]
		ws.r += hdr + int(n)
		if op >= opClose {
			if !fin || n > 125 {
				return fmt.Errorf("%w: a control frame fragmented or over 125 bytes", errProtocol)
			}
		}
		switch op {
		case opText, opBinary:
			if ws.frag {
				return fmt.Errorf("%w: a new message inside a fragmented one", errProtocol)
			}
			if fin {
				h.onMessage(payload, now) // the common case: no copy
				continue
			}
			ws.frag, ws.msg = true, append(ws.msg[:0], payload...)
		case opCont:
			if !ws.frag {
				return fmt.Errorf("%w: a continuation frame outside a message", errProtocol)
			}
			if len(ws.msg)+len(payload) > wsMaxMessage {
				return fmt.Errorf("%w: a message over %d bytes", errProtocol, wsMaxMessage)
			}
			ws.msg = append(ws.msg, payload...)
			if fin {
				ws.frag = false
				h.onMessage(ws.msg, now)
				if cap(ws.msg) > wsMsgKeep {
					ws.msg = nil
				}
			}
		case opPing:
			h.onPing(payload)
		case opPong:
		case opClose:
			code, text := 1005, "" // no status code (RFC 6455 7.1.5)
			if len(payload) == 1 {
				return fmt.Errorf("%w: a close frame of 1 byte", errProtocol)
			}
			if len(payload) >= 2 {
				code, text = int(binary.BigEndian.Uint16(payload)), string(payload[2:])
			}
			h.onClose(code, text)
			return &closeError{code, text}
		default:
			return fmt.Errorf("%w: unknown opcode %#x", errProtocol, op)
		}
	}
}

// write sends one frame, masked as every client frame must be. The caller
// serialises writes; now renews the write deadline now and then (a write
// never waits in practice: see Client.mu).
func (ws *wsConn) write(op byte, payload []byte, now time.Time) error {
	if ws.closeSent {
		return errCloseSent
	}
	if op == opClose {
		ws.closeSent = true
	}
	b := append(ws.out[:0], 0x80|op)
	switch n := len(payload); {
	case n <= 125:
		b = append(b, 0x80|byte(n))
	case n <= 0xFFFF:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	// The mask only keeps browsers' frames from being read as something
	// else by proxies; any key will do here.
	key := rand.Uint32()
	b = binary.LittleEndian.AppendUint32(b, key)
	start := len(b)
	b = append(b, payload...)
	maskBytes(b[start:], key)
	ws.out = b
	if now.After(ws.deadline) {
		// Setting a deadline costs a runtime timer update: push it
		// writeWait ahead every writeWait/2, so that a write is always
		// bounded by 5 to 10 s.
		ws.nc.SetWriteDeadline(now.Add(writeWait))
		ws.deadline = now.Add(writeWait / 2)
	}
	if ws.raw == nil {
		_, err := ws.nc.Write(b)
		return err
	}
	ws.pending, ws.werr = b, nil
	err := ws.raw.Write(ws.writeFn)
	ws.pending = nil
	if err != nil {
		return err
	}
	return ws.werr
}

// rawWrite writes ws.pending on the socket fd, for raw.Write.
func (ws *wsConn) rawWrite(fd uintptr) bool {
	for len(ws.pending) > 0 {
		// send with MSG_NOSIGNAL: a closed peer is an error, not a SIGPIPE.
		n, _, errno := syscall.RawSyscall6(syscall.SYS_SENDTO, fd, uintptr(unsafe.Pointer(&ws.pending[0])), uintptr(len(ws.pending)), syscall.MSG_NOSIGNAL, 0, 0)
		switch {
		case errno == syscall.EAGAIN:
			return false // the socket buffer is full: wait for room
		case errno == syscall.EINTR:
			continue
		case errno != 0:
			ws.werr = errno
			return true
		}
		ws.pending = ws.pending[n:]
	}
	return true
}

// writeClose sends a close frame with code and text (none for 1005, "no
// status"), bounded by wait, unless one was sent.
func (ws *wsConn) writeClose(code int, text string, wait time.Duration) error {
	if ws.closeSent {
		return errCloseSent
	}
	now := time.Now()
	ws.nc.SetWriteDeadline(now.Add(wait))
	ws.deadline = now.Add(wait)
	var payload []byte
	if code != 1005 {
		payload = binary.BigEndian.AppendUint16(nil, uint16(code))
		payload = append(payload, text...)
	}
	return ws.write(opClose, payload, now)
}

// maskBytes XORs b with the 4-byte key, 8 bytes at a time.
func maskBytes(b []byte, key uint32) {
	k8 := uint64(key) | uint64(key)<<32
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k8)
		b = b[8:]
	}
	for i := range b {
		b[i] ^= byte(key >> (8 * (i & 3)))
	}
}
