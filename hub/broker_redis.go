package hub

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/tablee/tablee/board"
)

// RedisBroker shares boards between instances through Redis:
//
//	tablee:{b:ID}:meta  hash    head, epoch, snapv, first (oldest logged version)
//	tablee:{b:ID}:log   stream  one entry per version, id "v-0", field d = entry JSON
//	tablee:{b:ID}:snap  string  the board's state at snapv
//	tablee:{b:ID}:ch    channel the records of each commit, as a JSON array,
//	                    prefixed by the id of the instance that committed
//	tablee:{b:ID}:pr    channel presence messages, prefixed by the instance id
//
// The {b:ID} hash tag keeps a board's keys on one Redis Cluster slot, so the
// Lua scripts that touch several of them run on single Redis and on Cluster
// alike (redis.UniversalClient).
//
// Redis pub/sub is at most once: a message published while an instance's
// subscription reconnects is gone. The room checks the head now and then and
// reads what it missed from the log; nothing depends on pub/sub for safety.
type RedisBroker struct {
	rdb    redis.UniversalClient
	log    *slog.Logger
	prefix string
	// self tags this instance's commit and presence messages, so that it
	// skips its own: its rooms have them already.
	self string

	ps *redis.PubSub

	mu   sync.Mutex
	subs map[string]map[*redisSub]struct{} // board → subscribers

	// presence is the queue of presence messages to publish; a goroutine
	// publishes them so that rooms never wait on Redis for ephemera.
	presence chan [2]string
	done     chan struct{}
	wg       sync.WaitGroup
	once     sync.Once
}

var _ Broker = (*RedisBroker)(nil)

type redisSub struct{ h Handler }

var (
	//go:embed lua/create.lua
	luaCreate string
	//go:embed lua/commit.lua
	luaCommit string
	//go:embed lua/snapshot.lua
	luaSnapshot string

	scriptCreate   = redis.NewScript(luaCreate)
	scriptCommit   = redis.NewScript(luaCommit)
	scriptSnapshot = redis.NewScript(luaSnapshot)
)

const (
	// pubsubCheck is how long the subscription may stay quiet before it is
	// pinged: a ping on a broken connection makes go-redis reconnect and
	// subscribe again (what its Channel's health check does, every 3 s).
	pubsubCheck = 3 * time.Second
	// presenceQueue bounds presence messages waiting to be published;
	// beyond it they are dropped (ephemeral).
	presenceQueue = 1024
)

// NewRedisBroker connects to Redis and starts the subscription reader. The
// prefix namespaces every key ("tablee" by default).
func NewRedisBroker(ctx context.Context, rdb redis.UniversalClient, prefix string, log *slog.Logger) (*RedisBroker, error) {
	if prefix == "" {
		prefix = "tablee"
	}
	if log == nil {
		log = slog.Default()
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	b := &RedisBroker{
		rdb:      rdb,
		log:      log,
		prefix:   prefix,
		self:     uuid.NewString(),
		ps:       rdb.Subscribe(ctx),
		subs:     make(map[string]map[*redisSub]struct{}),
		presence: make(chan [2]string, presenceQueue),
		done:     make(chan struct{}),
	}
	b.wg.Add(2)
	go b.reader()
	go b.presencePublisher()
	return b, nil
}

func (b *RedisBroker) key(board, what string) string {
	return b.prefix + ":{b:" + board + "}:" + what
}

// unavailable wraps a Redis error so callers see ErrUnavailable.
func unavailable(err error) error {
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}

// Create implements Broker.
func (b *RedisBroker) Create(ctx context.Context, board, epoch string, state []byte) error {
	_, err := b.CreateAt(ctx, board, epoch, state, 0)
	return err
}

// CreateAt creates a board whose state is at version v: after Redis lost a
// board, the instance that still holds it puts it back under a new epoch.
// created is false when the board exists (another instance was first).
func (b *RedisBroker) CreateAt(ctx context.Context, board, epoch string, state []byte, v uint64) (created bool, err error) {
	n, err := scriptCreate.Run(ctx, b.rdb, []string{b.key(board, "meta"), b.key(board, "snap")},
		epoch, state, v).Int64()
	if err != nil {
		return false, unavailable(err)
	}
	return n == 1, nil
}

// Load implements Broker.
func (b *RedisBroker) Load(ctx context.Context, board string) ([]byte, uint64, string, error) {
	var meta *redis.SliceCmd
	var snap *redis.StringCmd
	_, err := b.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		meta = p.HMGet(ctx, b.key(board, "meta"), "snapv", "epoch")
		snap = p.Get(ctx, b.key(board, "snap"))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, 0, "", unavailable(err)
	}
	vals := meta.Val()
	if len(vals) != 2 || vals[0] == nil {
		return nil, 0, "", ErrNoBoard
	}
	v, err := strconv.ParseUint(fmt.Sprint(vals[0]), 10, 64)
	if err != nil {
		return nil, 0, "", fmt.Errorf("redis: bad snapv: %w", err)
	}
	state, err := snap.Bytes()
	if err != nil {
		return nil, 0, "", fmt.Errorf("redis: snapshot of %s missing: %w", board, err)
	}
	return state, v, fmt.Sprint(vals[1]), nil
}

// Commit implements Broker.
func (b *RedisBroker) Commit(ctx context.Context, board string, records []Record) error {
	if len(records) == 0 {
		return nil
	}
	args := make([]any, 0, len(records)+3)
	args = append(args, b.key(board, "ch"), records[0].V, b.self)
	for i, r := range records {
		if r.V != records[0].V+uint64(i) {
			return fmt.Errorf("hub: records not consecutive at v%d", r.V)
		}
		args = append(args, r.Data)
	}
	n, err := scriptCommit.Run(ctx, b.rdb, []string{b.key(board, "meta"), b.key(board, "log")}, args...).Int64()
	switch {
	case err != nil:
		return unavailable(err)
	case n == -1:
		return ErrNoBoard
	case n == -2:
		return ErrConflict
	}
	return nil
}

// History implements Broker.
func (b *RedisBroker) History(ctx context.Context, board string, since uint64, limit int) ([]Record, error) {
	var meta *redis.SliceCmd
	var rng *redis.XMessageSliceCmd
	start := strconv.FormatUint(since+1, 10) + "-0"
	_, err := b.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		meta = p.HMGet(ctx, b.key(board, "meta"), "head", "first")
		if limit > 0 {
			rng = p.XRangeN(ctx, b.key(board, "log"), start, "+", int64(limit))
		} else {
			rng = p.XRange(ctx, b.key(board, "log"), start, "+")
		}
		return nil
	})
	if err != nil {
		return nil, unavailable(err)
	}
	vals := meta.Val()
	if len(vals) != 2 || vals[0] == nil {
		return nil, ErrNoBoard
	}
	head, _ := strconv.ParseUint(fmt.Sprint(vals[0]), 10, 64)
	first, _ := strconv.ParseUint(fmt.Sprint(vals[1]), 10, 64)
	if since >= head {
		return nil, nil
	}
	if since+1 < first {
		return nil, ErrTrimmed
	}
	msgs := rng.Val()
	out := make([]Record, 0, len(msgs))
	for _, m := range msgs {
		v, err := strconv.ParseUint(m.ID[:len(m.ID)-2], 10, 64) // "v-0"
		if err != nil {
			return nil, fmt.Errorf("redis: bad log id %q", m.ID)
		}
		d, _ := m.Values["d"].(string)
		out = append(out, Record{V: v, Data: []byte(d)})
	}
	if len(out) > 0 && out[0].V != since+1 {
		return nil, ErrTrimmed
	}
	return out, nil
}

// Head implements Broker.
func (b *RedisBroker) Head(ctx context.Context, board string) (uint64, string, error) {
	vals, err := b.rdb.HMGet(ctx, b.key(board, "meta"), "head", "epoch").Result()
	if err != nil {
		return 0, "", unavailable(err)
	}
	if len(vals) != 2 || vals[0] == nil {
		return 0, "", ErrNoBoard
	}
	v, _ := strconv.ParseUint(fmt.Sprint(vals[0]), 10, 64)
	return v, fmt.Sprint(vals[1]), nil
}

// SaveSnapshot implements Broker.
func (b *RedisBroker) SaveSnapshot(ctx context.Context, board string, v uint64, state []byte, keep uint64) error {
	n, err := scriptSnapshot.Run(ctx, b.rdb,
		[]string{b.key(board, "meta"), b.key(board, "snap"), b.key(board, "log")},
		v, state, keep).Int64()
	switch {
	case err != nil:
		return unavailable(err)
	case n == -1:
		return ErrNoBoard
	case n == -2:
		return fmt.Errorf("hub: snapshot v%d ahead of the log", v)
	}
	return nil
}

// Delete implements Broker.
func (b *RedisBroker) Delete(ctx context.Context, board string) error {
	err := b.rdb.Del(ctx, b.key(board, "meta"), b.key(board, "log"), b.key(board, "snap")).Err()
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Subscribe implements Broker.
func (b *RedisBroker) Subscribe(board string, h Handler) (func(), error) {
	s := &redisSub{h: h}
	b.mu.Lock()
	m := b.subs[board]
	first := m == nil
	if first {
		m = make(map[*redisSub]struct{})
		b.subs[board] = m
	}
	m[s] = struct{}{}
	b.mu.Unlock()
	if first {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// If Redis is down, go-redis subscribes when it reconnects; the
		// room's head checks cover the meantime.
		if err := b.ps.Subscribe(ctx, b.key(board, "ch"), b.key(board, "pr")); err != nil {
			b.log.Warn("redis subscribe", "board", board, "err", err)
		}
	}
	return func() {
		b.mu.Lock()
		delete(b.subs[board], s)
		last := len(b.subs[board]) == 0
		if last {
			delete(b.subs, board)
		}
		b.mu.Unlock()
		if last {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			b.ps.Unsubscribe(ctx, b.key(board, "ch"), b.key(board, "pr"))
		}
	}, nil
}

// boardOf extracts ID and the channel kind from "prefix:{b:ID}:ch".
func (b *RedisBroker) boardOf(channel string) (string, string, bool) {
	p := len(b.prefix) + len(":{b:")
	if len(channel) < p+len("}:ch") {
		return "", "", false
	}
	return channel[p : len(channel)-len("}:ch")], channel[len(channel)-2:], true
}

// reader receives what Redis publishes and dispatches it to the rooms. It
// reads the subscription itself rather than through go-redis's Channel,
// which wakes two more goroutines per message (a forwarder and a health
// check) on every instance for every commit; a quiet subscription is pinged
// instead (pubsubCheck).
func (b *RedisBroker) reader() {
	defer b.wg.Done()
	ctx := context.Background()
	failures := 0
	for {
		msg, err := b.ps.ReceiveTimeout(ctx, pubsubCheck)
		select {
		case <-b.done:
			return
		default:
		}
		if err != nil {
			if errors.Is(err, redis.ErrClosed) {
				return
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				b.ps.Ping(ctx) // an error here has go-redis reconnect
				continue
			}
			// The connection broke: go-redis reconnects on the next
			// receive; don't spin if Redis is down.
			if failures++; failures > 1 {
				select {
				case <-b.done:
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
			continue
		}
		failures = 0
		if m, ok := msg.(*redis.Message); ok {
			b.dispatch(m.Channel, m.Payload)
		}
	}
}

// dispatch hands a published message to the rooms that follow its board.
// This instance's own messages are skipped first: its rooms have them.
func (b *RedisBroker) dispatch(channel, payload string) {
	board, kind, ok := b.boardOf(channel)
	if !ok {
		return
	}
	switch kind {
	case "ch":
		// "<instance id>[entries]"; a message without an id (from an
		// instance of an older version) is taken whole.
		if i := strings.IndexByte(payload, '['); i > 0 {
			if payload[:i] == b.self {
				return
			}
			payload = payload[i:]
		}
		recs, err := parseRecords(payload)
		if err != nil {
			b.log.Warn("redis: bad commit message", "board", board, "err", err)
			return
		}
		for _, s := range b.subsOf(board) {
			if s.h.Records != nil {
				s.h.Records(recs)
			}
		}
	case "pr":
		if len(payload) <= len(b.self) || payload[:len(b.self)] == b.self {
			return
		}
		msg := []byte(payload[len(b.self):])
		for _, s := range b.subsOf(board) {
			if s.h.Presence != nil {
				s.h.Presence(msg)
			}
		}
	}
}

// subsOf copies the board's subscribers, to call them outside the lock.
func (b *RedisBroker) subsOf(board string) []*redisSub {
	b.mu.Lock()
	defer b.mu.Unlock()
	subs := make([]*redisSub, 0, len(b.subs[board]))
	for s := range b.subs[board] {
		subs = append(subs, s)
	}
	return subs
}

// parseRecords reads the commit payload: a JSON array of entries. It runs
// for every commit of every followed board, so it splits the array and reads
// each "v" without encoding/json's reflection (entryVersion).
func parseRecords(payload string) ([]Record, error) {
	data := []byte(payload)
	bad := func(at int) error {
		return fmt.Errorf("hub: commit message is not an array of entries (at byte %d)", at)
	}
	i := board.SkipSpace(data, 0)
	if i >= len(data) || data[i] != '[' {
		return nil, bad(i)
	}
	out := make([]Record, 0, 1)
	if i = board.SkipSpace(data, i+1); i < len(data) && data[i] == ']' {
		if board.SkipSpace(data, i+1) != len(data) {
			return nil, bad(i + 1)
		}
		return out, nil
	}
	for {
		end, ok := board.SkipJSON(data, i)
		if !ok {
			return nil, bad(end)
		}
		raw := bytes.TrimRight(data[i:end], " \t\r\n")
		v, err := entryVersion(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, Record{V: v, Data: raw})
		end = board.SkipSpace(data, end)
		switch {
		case end < len(data) && data[end] == ',':
			i = board.SkipSpace(data, end+1)
		case end < len(data) && data[end] == ']' && board.SkipSpace(data, end+1) == len(data):
			return out, nil
		default:
			return nil, bad(end)
		}
	}
}

// entryVersion reads an entry's "v": directly when the entry starts with it,
// as the rooms encode entries (one "v", first), else through encoding/json.
func entryVersion(raw []byte) (uint64, error) {
	const pre = `{"v":`
	if bytes.HasPrefix(raw, []byte(pre)) {
		var v uint64
		j := len(pre)
		for ; j < len(raw) && j-len(pre) < 19 && raw[j] >= '0' && raw[j] <= '9'; j++ {
			v = v*10 + uint64(raw[j]-'0')
		}
		if j > len(pre) && j < len(raw) && (raw[j] == ',' || raw[j] == '}') && (raw[len(pre)] != '0' || j == len(pre)+1) {
			return v, nil
		}
	}
	var head struct {
		V uint64 `json:"v"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return 0, fmt.Errorf("hub: commit message entry: %w", err)
	}
	return head.V, nil
}

// PublishPresence implements Broker.
func (b *RedisBroker) PublishPresence(ctx context.Context, board string, msg []byte) error {
	select {
	case b.presence <- [2]string{b.key(board, "pr"), b.self + string(msg)}:
	default: // ephemeral: dropped when Redis cannot keep up
	}
	return nil
}

func (b *RedisBroker) presencePublisher() {
	defer b.wg.Done()
	for {
		select {
		case <-b.done:
			return
		case p := <-b.presence:
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			b.rdb.Publish(ctx, p[0], p[1])
			cancel()
		}
	}
}

// Close implements Broker.
func (b *RedisBroker) Close() error {
	b.once.Do(func() {
		close(b.done)
		b.ps.Close()
		b.wg.Wait()
	})
	return nil
}
