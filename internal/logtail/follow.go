// Package logtail copies the lines appended to log files to a writer, the
// way `tail -F` does: files that do not exist yet are picked up when they
// appear, rotation by rename loses no line and repeats none, and a partial
// last line waits for its newline.
//
// A Tailer is woken by inotify (a line reaches the writer within
// milliseconds) and learns from it where rotated files were renamed to, so
// a generation of a log that was created and rotated away between two
// polls is still read, in order. Where inotify is not available it polls
// every interval; then a generation that lived less than one interval is
// lost. Copy-truncate rotation is lossy by nature: the lines written
// between the last read and the truncation are only in the copy. Only
// regular files are followed. See BenchmarkTail* for the costs.
package logtail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"otter-entrypoint/internal/safefile"
)

// maxPartial bounds a line without a newline; longer ones are cut.
const maxPartial = 1 << 20

// readChunk is how much one read asks for.
const readChunk = 128 << 10

type fileID struct{ dev, ino uint64 }

func idOf(fi fs.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{uint64(st.Dev), st.Ino}, true
}

// Follower follows one path. It is not safe for concurrent use.
type Follower struct {
	path    string
	f       *os.File
	id      fileID
	offset  int64
	partial []byte
	buf     []byte
	// skipExisting: the first time the file is opened, start at its end.
	skipExisting bool

	// seen holds the files read to their end (left behind by rotation).
	seen *idSet
	// renamed, when set, returns the names that now hold files once at
	// path, renamed away (by inotify's rename events), in the order they
	// left it: generations of the log that may have come and gone between
	// two polls. A Tailer sets it.
	renamed func(path string) []string
	// busy, when set, reports a file another follower has open.
	busy func(fileID) bool
	// opened: a file was opened at the path once.
	opened bool
}

// NewFollower follows path. When fromEnd is true and the file exists now,
// what it holds now is skipped (only lines appended later are reported);
// a file that appears later is always read from its beginning. Call Begin
// to take that baseline now rather than at the first Poll.
//
// Only regular files are followed: a FIFO, a device or a directory at path
// is an error of Begin and Poll (and is never opened for reading).
func NewFollower(path string, fromEnd bool) *Follower {
	return &Follower{path: path, skipExisting: fromEnd, seen: newIDSet()}
}

// Begin opens the file if it exists and, for a fromEnd follower, sets the
// starting point to its current end. Nothing is reported.
func (fl *Follower) Begin() error {
	if fl.f != nil {
		return nil
	}
	err := fl.open()
	fl.skipExisting = false
	return err
}

func (fl *Follower) open() error {
	// Only a regular file is followed: a FIFO would block the open, and a
	// device such as /dev/zero would be copied to stdout without end.
	f, fi, err := safefile.Open(fl.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cannot follow %s: it %s; only regular files are followed", fl.path, safefile.Describe(err))
	}
	fl.f = f
	fl.id, _ = idOf(fi)
	fl.offset = 0
	if fl.skipExisting {
		fl.offset = fi.Size()
	}
	fl.skipExisting = false
	if !fl.opened && fl.renamed != nil {
		// Files renamed away from the path before it was first opened
		// are not this follower's: forget them.
		fl.renamed(fl.path)
	}
	fl.opened = true
	return nil
}

// Poll reports, through emit, the complete lines appended since the last
// call. emit gets one or more whole lines, each ending in '\n'; the slice is
// only valid during the call.
//
// When the path names a new file (rotation), the old one is read to its end
// first, then any file that was at the path in between and was renamed
// away before this call (known only to a Tailer, through inotify), then the
// new one from its beginning.
func (fl *Follower) Poll(emit func(lines []byte)) error {
	if fl.f == nil {
		if err := fl.open(); err != nil || fl.f == nil {
			return err
		}
	}
	// Stat the path before draining: whatever the old file got before the
	// rotation this stat may see is then read by the drain (a writer that
	// rotates does not write to the old file once the new one exists).
	fi, statErr := os.Stat(fl.path)
	if err := fl.drain(emit); err != nil {
		return err
	}
	if errors.Is(statErr, fs.ErrNotExist) {
		return nil // renamed away; the new file has not appeared yet
	}
	if statErr != nil {
		return fmt.Errorf("stat log file: %w", statErr)
	}
	if id, ok := idOf(fi); ok && id == fl.id {
		return nil
	}
	// Rotated: finish the old file's last partial line, hold the file now
	// at the path (so that it cannot be lost to a further rotation), read
	// the generations in between, then the new file.
	fl.Flush(emit)
	old, oldID := fl.f, fl.id
	fl.seen.add(oldID)
	fl.f = nil
	openErr := fl.open()
	fl.readRenamed(emit, oldID)
	old.Close() // only now: while it is open, its inode number is not reused
	if openErr != nil || fl.f == nil {
		return openErr
	}
	return fl.drain(emit)
}

// readRenamed reads, whole and in the order they left the path, the files
// that were at the path after the one followed until now (old) and were
// renamed away before they could be opened there. The names it gets are
// those of the files that left the path since the last call: old itself
// perhaps, and later generations, never one read before. (Identities are
// compared only with files held open: an inode number is reused once its
// file is deleted, and a fixed-window policy deletes one at every
// rotation.)
func (fl *Follower) readRenamed(emit func([]byte), old fileID) {
	if fl.renamed == nil {
		return
	}
	type gen struct {
		f  *os.File
		id fileID
	}
	var gens []gen
	for _, p := range fl.renamed(fl.path) {
		f, fi, err := safefile.Open(p)
		if err != nil {
			continue // deleted since, or not a regular file
		}
		id, ok := idOf(fi)
		if !ok || id == old || (fl.f != nil && id == fl.id) || (fl.busy != nil && fl.busy(id)) {
			f.Close()
			continue
		}
		gens = append(gens, gen{f, id})
	}
	for _, g := range gens {
		// The whole generation: it is no longer written. A read error
		// ends it early; what was read is kept.
		_, _ = fl.readFrom(g.f, 0, emit)
		fl.Flush(emit)
		fl.seen.add(g.id)
		g.f.Close()
	}
}

// readFrom reports f from off to its end and returns the offset reached.
func (fl *Follower) readFrom(f *os.File, off int64, emit func([]byte)) (int64, error) {
	if fl.buf == nil {
		fl.buf = make([]byte, readChunk)
	}
	for {
		n, err := f.ReadAt(fl.buf, off)
		if n > 0 {
			off += int64(n)
			fl.consume(fl.buf[:n], emit)
		}
		if err == io.EOF || n == 0 {
			return off, nil
		}
		if err != nil {
			return off, err
		}
	}
}

// drain reads the open file from the offset to its end.
func (fl *Follower) drain(emit func([]byte)) error {
	fi, err := fl.f.Stat()
	if err != nil {
		return fmt.Errorf("stat log file: %w", err)
	}
	if fi.Size() < fl.offset {
		// Truncated in place (copytruncate): start over.
		fl.Flush(emit)
		fl.offset = 0
	}
	fl.offset, err = fl.readFrom(fl.f, fl.offset, emit)
	if err != nil {
		return fmt.Errorf("read log file: %w", err)
	}
	return nil
}

// consume emits the complete lines of partial+data and keeps the rest.
func (fl *Follower) consume(data []byte, emit func([]byte)) {
	last := bytes.LastIndexByte(data, '\n')
	if last < 0 {
		fl.partial = append(fl.partial, data...)
		if len(fl.partial) > maxPartial {
			fl.Flush(emit)
		}
		return
	}
	if len(fl.partial) > 0 {
		fl.partial = append(fl.partial, data[:last+1]...)
		emit(fl.partial)
		fl.partial = fl.partial[:0]
	} else {
		emit(data[:last+1])
	}
	fl.partial = append(fl.partial, data[last+1:]...)
}

// Flush reports a pending partial line, with a newline added.
func (fl *Follower) Flush(emit func([]byte)) {
	if len(fl.partial) == 0 {
		return
	}
	fl.partial = append(fl.partial, '\n')
	emit(fl.partial)
	fl.partial = fl.partial[:0]
}

// Close releases the file.
func (fl *Follower) Close() error {
	if fl.f == nil {
		return nil
	}
	err := fl.f.Close()
	fl.f = nil
	return err
}

// idSet remembers up to idSetSize file identities, forgetting the oldest
// first (a log rotated every 100 ms for days must not grow it without end).
type idSet struct {
	m    map[fileID]struct{}
	ring []fileID
	next int
}

const idSetSize = 4096

func newIDSet() *idSet { return &idSet{m: map[fileID]struct{}{}} }

func (s *idSet) has(id fileID) bool { _, ok := s.m[id]; return ok }

func (s *idSet) add(id fileID) {
	if id == (fileID{}) || s.has(id) {
		return
	}
	if len(s.ring) < idSetSize {
		s.ring = append(s.ring, id)
	} else {
		delete(s.m, s.ring[s.next])
		s.ring[s.next] = id
		s.next = (s.next + 1) % idSetSize
	}
	s.m[id] = struct{}{}
}
