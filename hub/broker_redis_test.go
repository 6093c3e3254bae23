package hub

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tablee/tablee/hub/redistest"
)

func newRedis(t *testing.T) Broker {
	srv := redistest.Start(t)
	opt, err := redis.ParseURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	b, err := NewRedisBroker(context.Background(), rdb, "t", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close(); rdb.Close() })
	return b
}

// redisPeer is another instance's broker on b's Redis.
func redisPeer(t *testing.T, b Broker) Broker {
	rb := b.(*RedisBroker)
	p, err := NewRedisBroker(context.Background(), rb.rdb, rb.prefix, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestRedisBrokerContract(t *testing.T) {
	brokerContract(t, newRedis, redisPeer)
}

// TestRedisBrokerSkipsItsOwnCommits: an instance's rooms have what it
// committed; the message Redis sends back to it is dropped unparsed, and
// another instance's is delivered.
func TestRedisBrokerSkipsItsOwnCommits(t *testing.T) {
	ctx := context.Background()
	b := newRedis(t)
	peer := redisPeer(t, b)
	b.Create(ctx, "b1", "e1", nil)
	got := make(chan []Record, 4)
	cancel, err := b.Subscribe("b1", Handler{Records: func(r []Record) { got <- r }})
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	if err := b.Commit(ctx, "b1", []Record{{V: 1, Data: []byte(`{"v":1}`)}}); err != nil {
		t.Fatal(err)
	}
	if err := peer.Commit(ctx, "b1", []Record{{V: 2, Data: []byte(`{"v":2}`)}}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-got:
		if len(r) != 1 || r[0].V != 2 {
			t.Fatalf("got %v, want the peer's v2 only", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the peer's commit was not delivered")
	}
	select {
	case r := <-got:
		t.Fatalf("unexpected delivery %v", r)
	case <-time.After(100 * time.Millisecond):
	}
}
