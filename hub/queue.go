package hub

import (
	"sync"
)

// outMsg is one message to write, as one text frame. A broadcast's bytes
// are shared by every follower's queue: they are never modified.
type outMsg struct {
	data []byte
	size int // bytes it holds, for the queue's budget
}

// outQueue is a connection's queue of frames to write. Unlike a buffered
// channel it costs nothing while empty — most connections are idle most of
// the time — and it is bounded in bytes and in messages: a connection that
// falls that far behind is closed (it catches up on reconnect) instead of
// holding memory or slowing the rooms that feed it.
//
// It also decides when a write pump runs: a pump is started when there is
// something to do (frames, or a signal: a ping due, a kick, the end of the
// read pump) and none runs, and the pump stops when it finds nothing left.
// An idle connection so holds no writer goroutine (its stack and batch were
// a fifth of the connection's memory).
type outQueue struct {
	mu     sync.Mutex
	items  []outMsg
	bytes  int
	closed bool
	// running: a pump is on the queue, and looks again before it stops.
	running bool
	// poked: a signal came; the pump looks at its flags before it stops.
	poked bool
	// start starts a pump; called outside mu, once running was set.
	start func()
}

const (
	// queueMaxMsgs and queueMaxBytes bound what waits for one connection:
	// a projector following 30 busy boards gets about 1,200 messages a
	// second, so this is a few seconds of a Wi-Fi stall.
	queueMaxMsgs  = 4096
	queueMaxBytes = 4 << 20
	// queueKeepCap is the largest backing array kept once the queue is
	// drained; a burst's larger array is dropped so idle memory stays small.
	queueKeepCap = 64
)

func newOutQueue(start func()) *outQueue {
	return &outQueue{start: start}
}

// push adds m and gets a pump going; false if the queue is over its bounds
// (or closed).
func (q *outQueue) push(m outMsg) bool {
	q.mu.Lock()
	if q.closed || len(q.items) >= queueMaxMsgs || q.bytes+m.size > queueMaxBytes {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, m)
	q.bytes += m.size
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		q.start()
	}
	return true
}

// signal gets a pump to look at its flags: it starts one, or has the
// running one look again before it stops.
func (q *outQueue) signal() {
	q.mu.Lock()
	start := !q.running
	q.running, q.poked = true, true
	q.mu.Unlock()
	if start {
		q.start()
	}
}

// next is the pump's take: every queued frame, moved into dst (reused),
// and true; or false when there is nothing (no frame, no signal), in which
// case the pump has stopped and must not touch the connection again.
func (q *outQueue) next(dst []outMsg) ([]outMsg, bool) {
	q.mu.Lock()
	if len(q.items) == 0 && !q.poked {
		q.running = false
		q.mu.Unlock()
		return dst[:0], false
	}
	q.poked = false
	q.mu.Unlock()
	return q.take(dst), true
}

// take moves every queued frame into dst (reused) and returns it.
func (q *outQueue) take(dst []outMsg) []outMsg {
	q.mu.Lock()
	dst = append(dst[:0], q.items...)
	clear(q.items)
	if cap(q.items) > queueKeepCap {
		q.items = nil
	} else {
		q.items = q.items[:0]
	}
	q.bytes = 0
	q.mu.Unlock()
	return dst
}

// close refuses further pushes, and starts no pump any more: the pump that
// calls it is the last.
func (q *outQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.running = true
	q.mu.Unlock()
}
