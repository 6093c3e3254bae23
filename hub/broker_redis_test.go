package hub

import (
	"context"
	"testing"

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

func TestRedisBrokerContract(t *testing.T) {
	brokerContract(t, newRedis)
}
