package main

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/redis/go-redis/v9"
)

// redisDirectory keeps workshops in Redis so that every instance can answer
// for every workshop:
//
//	tablee:ws:ID        workshop JSON
//	tablee:code:CODE    workshop id (claimed with SET NX: codes stay unique)
//	tablee:boardws:ID   id of the workshop that owns the board
type redisDirectory struct {
	rdb    redis.UniversalClient
	prefix string
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
	for _, g := range w.Groups {
		if err := d.rdb.Set(ctx, d.prefix+":boardws:"+g.Board, w.ID, 0).Err(); err != nil {
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
	return d.byIndex(ctx, d.prefix+":code:"+code)
}

func (d *redisDirectory) ByBoard(ctx context.Context, board string) (*Workshop, error) {
	return d.byIndex(ctx, d.prefix+":boardws:"+board)
}
