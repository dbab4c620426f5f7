package otterzk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"go.uber.org/zap"

	"otter-entrypoint/internal/exit"
	"otter-entrypoint/internal/otter"
)

// NodePath is where an Otter node registers: the ephemeral
// /otter/node/{nid} (ArbitrateConstants.NODE_NID_FORMAT; no digit grouping).
func NodePath(nid int) string { return "/otter/node/" + strconv.Itoa(nid) }

// RecordFile is the file, in the render directory, that holds the session
// of this pod's last JVM.
const RecordFile = "zookeeper-node-session.json"

// DefaultSessionTimeout is the session timeout the entrypoint's own client
// requests (it creates no node of its own).
const DefaultSessionTimeout = 30 * time.Second

// Config is what a Rejoin needs to know.
type Config struct {
	Nid int
	// StaleWait is how long Prepare waits for a node held by an unknown
	// session to disappear (OTTER_ZK_STALE_WAIT).
	StaleWait time.Duration
	// ConnectTimeout bounds establishing the session (ENTRYPOINT_WAIT_TIMEOUT).
	ConnectTimeout time.Duration
	// SessionTimeout is requested for the entrypoint's own session (0: DefaultSessionTimeout).
	SessionTimeout time.Duration
	// RecordDir is where the JVM's session is recorded (ENTRYPOINT_RENDER_DIR,
	// which survives container restarts in a pod).
	RecordDir string
	// JVMAlive reports whether a JVM of this node (nid) still runs here; nil:
	// NodeJVMAlive (a look through /proc).
	JVMAlive func(nid int) (bool, error)
	Log      *zap.Logger
}

// Rejoin clears a stale /otter/node/{nid} before java starts (Prepare),
// records the session of the JVM that registers afterwards, and tells
// whether the node is registered by that JVM (Ready).
type Rejoin struct {
	cfg  Config
	path string // under the chroot

	mu       sync.Mutex
	started  bool                // Prepare was called
	prepared bool                // Prepare succeeded: the fields below are set and no longer change
	cs       otter.ConnectString // no servers: no check
	conn     *Session
	stale    int64 // the session found holding the node before java started (0: none)
	cancel   context.CancelFunc
	done     chan struct{}
}

// New returns a Rejoin for cfg; nothing connects before Prepare.
func New(cfg Config) *Rejoin {
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = DefaultSessionTimeout
	}
	if cfg.JVMAlive == nil {
		cfg.JVMAlive = NodeJVMAlive
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	return &Rejoin{cfg: cfg, path: NodePath(cfg.Nid)}
}

// record is the content of RecordFile.
type record struct {
	Nid      int    `json:"nid"`
	Path     string `json:"path"`
	Session  string `json:"session"` // 0x...
	Servers  string `json:"servers"`
	Recorded string `json:"recorded"` // RFC 3339
}

// Prepare runs right before java starts, with the connect string of the
// node's ZooKeeper cluster ("" or blank: nothing is known, no check).
// Once the session is established (within ConnectTimeout, else exit 69):
//
//   - /otter/node/{nid} absent: start.
//   - persistent (no owner): deleted with a warning (at the version read), start.
//   - owned by the session recorded for this pod's previous JVM, and no JVM
//     of this nid runs here: deleted (at the version read, the owner just
//     checked), start at once.
//   - otherwise: wait up to StaleWait, watching the node, for it to
//     disappear; still there then: exit 69 naming the nid and the session,
//     for deleting a live JVM's node would split the brain.
//
// Then it watches the node in the background and records the session of
// the JVM that registers it, until Close.
func (r *Rejoin) Prepare(ctx context.Context, connect string) error {
	r.mu.Lock()
	if r.started {
		r.mu.Unlock()
		return errors.New("otterzk: Prepare called twice")
	}
	r.started = true
	r.mu.Unlock()
	if strings.TrimSpace(connect) == "" {
		r.cfg.Log.Info("no ZooKeeper servers known for this node: the stale-registration check is skipped",
			zap.Int("nid", r.cfg.Nid))
		r.mu.Lock()
		r.prepared = true
		r.mu.Unlock()
		return nil
	}
	cs, err := otter.ParseConnectString(connect)
	if err != nil {
		return exit.ConfigError(fmt.Sprintf("the node's ZooKeeper servers %s; use host:port[,host:port...][/chroot]", err))
	}
	cctx, cancel := context.WithTimeout(ctx, r.cfg.ConnectTimeout)
	conn, err := Connect(cctx, cs, r.cfg.SessionTimeout, r.cfg.Log)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return exit.UnavailableError(fmt.Sprintf("%v after ENTRYPOINT_WAIT_TIMEOUT=%s; check that ZooKeeper runs and is reachable from this container, or raise ENTRYPOINT_WAIT_TIMEOUT",
			err, r.cfg.ConnectTimeout))
	}
	// Until prepared is set, only this goroutine uses these fields.
	r.cs, r.conn = cs, conn
	r.path = cs.Path(NodePath(r.cfg.Nid))
	if err := r.clear(ctx); err != nil {
		conn.Close()
		r.conn = nil
		return err
	}
	rctx, rcancel := context.WithCancel(context.Background())
	r.mu.Lock()
	r.prepared = true
	r.cancel, r.done = rcancel, make(chan struct{})
	done := r.done
	r.mu.Unlock()
	go func() {
		defer close(done)
		r.recordOwner(rctx, conn)
	}()
	return nil
}

// clear applies Prepare's rules until the node is gone.
func (r *Rejoin) clear(ctx context.Context) error {
	log := r.cfg.Log.With(zap.String("znode", r.path), zap.Int("nid", r.cfg.Nid))
	recorded := r.recorded(log)
	deadline := time.Now().Add(r.cfg.StaleWait)
	var first int64 // the owner when the wait began
	waiting := false
	for {
		ok, st, ch, err := r.conn.ExistsW(r.path)
		if err != nil {
			if time.Now().After(deadline) {
				return exit.UnavailableError(fmt.Sprintf("cannot read %s from ZooKeeper %s: %v", r.path, r.cs, err))
			}
			log.Info("cannot read the node's registration yet; retrying", zap.Error(err))
			if err := sleepCtx(ctx, 500*time.Millisecond); err != nil {
				return err
			}
			continue
		}
		if !ok {
			if waiting {
				log.Info("the stale registration is gone; starting", zap.String("session", SessionID(first)))
			}
			return nil
		}
		owner := st.EphemeralOwner
		switch {
		case owner == 0:
			log.Warn("deleting a persistent node where Otter expects its ephemeral registration (created by hand?); it would never expire and the JVM would fail with Node_init",
				zap.Int32("version", st.Version))
			r.delete(log, st.Version)
			continue
		case owner == recorded:
			alive, err := r.cfg.JVMAlive(r.cfg.Nid)
			if err != nil {
				log.Warn("cannot tell whether this node's previous JVM still runs; waiting for its session to expire instead", zap.Error(err))
				break
			}
			if !alive {
				log.Info("deleting the registration of this pod's previous JVM, which is gone (its session outlives it until the timeout)",
					zap.String("session", SessionID(owner)), zap.Int32("version", st.Version))
				r.stale = owner
				r.delete(log, st.Version)
				continue
			}
			log.Warn("a JVM of this nid still runs here; waiting for its registration to go", zap.String("session", SessionID(owner)))
		}
		r.stale = owner
		if !waiting {
			waiting, first = true, owner
			log.Info("the node is registered by a session that is not this pod's previous JVM: waiting for it to expire or go",
				zap.String("session", SessionID(owner)), zap.Duration("wait", r.cfg.StaleWait))
		}
		left := time.Until(deadline)
		if left <= 0 {
			msg := fmt.Sprintf("nid %d: %s is still held by the live ZooKeeper session %s after OTTER_ZK_STALE_WAIT=%s", r.cfg.Nid, r.path, SessionID(owner), r.cfg.StaleWait)
			if owner != first {
				msg += fmt.Sprintf(" (it was held by %s when the wait began)", SessionID(first))
			}
			msg += ": another JVM with this nid is alive (a second pod or process with the same OTTER_NID?), and deleting its node would split the brain; stop that JVM, or raise OTTER_ZK_STALE_WAIT if its session is only slow to expire"
			return exit.UnavailableError(msg)
		}
		t := time.NewTimer(left)
		select {
		case <-ch:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		t.Stop()
	}
}

// delete deletes the node at version; a node changed or gone meanwhile is
// looked at again by the caller.
func (r *Rejoin) delete(log *zap.Logger, version int32) {
	switch err := r.conn.Delete(r.path, version); {
	case err == nil:
	case errors.Is(err, zk.ErrNoNode), errors.Is(err, zk.ErrBadVersion):
		log.Info("the node changed before it could be deleted; looking again", zap.Error(err))
	default:
		log.Warn("cannot delete the node; looking again", zap.Error(err))
	}
}

// recorded is the session recorded for this pod's previous JVM (0: none).
func (r *Rejoin) recorded(log *zap.Logger) int64 {
	file := filepath.Join(r.cfg.RecordDir, RecordFile)
	b, err := os.ReadFile(file)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			log.Warn("cannot read the recorded session of this pod's previous JVM", zap.Error(err))
		}
		return 0
	}
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		log.Warn("ignoring an unreadable record of the previous JVM's session", zap.String("file", file), zap.Error(err))
		return 0
	}
	if rec.Nid != r.cfg.Nid || rec.Path != r.path {
		log.Info("the recorded session belongs to another nid or path; ignored", zap.String("file", file), zap.String("recorded_path", rec.Path))
		return 0
	}
	id, err := strconv.ParseUint(rec.Session, 0, 64)
	if err != nil || id == 0 {
		log.Warn("ignoring an unreadable record of the previous JVM's session", zap.String("file", file), zap.String("session", rec.Session))
		return 0
	}
	return int64(id)
}

// recordOwner watches the node and records every new owner other than the
// stale one: the session of the JVM that registered it.
func (r *Rejoin) recordOwner(ctx context.Context, conn *Session) {
	log := r.cfg.Log.With(zap.String("znode", r.path), zap.Int("nid", r.cfg.Nid))
	var last int64
	for ctx.Err() == nil {
		ok, st, ch, err := conn.ExistsW(r.path)
		if err != nil {
			log.Debug("cannot watch the node's registration; retrying", zap.Error(err))
			if sleepCtx(ctx, time.Second) != nil {
				return
			}
			continue
		}
		if ok && st.EphemeralOwner != 0 && st.EphemeralOwner != r.stale && st.EphemeralOwner != last {
			if err := r.writeRecord(st.EphemeralOwner); err != nil {
				log.Warn("cannot record the JVM's ZooKeeper session; a restart of this container will wait for it to expire",
					zap.String("session", SessionID(st.EphemeralOwner)), zap.Error(err))
			} else {
				last = st.EphemeralOwner
				log.Info("the JVM registered the node", zap.String("session", SessionID(last)))
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
	}
}

// writeRecord writes RecordFile atomically.
func (r *Rejoin) writeRecord(owner int64) error {
	b, err := json.Marshal(record{Nid: r.cfg.Nid, Path: r.path, Session: SessionID(owner), Servers: r.cs.String(),
		Recorded: time.Now().UTC().Format(time.RFC3339)})
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(r.cfg.RecordDir, "."+RecordFile+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(r.cfg.RecordDir, RecordFile))
}

// Path is the node's registration path (under the chroot once Prepare knows it).
func (r *Rejoin) Path() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.path
}

// Ready is nil when /otter/node/{nid} exists and is owned by a session
// other than the stale one found before java started: what the manager
// shows as "started". Without ZooKeeper servers it is always nil.
func (r *Rejoin) Ready(ctx context.Context) error {
	r.mu.Lock()
	prepared, conn, stale, path, cs := r.prepared, r.conn, r.stale, r.path, r.cs
	r.mu.Unlock()
	switch {
	case !prepared:
		return errors.New("the ZooKeeper registration check has not run yet")
	case conn == nil:
		return nil
	case conn.State() != zk.StateHasSession:
		return fmt.Errorf("no ZooKeeper session with %s now (%s)", cs, conn.State())
	}
	type result struct {
		ok  bool
		st  *zk.Stat
		err error
	}
	done := make(chan result, 1)
	go func() {
		ok, st, err := conn.Exists(path)
		done <- result{ok, st, err}
	}()
	var res result
	select {
	case res = <-done:
	case <-ctx.Done():
		return fmt.Errorf("reading %s from ZooKeeper: %w", path, ctx.Err())
	}
	switch {
	case res.err != nil:
		return fmt.Errorf("reading %s from ZooKeeper: %w", path, res.err)
	case !res.ok:
		return fmt.Errorf("%s does not exist: the JVM has not registered the node (yet)", path)
	case res.st.EphemeralOwner == 0:
		return fmt.Errorf("%s is a persistent node, not the JVM's registration", path)
	case res.st.EphemeralOwner == stale:
		return fmt.Errorf("%s is still owned by the stale session %s", path, SessionID(stale))
	}
	return nil
}

// Close stops the recording and closes the session.
func (r *Rejoin) Close() {
	r.mu.Lock()
	cancel, done, conn := r.cancel, r.done, r.conn
	r.cancel, r.conn = nil, nil
	r.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if conn != nil {
		conn.Close() // ends a pending ExistsW, so the recorder returns
	}
	if done != nil {
		<-done
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
