package main

import (
	"context"
	"encoding/json"
	"math/rand"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tablee/tablee/board"
	"github.com/tablee/tablee/hub/redistest"
)

// startInstances runs n instances of the application sharing one Redis.
func startInstances(t *testing.T, rs *redistest.Server, n int) []*httptest.Server {
	t.Helper()
	out := make([]*httptest.Server, n)
	for i := range out {
		out[i], _ = startTestServerWith(t, Config{RedisURL: rs.URL(), LogLevel: "debug"})
	}
	return out
}

// typist drives an otClient that reconnects to another instance when its
// connection drops, resending its in-flight submit with the same seq.
type typist struct {
	*otClient
	t       *testing.T
	key     string
	epoch   string
	servers []*httptest.Server
	next    int
}

func newTypist(t *testing.T, servers []*httptest.Server, first int, boardID, key string) *typist {
	ty := &typist{t: t, key: key, servers: servers, next: first}
	ty.otClient = &otClient{board: boardID}
	ty.connect(nil)
	return ty
}

// connect dials the next instance and says hello (with since when it has
// state), applying the catch-up like a real client.
func (ty *typist) connect(since map[string]any) bool {
	srv := ty.servers[ty.next%len(ty.servers)]
	ty.next++
	id := ""
	if ty.wsConn != nil {
		id = ty.wsConn.id
	}
	var c *wsConn
	if id == "" {
		c = dial(ty.t, srv)
	} else {
		c = dialAs(ty.t, srv, id)
	}
	ty.wsConn = c
	extra := map[string]any{}
	if since != nil {
		extra["since"] = since
	}
	m := c.hello(ty.board, ty.key, extra)
	if m.Type != "welcome" {
		ty.t.Errorf("hello: %s", m.raw)
		return false
	}
	ty.epoch = m.Epoch
	if m.Snapshot != nil {
		// A new epoch: what was not acknowledged belongs to a history that
		// is gone; start again from the snapshot.
		ty.doc = m.Snapshot.Sections["enjeux"].Text
		ty.v = m.V
		ty.flying, ty.inflight, ty.pending = false, nil, nil
		return true
	}
	// The submit in flight when the connection dropped: committed if the
	// catch-up holds it, else to be sent again under the same seq. A
	// pending op that becomes in flight meanwhile is sent by handle.
	lost := ty.flying
	lostSeq := ty.seq
	for _, raw := range m.Ops {
		var op msg
		json.Unmarshal(raw, &op)
		op.Type = "op"
		if ty.flying && op.Client == ty.wsConn.id && op.Seq == ty.seq {
			ty.handle(ty.t, msg{Type: "ack", V: op.V, Seq: op.Seq})
			continue
		}
		ty.handle(ty.t, op)
	}
	if lost && ty.flying && ty.seq == lostSeq {
		// Not committed: resend with the same seq, on the current version.
		ty.resend()
	}
	return true
}

func (ty *typist) reconnect() bool {
	return ty.connect(map[string]any{"v": ty.v, "epoch": ty.epoch})
}

// typeAll types n characters of s at random places, reconnecting when the
// connection drops, until all are acknowledged.
func (ty *typist) typeAll(rng *rand.Rand, s string, n int, stop <-chan struct{}) {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	deadline := time.After(60 * time.Second)
	for ty.typed < n || ty.flying || len(ty.pending) > 0 {
		select {
		case m, ok := <-ty.in:
			if !ok {
				time.Sleep(20 * time.Millisecond)
				if !ty.reconnect() {
					return
				}
				continue
			}
			if m.Type == "reject" && m.Code == "unavailable" {
				// Storage is down: the edit stays ours; send it again
				// later under a new seq.
				ty.flying = false
				ty.pending = composeOrKeep(ty.inflight, ty.pending)
				time.Sleep(50 * time.Millisecond)
				if len(ty.pending) > 0 {
					ty.inflight, ty.pending = ty.pending, nil
					ty.sendInflight()
				}
				continue
			}
			ty.handle(ty.t, m)
		case <-tick.C:
			if ty.typed < n && rng.Intn(3) == 0 {
				ty.typeChar(rng, s)
			}
		case <-deadline:
			ty.t.Errorf("typist %s: not done in time (typed %d, flying %v)", s, ty.typed, ty.flying)
			return
		case <-stop:
			return
		}
	}
}

// settle reads until the client has seen version v.
func (ty *typist) settle(v uint64) {
	deadline := time.After(15 * time.Second)
	for ty.v < v {
		select {
		case m, ok := <-ty.in:
			if !ok {
				if !ty.reconnect() {
					return
				}
				continue
			}
			ty.handle(ty.t, m)
		case <-deadline:
			ty.t.Fatalf("stuck at v%d of %d", ty.v, v)
		}
	}
}

func TestRedisInstancesConverge(t *testing.T) {
	rs := redistest.Start(t)
	servers := startInstances(t, rs, 3)
	w := createWorkshop(t, servers[0].URL)
	b := w.Groups[0].Board
	alphabets := []string{"a", "é", "🌱", "Z", "ç", "👩"}
	const keystrokes = 60
	typists := make([]*typist, len(alphabets))
	for i := range typists {
		typists[i] = newTypist(t, servers, i, b, w.Code) // spread across instances
	}
	var wg sync.WaitGroup
	for i, ty := range typists {
		wg.Add(1)
		go func(i int, ty *typist) {
			defer wg.Done()
			ty.typeAll(rand.New(rand.NewSource(int64(i)+7)), alphabets[i], keystrokes, nil)
		}(i, ty)
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	checkConverged(t, servers[1].URL, b, w.Code, typists, alphabets, keystrokes)
}

// checkConverged waits until every typist saw the final version and checks
// that all hold the stored text, with every keystroke in it.
func checkConverged(t *testing.T, base, b, key string, typists []*typist, alphabets []string, keystrokes int) {
	t.Helper()
	counts := map[string]int{}
	for _, a := range alphabets {
		counts[a] = keystrokes
	}
	checkCounts(t, base, b, key, typists, counts)
}

// checkCounts is checkConverged with a count per character.
func checkCounts(t *testing.T, base, b, key string, typists []*typist, counts map[string]int) {
	t.Helper()
	var head uint64
	for _, ty := range typists {
		if ty.v > head {
			head = ty.v
		}
	}
	st, snap := getSnapshot(t, base, b, key)
	if st != 200 {
		t.Fatalf("snapshot: %d %v", st, snap)
	}
	if v := uint64(snap["v"].(float64)); v > head {
		head = v
	}
	for _, ty := range typists {
		ty.settle(head)
	}
	_, snap = getSnapshot(t, base, b, key)
	want := sectionText(t, snap, "enjeux")
	for i, ty := range typists {
		if ty.doc != want {
			t.Fatalf("typist %d diverged:\n got %q\nwant %q", i, ty.doc, want)
		}
	}
	for a, k := range counts {
		if n := strings.Count(want, a); n != k {
			t.Errorf("%q typed %d times, %d in the text", a, k, n)
		}
	}
}

// TestRedisInstanceKilled stops an instance in the middle of the typing:
// its clients reconnect to the others and lose nothing.
func TestRedisInstanceKilled(t *testing.T) {
	rs := redistest.Start(t)
	servers := make([]*httptest.Server, 3)
	apps := make([]*Server, 3)
	for i := range servers {
		servers[i], apps[i] = startTestServerWith(t, Config{RedisURL: rs.URL(), LogLevel: "debug"})
	}
	w := createWorkshop(t, servers[0].URL)
	b := w.Groups[0].Board
	alphabets := []string{"a", "é", "🌱", "Z"}
	const keystrokes = 80
	typists := make([]*typist, len(alphabets))
	for i := range typists {
		typists[i] = newTypist(t, servers, i%2, b, w.Code) // instances 0 and 1
	}
	var wg sync.WaitGroup
	for i, ty := range typists {
		wg.Add(1)
		go func(i int, ty *typist) {
			defer wg.Done()
			ty.typeAll(rand.New(rand.NewSource(int64(i)+11)), alphabets[i], keystrokes, nil)
		}(i, ty)
	}
	// Kill instance 0 abruptly while they type: its connections drop.
	time.Sleep(150 * time.Millisecond)
	servers[0].CloseClientConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	apps[0].hub.Shutdown(ctx)
	cancel()
	wg.Wait()
	if t.Failed() {
		return
	}
	checkConverged(t, servers[2].URL, b, w.Code, typists, alphabets, keystrokes)
}

// TestRedisPubSubLoss kills the instances' pub/sub connections over and
// over while clients type on two instances: messages published meanwhile
// are lost, and the rooms recover them from the log.
func TestRedisPubSubLoss(t *testing.T) {
	rs := redistest.Start(t)
	servers := startInstances(t, rs, 2)
	w := createWorkshop(t, servers[0].URL)
	b := w.Groups[0].Board
	admin := redis.NewClient(&redis.Options{Addr: rs.Addr})
	defer admin.Close()
	alphabets := []string{"a", "é", "🌱", "Z"}
	const keystrokes = 60
	typists := make([]*typist, len(alphabets))
	for i := range typists {
		typists[i] = newTypist(t, servers, i, b, w.Code)
	}
	stop := make(chan struct{})
	var kills atomic.Int64
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(30 * time.Millisecond):
				if n, err := admin.ClientKillByFilter(context.Background(), "TYPE", "pubsub").Result(); err == nil {
					kills.Add(n)
				}
			}
		}
	}()
	var wg sync.WaitGroup
	for i, ty := range typists {
		wg.Add(1)
		go func(i int, ty *typist) {
			defer wg.Done()
			ty.typeAll(rand.New(rand.NewSource(int64(i)+3)), alphabets[i], keystrokes, nil)
		}(i, ty)
	}
	wg.Wait()
	close(stop)
	if kills.Load() == 0 {
		t.Fatal("no pub/sub connection was killed: the test proved nothing")
	}
	if t.Failed() {
		return
	}
	checkConverged(t, servers[1].URL, b, w.Code, typists, alphabets, keystrokes)
	t.Logf("%d pub/sub connections killed", kills.Load())
}

// TestRedisDownAndBack kills redis-server (with an append-only file synced
// at every write) while clients type, and restarts it: during the outage
// clients are told the board is degraded and their submits are refused, not
// lost; afterwards everything acknowledged is there and typing resumes.
func TestRedisDownAndBack(t *testing.T) {
	rs := redistest.Start(t, "--appendonly", "yes", "--appendfsync", "always")
	servers := startInstances(t, rs, 2)
	w := createWorkshop(t, servers[0].URL)
	b := w.Groups[0].Board
	alphabets := []string{"a", "é", "🌱"}
	const keystrokes = 60
	typists := make([]*typist, len(alphabets))
	for i := range typists {
		typists[i] = newTypist(t, servers, i, b, w.Code)
	}
	watcher := dial(t, servers[1])
	watcher.hello(b, w.Code)
	var wg sync.WaitGroup
	for i, ty := range typists {
		wg.Add(1)
		go func(i int, ty *typist) {
			defer wg.Done()
			ty.typeAll(rand.New(rand.NewSource(int64(i)+5)), alphabets[i], keystrokes, nil)
		}(i, ty)
	}
	time.Sleep(100 * time.Millisecond)
	rs.Kill()
	if m := watcher.next("status"); !strings.Contains(string(m.raw), `"degraded"`) {
		t.Fatalf("want a degraded status, got %s", m.raw)
	}
	time.Sleep(500 * time.Millisecond)
	rs.Restart(t)
	if m := watcher.next("status"); !strings.Contains(string(m.raw), `"ok"`) {
		t.Fatalf("want an ok status, got %s", m.raw)
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	checkConverged(t, servers[0].URL, b, w.Code, typists, alphabets, keystrokes)
}

// composeOrKeep puts a refused in-flight op back in front of the pending one.
func composeOrKeep(inflight, pending board.TextOp) board.TextOp {
	if len(pending) == 0 {
		return inflight
	}
	return board.Compose(inflight, pending)
}

// TestRedisDataLoss restarts redis-server without persistence: Redis comes
// back empty. The instances put the boards they hold back under a new epoch
// (and the workshops they know), clients take the new snapshot, nobody
// diverges, and the edits acknowledged before the loss are still there.
func TestRedisDataLoss(t *testing.T) {
	rs := redistest.Start(t)
	servers := startInstances(t, rs, 2)
	w := createWorkshop(t, servers[0].URL)
	b := w.Groups[0].Board
	typists := []*typist{newTypist(t, servers, 0, b, w.Code), newTypist(t, servers, 1, b, w.Code)}
	before := typists[0].epoch
	var wg sync.WaitGroup
	for i, ty := range typists {
		wg.Add(1)
		go func(i int, ty *typist) {
			defer wg.Done()
			ty.typeAll(rand.New(rand.NewSource(int64(i))), []string{"a", "b"}[i], 30, nil)
		}(i, ty)
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	checkConverged(t, servers[0].URL, b, w.Code, typists, []string{"a", "b"}, 30)

	rs.Restart(t) // no persistence: Redis is empty now
	for i, ty := range typists {
		wg.Add(1)
		go func(i int, ty *typist) {
			defer wg.Done()
			ty.typeAll(rand.New(rand.NewSource(int64(i)+40)), []string{"X", "Y"}[i], 40, nil)
		}(i, ty)
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if typists[0].epoch == before || typists[1].epoch != typists[0].epoch {
		t.Fatalf("epochs: before %s, now %s and %s", before, typists[0].epoch, typists[1].epoch)
	}
	// Everyone holds the same text, with every edit acknowledged before
	// the loss.
	checkConverged(t, servers[1].URL, b, w.Code, typists, []string{"a", "b"}, 30)
	// And typing goes on normally in the new epoch.
	for i, ty := range typists {
		wg.Add(1)
		go func(i int, ty *typist) {
			defer wg.Done()
			ty.typed = 0
			ty.typeAll(rand.New(rand.NewSource(int64(i)+80)), []string{"ç", "🌱"}[i], 20, nil)
		}(i, ty)
	}
	wg.Wait()
	checkCounts(t, servers[0].URL, b, w.Code, typists, map[string]int{"a": 30, "b": 30, "ç": 20, "🌱": 20})
}

// TestRedisPresenceCrossesInstances: who is here shows across instances.
func TestRedisPresenceCrossesInstances(t *testing.T) {
	rs := redistest.Start(t)
	servers := startInstances(t, rs, 2)
	w := createWorkshop(t, servers[0].URL)
	b := w.Groups[0].Board
	a, c := dial(t, servers[0]), dial(t, servers[1])
	a.hello(b, w.Code)
	c.hello(b, w.Code)
	time.Sleep(100 * time.Millisecond) // both rooms subscribed
	a.send(map[string]any{"type": "presence", "board": b, "focus": "financement", "cursor": 2})
	m := c.next("presence")
	if m.Client != a.id || m.Focus != "financement" {
		t.Fatalf("presence across instances: %s", m.raw)
	}
	a.send(map[string]any{"type": "bye", "board": b})
	if m := c.next("presence"); !m.Gone || m.Client != a.id {
		t.Fatalf("want gone across instances, got %s", m.raw)
	}
}

// TestOpenRedisProtocol: RESP2 unless the URL asks for another protocol.
func TestOpenRedisProtocol(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want int
	}{
		{"redis://127.0.0.1:1/0", 2},
		{"redis://127.0.0.1:1/0?protocol=3", 3},
		{"redis://127.0.0.1:1?addr=127.0.0.1:2", 2},
		{"redis://127.0.0.1:1?addr=127.0.0.1:2&protocol=3", 3},
	} {
		rdb, err := openRedis(tc.url)
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		var got int
		switch c := rdb.(type) {
		case *redis.Client:
			got = c.Options().Protocol
		case *redis.ClusterClient:
			got = c.Options().Protocol
		}
		rdb.Close()
		if got != tc.want {
			t.Errorf("%s: protocol %d, want %d", tc.url, got, tc.want)
		}
	}
}
