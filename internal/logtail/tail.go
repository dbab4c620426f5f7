package logtail

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// DefaultInterval is how often files are polled: the only way lines are
// picked up where inotify is not available (or for a glob in a directory
// part), and a safety net where it is.
const DefaultInterval = 250 * time.Millisecond

// minGap: polls woken by inotify are at least this far apart, so a writer
// doing 10,000 small writes a second costs 100 polls a second, not 10,000,
// and a line still reaches stdout well within 100 ms.
const minGap = 10 * time.Millisecond

// writeChunk: lines are written in pieces of at most this size, cut at line
// boundaries, so a write to a pipe is atomic (PIPE_BUF) and never
// interleaves with java's own output in the middle of a line.
const writeChunk = 4096

// ParseSpec parses ENTRYPOINT_TAIL_LOGS: a comma-separated list of files or
// globs, absolute or relative to base (OTTER_HOME), or "off" (or "", or
// "none") for nothing.
func ParseSpec(spec, base string) ([]string, error) {
	spec = strings.TrimSpace(spec)
	switch strings.ToLower(spec) {
	case "", "off", "none":
		return nil, nil
	}
	var out []string
	for _, p := range strings.Split(spec, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if _, err := filepath.Match(p, ""); err != nil {
			return nil, fmt.Errorf("ENTRYPOINT_TAIL_LOGS: %q is not a valid file name or glob (%v); use a comma-separated list of files or globs, or off", p, err)
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(base, p)
		}
		out = append(out, filepath.Clean(p))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("ENTRYPOINT_TAIL_LOGS: %q names no file; use a comma-separated list of files or globs, or off", spec)
	}
	return out, nil
}

// Tailer copies the lines appended to a set of files (and globs) to a
// writer.
type Tailer struct {
	patterns []string
	out      io.Writer
	interval time.Duration
	log      *zap.Logger

	mu        sync.Mutex // guards the fields below; held for a whole poll
	followers map[string]*Follower
	retired   *idSet // files read to their end (left behind by rotation)
	warned    map[string]bool
	w         *watcher // nil: polling only

	stop chan struct{}
	done chan struct{}
}

// New creates a tailer for the given files and globs (absolute paths, as
// ParseSpec returns them). interval 0 means DefaultInterval.
func New(patterns []string, out io.Writer, interval time.Duration, log *zap.Logger) *Tailer {
	if interval <= 0 {
		interval = DefaultInterval
	}
	return &Tailer{
		patterns:  patterns,
		out:       out,
		interval:  interval,
		log:       log,
		followers: map[string]*Follower{},
		retired:   newIDSet(),
		warned:    map[string]bool{},
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}
}

// Start takes the baseline (what the files hold now is not copied) and
// starts following in the background: woken by inotify where the kernel
// offers it, polling every interval in any case. Call it before starting
// the child so that none of its lines is missed.
func (t *Tailer) Start() {
	t.begin()
	go t.loop()
}

// begin is Start without the background loop.
func (t *Tailer) begin() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.w = newWatcher(t.patterns)
	for _, p := range t.match() {
		fl := t.newFollower(p, true)
		if err := fl.Begin(); err != nil {
			t.warnOnce(p, err)
		}
		t.followers[p] = fl
	}
}

// newFollower is a follower that shares the tailer's memory of files read
// and learns of renames from its watcher.
func (t *Tailer) newFollower(p string, fromEnd bool) *Follower {
	fl := NewFollower(p, fromEnd)
	fl.seen = t.retired
	fl.busy = t.following
	if t.w != nil {
		fl.renamed = t.renamedFrom
	}
	return fl
}

// renamedFrom brings the watcher up to date (a rotation was just seen: its
// renames are queued by now) and returns the names holding files once at p.
func (t *Tailer) renamedFrom(p string) []string {
	t.w.read(t.isFollowed)
	return t.w.renamedFrom(p)
}

func (t *Tailer) isFollowed(p string) bool { _, ok := t.followers[p]; return ok }

// Stop polls a last time, writes any partial last lines (with a newline)
// and stops. It waits for the background poller and is safe to call once.
func (t *Tailer) Stop() {
	close(t.stop)
	if t.w != nil {
		t.w.stop()
	}
	<-t.done
	t.finish()
}

// finish is Stop after the background loop has ended.
func (t *Tailer) finish() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pollLockedWithEvents()
	for _, fl := range t.followers {
		fl.Flush(t.emit)
		fl.Close()
	}
	if t.w != nil {
		t.w.close()
		t.w = nil
	}
}

func (t *Tailer) loop() {
	defer close(t.done)
	if t.w != nil {
		t.watchLoop()
		return
	}
	tick := time.NewTicker(t.interval)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
			t.Poll()
		}
	}
}

// watchLoop polls when inotify reports a change (at most every minGap) and
// every interval in any case.
func (t *Tailer) watchLoop() {
	var last time.Time
	for {
		if t.w.wait(int(t.interval/time.Millisecond), true) {
			return
		}
		if d := minGap - time.Since(last); d > 0 {
			if t.w.wait(int(d/time.Millisecond)+1, false) {
				return
			}
		}
		t.Poll()
		last = time.Now()
	}
}

// Poll copies what was appended since the last poll. The background loop
// calls it; tests and benchmarks may call it directly.
func (t *Tailer) Poll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pollLockedWithEvents()
}

// pollLockedWithEvents takes the watcher's queued events, then polls.
func (t *Tailer) pollLockedWithEvents() {
	if t.w != nil {
		t.w.read(t.isFollowed)
	}
	t.pollLocked()
}

func (t *Tailer) pollLocked() {
	matched := t.match()
	seen := make(map[string]bool, len(matched))
	for _, p := range matched {
		seen[p] = true
		if _, ok := t.followers[p]; ok {
			continue
		}
		// A new name. If it is a file we already follow under another
		// name, or one rotation left behind, it was renamed: it was (or
		// is being) copied under its old name, so skip it.
		if fi, err := os.Stat(p); err == nil {
			if id, ok := idOf(fi); ok && (t.retired.has(id) || t.following(id)) {
				continue
			}
		}
		t.followers[p] = t.newFollower(p, false)
	}
	for p, fl := range t.followers {
		if err := fl.Poll(t.emit); err != nil {
			t.warnOnce(p, err)
		} else {
			delete(t.warned, p)
		}
		// A glob match that went away (rotated out of the pattern) has
		// been drained by the Poll above; let it go. (Literal paths are
		// always matched.)
		if !seen[p] {
			fl.Flush(t.emit)
			if fl.f != nil {
				t.retired.add(fl.id)
			}
			fl.Close()
			delete(t.followers, p)
		}
	}
}

func (t *Tailer) following(id fileID) bool {
	for _, fl := range t.followers {
		if fl.f != nil && fl.id == id {
			return true
		}
	}
	return false
}

func isGlob(p string) bool { return strings.ContainsAny(p, `*?[\`) }

// match lists the files the patterns name now: literal paths always (they
// may not exist yet), globs as they match.
func (t *Tailer) match() []string {
	var out []string
	for _, pat := range t.patterns {
		if !isGlob(pat) {
			out = append(out, pat)
			continue
		}
		m, _ := filepath.Glob(pat) // the pattern was checked by ParseSpec
		for _, p := range m {
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				out = append(out, p)
			}
		}
	}
	return out
}

// emit writes whole lines in pieces of at most writeChunk bytes cut at line
// boundaries (a longer line is written alone).
func (t *Tailer) emit(lines []byte) {
	for len(lines) > 0 {
		n := len(lines)
		if n > writeChunk {
			if i := bytes.LastIndexByte(lines[:writeChunk], '\n'); i >= 0 {
				n = i + 1
			} else if i := bytes.IndexByte(lines, '\n'); i >= 0 {
				n = i + 1
			}
		}
		if _, err := t.out.Write(lines[:n]); err != nil {
			t.warnOnce("output", err)
			return
		}
		lines = lines[n:]
	}
}

func (t *Tailer) warnOnce(key string, err error) {
	if t.warned[key] {
		return
	}
	t.warned[key] = true
	t.log.Warn("cannot tail a log file; will keep trying", zap.String("file", key), zap.Error(err))
}
