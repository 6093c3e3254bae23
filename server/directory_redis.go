package main

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/redis/go-redis/v9"
)

// redisDirectory keeps workshops in Redis so that every instance can answer
// for every workshop:
//
//	tablee:ws:ID        workshop JSON
//	tablee:code:CODE    workshop id (claimed with SET NX: codes stay unique)
//	tablee:boardws:ID   id of the workshop that owns the board
//
// Each instance also remembers the workshops it has served: if Redis comes
// back empty (restarted without persistence), a workshop that an instance
// still knows is written back, so its participants can reconnect and take
// the boards that the rooms put back under a new epoch.
type redisDirectory struct {
	rdb    redis.UniversalClient
	prefix string

	mu     sync.Mutex
	known  map[string]*Workshop // by id
	byCode map[string]string    // code → id
	byBrd  map[string]string    // board → id
}

// maxKnown bounds the memory of served workshops (a few hundred bytes each).
const maxKnown = 20000

func newRedisDirectory(rdb redis.UniversalClient, prefix string) *redisDirectory {
	return &redisDirectory{rdb: rdb, prefix: prefix, known: map[string]*Workshop{},
		byCode: map[string]string{}, byBrd: map[string]string{}}
}

func (d *redisDirectory) remember(w *Workshop) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.known) >= maxKnown {
		d.known, d.byCode, d.byBrd = map[string]*Workshop{}, map[string]string{}, map[string]string{}
	}
	d.known[w.ID] = w
	d.byCode[w.Code] = w.ID
	for _, b := range w.boards() {
		d.byBrd[b] = w.ID
	}
}

// forget drops a deleted workshop from memory, so it is never restored.
func (d *redisDirectory) forget(w *Workshop) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.known, w.ID)
	delete(d.byCode, w.Code)
	for _, b := range w.boards() {
		delete(d.byBrd, b)
	}
}

func (d *redisDirectory) Update(ctx context.Context, w *Workshop) error {
	prev, err := d.byIndex(ctx, d.prefix+":code:"+w.Code)
	if err != nil {
		return err
	}
	data, err := json.Marshal(w)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, b := range w.boards() {
		keep[b] = true
		if err := d.rdb.Set(ctx, d.prefix+":boardws:"+b, w.ID, 0).Err(); err != nil {
			return err
		}
	}
	if err := d.rdb.Set(ctx, d.prefix+":ws:"+w.ID, data, 0).Err(); err != nil {
		return err
	}
	for _, b := range prev.boards() {
		if !keep[b] {
			d.rdb.Del(ctx, d.prefix+":boardws:"+b)
		}
	}
	d.forget(prev)
	d.remember(w)
	return nil
}

func (d *redisDirectory) Delete(ctx context.Context, w *Workshop) error {
	d.forget(w)
	keys := []string{d.prefix + ":code:" + w.Code, d.prefix + ":ws:" + w.ID}
	for _, b := range w.boards() {
		keys = append(keys, d.prefix+":boardws:"+b)
	}
	// One key at a time: they live on different Cluster slots.
	for _, k := range keys {
		if err := d.rdb.Del(ctx, k).Err(); err != nil {
			return err
		}
	}
	return nil
}

// recall finds a served workshop by an index when Redis has lost it.
func (d *redisDirectory) recall(index map[string]string, key string) *Workshop {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.known[index[key]]
}

// restore writes a remembered workshop back into Redis.
func (d *redisDirectory) restore(ctx context.Context, w *Workshop) {
	data, err := json.Marshal(w)
	if err != nil {
		return
	}
	d.rdb.Set(ctx, d.prefix+":ws:"+w.ID, data, 0)
	for _, b := range w.boards() {
		d.rdb.Set(ctx, d.prefix+":boardws:"+b, w.ID, 0)
	}
	d.rdb.SetNX(ctx, d.prefix+":code:"+w.Code, w.ID, 0)
}

var _ Directory = (*redisDirectory)(nil)

func (d *redisDirectory) Create(ctx context.Context, w *Workshop) error {
	data, err := json.Marshal(w)
	if err != nil {
		return err
	}
	// The workshop and its board index first: a code never points to
	// nothing. Then the code, claimed atomically.
	if err := d.rdb.Set(ctx, d.prefix+":ws:"+w.ID, data, 0).Err(); err != nil {
		return err
	}
	for _, b := range w.boards() {
		if err := d.rdb.Set(ctx, d.prefix+":boardws:"+b, w.ID, 0).Err(); err != nil {
			return err
		}
	}
	ok, err := d.rdb.SetNX(ctx, d.prefix+":code:"+w.Code, w.ID, 0).Result()
	if err != nil {
		return err
	}
	if !ok {
		return errCodeTaken
	}
	d.remember(w)
	return nil
}

func (d *redisDirectory) byIndex(ctx context.Context, key string) (*Workshop, error) {
	id, err := d.rdb.Get(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return nil, errNoWorkshop
	}
	if err != nil {
		return nil, err
	}
	data, err := d.rdb.Get(ctx, d.prefix+":ws:"+id).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, errNoWorkshop
	}
	if err != nil {
		return nil, err
	}
	w := new(Workshop)
	return w, json.Unmarshal(data, w)
}

func (d *redisDirectory) ByCode(ctx context.Context, code string) (*Workshop, error) {
	return d.lookup(ctx, d.prefix+":code:"+code, d.byCode, code)
}

func (d *redisDirectory) ByBoard(ctx context.Context, board string) (*Workshop, error) {
	return d.lookup(ctx, d.prefix+":boardws:"+board, d.byBrd, board)
}

func (d *redisDirectory) lookup(ctx context.Context, key string, index map[string]string, k string) (*Workshop, error) {
	w, err := d.byIndex(ctx, key)
	if err == nil {
		d.remember(w)
		return w, nil
	}
	if errors.Is(err, errNoWorkshop) {
		if w := d.recall(index, k); w != nil {
			d.restore(ctx, w)
			return w, nil
		}
	}
	return nil, err
}
