// Package logtail copies the lines appended to log files to a writer, the
// way `tail -F` does: files that do not exist yet are picked up when they
// appear, rotation (rename and a new file) and truncation lose no line and
// repeat none, and a partial last line waits for its newline.
//
// It polls (no inotify), which works on every file system and costs little
// at the rates Otter logs at; see BenchmarkTail* for the numbers.
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
}

// NewFollower follows path. When fromEnd is true and the file exists now,
// what it holds now is skipped (only lines appended later are reported);
// a file that appears later is always read from its beginning. Call Begin
// to take that baseline now rather than at the first Poll.
func NewFollower(path string, fromEnd bool) *Follower {
	return &Follower{path: path, skipExisting: fromEnd}
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
	return nil
}

// Poll reports, through emit, the complete lines appended since the last
// call. emit gets one or more whole lines, each ending in '\n'; the slice is
// only valid during the call.
func (fl *Follower) Poll(emit func(lines []byte)) error {
	if fl.f == nil {
		if err := fl.open(); err != nil || fl.f == nil {
			return err
		}
	}
	if err := fl.drain(emit); err != nil {
		return err
	}
	// Has the path been rotated to a new file?
	fi, err := os.Stat(fl.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // renamed away; the new file has not appeared yet
	}
	if err != nil {
		return fmt.Errorf("stat log file: %w", err)
	}
	if id, ok := idOf(fi); ok && id == fl.id {
		return nil
	}
	// A new file: the old one was fully drained above (a writer that
	// rotated does not write to the old file any more); finish its last
	// partial line and read the new one from its beginning.
	fl.Flush(emit)
	fl.f.Close()
	fl.f = nil
	if err := fl.open(); err != nil || fl.f == nil {
		return err
	}
	return fl.drain(emit)
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
	if fl.buf == nil {
		fl.buf = make([]byte, readChunk)
	}
	for {
		n, err := fl.f.ReadAt(fl.buf, fl.offset)
		if n > 0 {
			fl.offset += int64(n)
			fl.consume(fl.buf[:n], emit)
		}
		if err == io.EOF || n == 0 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read log file: %w", err)
		}
	}
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
