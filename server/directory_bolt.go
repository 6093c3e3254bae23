package main

import (
	"context"
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"github.com/tablee/tablee/hub"
)

// boltDirectory keeps workshops in the local broker's bbolt file, written
// through its group-commit writer.
type boltDirectory struct {
	b *hub.LocalBroker
}

var _ Directory = (*boltDirectory)(nil)

var (
	bktWorkshops = []byte("workshops") // id → workshop JSON
	bktCodes     = []byte("codes")     // code → id
	bktBoardIdx  = []byte("boardidx")  // board → id
)

func newBoltDirectory(ctx context.Context, b *hub.LocalBroker) (*boltDirectory, error) {
	err := b.Update(ctx, func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bktWorkshops, bktCodes, bktBoardIdx} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	return &boltDirectory{b: b}, err
}

func (d *boltDirectory) Create(ctx context.Context, w *Workshop) error {
	data, err := json.Marshal(w)
	if err != nil {
		return err
	}
	return d.b.Update(ctx, func(tx *bolt.Tx) error {
		codes := tx.Bucket(bktCodes)
		if codes.Get([]byte(w.Code)) != nil {
			return errCodeTaken
		}
		if err := tx.Bucket(bktWorkshops).Put([]byte(w.ID), data); err != nil {
			return err
		}
		if err := codes.Put([]byte(w.Code), []byte(w.ID)); err != nil {
			return err
		}
		idx := tx.Bucket(bktBoardIdx)
		for _, b := range w.boards() {
			if err := idx.Put([]byte(b), []byte(w.ID)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (d *boltDirectory) Update(ctx context.Context, w *Workshop) error {
	data, err := json.Marshal(w)
	if err != nil {
		return err
	}
	return d.b.Update(ctx, func(tx *bolt.Tx) error {
		wb := tx.Bucket(bktWorkshops)
		old := wb.Get([]byte(w.ID))
		if old == nil {
			return errNoWorkshop
		}
		var prev Workshop
		if err := json.Unmarshal(old, &prev); err != nil {
			return err
		}
		idx := tx.Bucket(bktBoardIdx)
		for _, b := range prev.boards() {
			if err := idx.Delete([]byte(b)); err != nil {
				return err
			}
		}
		for _, b := range w.boards() {
			if err := idx.Put([]byte(b), []byte(w.ID)); err != nil {
				return err
			}
		}
		return wb.Put([]byte(w.ID), data)
	})
}

func (d *boltDirectory) Delete(ctx context.Context, w *Workshop) error {
	return d.b.Update(ctx, func(tx *bolt.Tx) error {
		idx := tx.Bucket(bktBoardIdx)
		for _, b := range w.boards() {
			if err := idx.Delete([]byte(b)); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bktCodes).Delete([]byte(w.Code)); err != nil {
			return err
		}
		return tx.Bucket(bktWorkshops).Delete([]byte(w.ID))
	})
}

func (d *boltDirectory) byIndex(bucket []byte, key string) (*Workshop, error) {
	var w *Workshop
	err := d.b.DB().View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucket).Get([]byte(key))
		if id == nil {
			return errNoWorkshop
		}
		data := tx.Bucket(bktWorkshops).Get(id)
		if data == nil {
			return errNoWorkshop
		}
		w = new(Workshop)
		return json.Unmarshal(data, w)
	})
	return w, err
}

func (d *boltDirectory) ByCode(ctx context.Context, code string) (*Workshop, error) {
	return d.byIndex(bktCodes, code)
}

func (d *boltDirectory) ByBoard(ctx context.Context, board string) (*Workshop, error) {
	return d.byIndex(bktBoardIdx, board)
}
