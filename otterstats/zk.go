package otterstats

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"go.uber.org/zap"

	"otter-entrypoint/internal/otter"
	"otter-entrypoint/internal/otterzk"
)

// zkSessionTimeout is what the statistics' session requests.
const zkSessionTimeout = 30 * time.Second

// zkParallel bounds the requests a read has in flight at once.
const zkParallel = 16

// ZKSource reads the manager's ZooKeeper over one session, established at
// the first read and kept (the client reconnects by itself).
type ZKSource struct {
	cs  otter.ConnectString
	log *zap.Logger

	mu   sync.Mutex
	sess *otterzk.Session
}

// NewZKSource reads the ensemble of cs; the client's own log goes to log
// at debug level.
func NewZKSource(cs otter.ConnectString, log *zap.Logger) *ZKSource {
	return &ZKSource{cs: cs, log: log}
}

// Close ends the session.
func (s *ZKSource) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess != nil {
		s.sess.Close()
		s.sess = nil
	}
}

// Read reads the live nodes and, for the inventory, each channel's
// status, each pipeline's mainstem and canal cursor. A request the client
// cannot answer (no connection) may block past ctx: the Collector bounds
// the wait.
func (s *ZKSource) Read(ctx context.Context, inv Inventory) (*ZKRead, error) {
	s.mu.Lock()
	if s.sess == nil {
		sess, err := otterzk.Connect(ctx, s.cs, zkSessionTimeout, s.log)
		if err != nil {
			s.mu.Unlock()
			return nil, err
		}
		s.sess = sess
	}
	conn := s.sess.Conn
	s.mu.Unlock() // Close must not wait for a read stuck on a lost connection
	return readZK(ctx, conn, s.cs, inv)
}

func readZK(ctx context.Context, c *zk.Conn, cs otter.ConnectString, inv Inventory) (*ZKRead, error) {
	if st := c.State(); st != zk.StateHasSession {
		return nil, fmt.Errorf("no ZooKeeper session with %s (%s)", cs, st)
	}
	r := &ZKRead{LiveNodes: map[int64]bool{}, Channels: map[int64]string{},
		Mainstems: map[int64]Mainstem{}, Positions: map[int64]float64{}}
	kids, _, err := c.Children(cs.Path("/otter/node"))
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		return nil, fmt.Errorf("children of /otter/node: %w", err)
	}
	for _, k := range kids {
		if n, err := strconv.ParseInt(k, 10, 64); err == nil {
			r.LiveNodes[n] = true
		}
	}

	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		sem   = make(chan struct{}, zkParallel)
	)
	do := func(f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			if err := f(); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	for _, ch := range inv.Channels {
		do(func() error {
			path := cs.Path("/otter/channel/" + id(ch.ID))
			data, _, err := c.Get(path)
			st := "STOP" // the manager reads a missing node as STOP
			switch {
			case errors.Is(err, zk.ErrNoNode):
			case err != nil:
				return fmt.Errorf("%s: %w", path, err)
			default:
				var ok bool
				if st, ok = ParseChannelStatus(data); !ok {
					return nil // not Otter's data: no status series
				}
			}
			mu.Lock()
			r.Channels[ch.ID] = st
			mu.Unlock()
			return nil
		})
	}
	for _, p := range inv.Pipelines {
		do(func() error {
			path := cs.Path("/otter/channel/" + id(p.ChannelID) + "/" + id(p.ID) + "/mainstem")
			data, _, err := c.Get(path)
			switch {
			case errors.Is(err, zk.ErrNoNode):
				return nil
			case err != nil:
				return fmt.Errorf("%s: %w", path, err)
			}
			ms, ok := ParseMainstem(data)
			if !ok {
				// The manager shows 未工作 when it cannot read it either.
				return nil
			}
			mu.Lock()
			r.Mainstems[p.ID] = ms
			mu.Unlock()
			return nil
		})
		if p.Destination == "" {
			continue
		}
		do(func() error {
			path := cs.Path(CursorPath(p.Destination, p.ID))
			ok, st, err := c.Exists(path)
			switch {
			case errors.Is(err, zk.ErrInvalidPath):
				return nil
			case err != nil:
				return fmt.Errorf("%s: %w", path, err)
			case !ok:
				return nil
			}
			mu.Lock()
			r.Positions[p.ID] = float64(st.Mtime) / 1000
			mu.Unlock()
			return nil
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	if first != nil {
		return nil, first
	}
	return r, nil
}
