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
type outQueue struct {
	mu     sync.Mutex
	items  []outMsg
	bytes  int
	ready  chan struct{} // signalled (non-blocking) when items were added
	closed bool
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

func newOutQueue() *outQueue {
	return &outQueue{ready: make(chan struct{}, 1)}
}

// push adds m; false if the queue is over its bounds (or closed).
func (q *outQueue) push(m outMsg) bool {
	q.mu.Lock()
	if q.closed || len(q.items) >= queueMaxMsgs || q.bytes+m.size > queueMaxBytes {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, m)
	q.bytes += m.size
	q.mu.Unlock()
	q.wake()
	return true
}

// wake signals the write pump (non-blocking: one pending signal is enough,
// the pump looks at everything when it wakes).
func (q *outQueue) wake() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
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

// close refuses further pushes.
func (q *outQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}
