package otterstats

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// DBReader reads a round's facts from the database, counting the rows
// after marks.
type DBReader interface {
	Read(ctx context.Context, marks Marks) (*DBRead, error)
}

// ZKReader reads a round's facts from ZooKeeper for an inventory.
type ZKReader interface {
	Read(ctx context.Context, inv Inventory) (*ZKRead, error)
}

// Config configures a Collector.
type Config struct {
	DB       DBReader
	ZK       ZKReader
	Interval time.Duration // between rounds (Run)
	Timeout  time.Duration // bounds each source's read (0: readTimeout(Interval))
	Log      *zap.Logger
	Now      func() time.Time
}

// readTimeout is the default bound of one source's read: the interval,
// at least 2 s and at most 10 s.
func readTimeout(interval time.Duration) time.Duration {
	return min(max(interval, 2*time.Second), 10*time.Second)
}

// Collector is a prometheus.Collector serving the last round's snapshot;
// Run reads a round every interval in the background. A scrape never
// touches the database or ZooKeeper.
type Collector struct {
	cfg     Config
	state   *State
	metrics atomic.Pointer[[]prometheus.Metric]

	round          sync.Mutex // one round at a time
	dbBusy, zkBusy chan struct{}
}

// New returns a collector that serves nothing until its first round.
func New(cfg Config) *Collector {
	if cfg.Timeout <= 0 {
		cfg.Timeout = readTimeout(cfg.Interval)
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Collector{cfg: cfg, state: NewState(cfg.Log),
		dbBusy: make(chan struct{}, 1), zkBusy: make(chan struct{}, 1)}
}

// Describe sends every family's description.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range descs {
		ch <- d
	}
}

// Collect sends the last round's series.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	if m := c.metrics.Load(); m != nil {
		for _, x := range *m {
			ch <- x
		}
	}
}

// Run reads a round at once and then every interval until ctx ends.
func (c *Collector) Run(ctx context.Context) {
	t := time.NewTicker(c.cfg.Interval)
	defer t.Stop()
	for {
		c.Round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Round reads both sources (ZooKeeper for the inventory the database just
// gave, or the last one it gave) and publishes the snapshot.
func (c *Collector) Round(ctx context.Context) {
	c.round.Lock()
	defer c.round.Unlock()
	var r Round
	marks := c.state.Marks() // here: a read outliving its timeout must not touch the state
	start := c.cfg.Now()
	r.DB, r.DBErr = bounded(ctx, c.cfg.Timeout, c.dbBusy, func(ctx context.Context) (*DBRead, error) {
		return c.cfg.DB.Read(ctx, marks)
	})
	mid := c.cfg.Now()
	r.DBTook = mid.Sub(start)
	inv := c.state.Inventory()
	if r.DBErr == nil {
		inv = r.DB.Inventory
	}
	r.ZK, r.ZKErr = bounded(ctx, c.cfg.Timeout, c.zkBusy, func(ctx context.Context) (*ZKRead, error) {
		return c.cfg.ZK.Read(ctx, inv)
	})
	end := c.cfg.Now()
	r.ZKTook = end.Sub(mid)
	m := c.state.Apply(r, end)
	c.metrics.Store(&m)
}

// errStillBusy: the source's previous read outlived its timeout and has
// not returned yet; no second one is started beside it.
var errStillBusy = errors.New("the previous read has not returned yet")

// bounded runs read with a deadline and returns by then even when read
// does not (a ZooKeeper request on a lost connection); busy holds one
// token while a read runs.
func bounded[T any](ctx context.Context, timeout time.Duration, busy chan struct{}, read func(context.Context) (*T, error)) (*T, error) {
	select {
	case busy <- struct{}{}:
	default:
		return nil, errStillBusy
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	type result struct {
		v   *T
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-busy }()
		defer cancel()
		v, err := read(ctx)
		if err == nil && v == nil {
			err = errors.New("no result")
		}
		done <- result{v, err}
	}()
	select {
	case res := <-done:
		return res.v, res.err
	case <-ctx.Done():
		// The read's own error, when it returns at its deadline as it
		// should, says more than "deadline exceeded".
		t := time.NewTimer(100 * time.Millisecond)
		defer t.Stop()
		select {
		case res := <-done:
			return res.v, res.err
		case <-t.C:
			return nil, fmt.Errorf("no answer within %s", timeout)
		}
	}
}
