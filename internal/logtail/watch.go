package logtail

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// watcher is the Tailer's inotify instance: it wakes the poller when a
// followed directory changes (a write, a new file, a rename), so lines are
// picked up within milliseconds, and it records where files were renamed
// to, so that a generation of a log that was created and rotated away
// between two polls is still found and read. Without inotify (or for a
// directory it cannot watch) the Tailer polls.
//
// Raw inotify rather than fsnotify: the rename cookies that pair
// IN_MOVED_FROM with IN_MOVED_TO, and a non-blocking read of the queue at
// the moment a rotation is seen, are what make rotation lossless; fsnotify
// exposes neither.
type watcher struct {
	fd      int
	stopR   int // the read end of a pipe that ends the wait
	stopW   int
	dirs    []string          // the directories to watch (those of the patterns)
	full    map[string]bool   // dirs watched with the full mask
	byWd    map[int32]string  // watch descriptor → directory
	pending map[uint32]string // rename cookie → the path moved away
	// origin maps a name to the followed path whose file it now holds,
	// after one or more renames.
	origin map[string]origin
	seq    uint64 // counts the files that left a followed path
	buf    []byte
}

const (
	dirMask = unix.IN_MODIFY | unix.IN_CREATE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO |
		unix.IN_DELETE | unix.IN_ONLYDIR | unix.IN_MASK_ADD
	// ancestorMask: waiting for a directory to appear below.
	ancestorMask = unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_ONLYDIR | unix.IN_MASK_ADD
	maxOrigins   = 1024
)

// newWatcher returns nil when inotify is not available.
func newWatcher(patterns []string) *watcher {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		unix.Close(fd)
		return nil
	}
	w := &watcher{fd: fd, stopR: p[0], stopW: p[1],
		full: map[string]bool{}, byWd: map[int32]string{}, pending: map[uint32]string{},
		origin: map[string]origin{}, buf: make([]byte, 64<<10)}
	seen := map[string]bool{}
	for _, pat := range patterns {
		dir := filepath.Dir(pat)
		if isGlob(dir) || seen[dir] {
			continue // a glob in the directory part: polled only
		}
		seen[dir] = true
		w.dirs = append(w.dirs, dir)
	}
	w.addWatches()
	return w
}

// addWatches watches every directory not watched yet, or, while it does not
// exist, its nearest existing ancestor (for the event of its creation).
func (w *watcher) addWatches() {
	for _, dir := range w.dirs {
		w.watchDir(dir)
	}
}

// watchDir watches dir, or its nearest existing ancestor. A directory on
// the way to dir may be created between the failed watch of dir and the
// ancestor's watch, and its creation then reaches no watch: so once the
// ancestor is watched, the next directory down is looked for again, and
// the watch moves down while the path fills in.
func (w *watcher) watchDir(dir string) {
	for range 16 { // the path can fill in this often while we look: then the poll takes over
		if w.full[dir] {
			return
		}
		if wd, err := unix.InotifyAddWatch(w.fd, dir, dirMask); err == nil {
			w.full[dir] = true
			w.byWd[int32(wd)] = dir
			return
		}
		below := dir
		a := filepath.Dir(dir)
		for {
			if wd, err := unix.InotifyAddWatch(w.fd, a, ancestorMask); err == nil {
				if _, ok := w.byWd[int32(wd)]; !ok {
					w.byWd[int32(wd)] = a
				}
				break
			}
			if a == filepath.Dir(a) {
				return
			}
			below, a = a, filepath.Dir(a)
		}
		if _, err := os.Lstat(below); err != nil {
			return // not there: its creation is reported to the ancestor's watch
		}
	}
}

// read takes every event queued now, without blocking, and applies the
// renames among them; isFollowed says which paths are followed. A watched
// directory that appeared or went away is watched anew.
func (w *watcher) read(isFollowed func(string) bool) {
	rewatch := false
	for {
		n, err := unix.Read(w.fd, w.buf)
		if err != nil || n <= 0 {
			break
		}
		rewatch = w.apply(w.buf[:n], isFollowed) || rewatch
	}
	// A move whose other half never came left the watched directories.
	for c, from := range w.pending {
		delete(w.origin, from)
		delete(w.pending, c)
	}
	if rewatch {
		w.addWatches()
	}
}

// apply parses a buffer of inotify events and applies them. It reports
// whether a watched directory appeared or went away. A truncated event (the
// kernel never writes one) ends the buffer.
func (w *watcher) apply(buf []byte, isFollowed func(string) bool) (rewatch bool) {
	for off := 0; off+unix.SizeofInotifyEvent <= len(buf); {
		var ev unix.InotifyEvent
		ev.Wd = int32(binary.NativeEndian.Uint32(buf[off:]))
		ev.Mask = binary.NativeEndian.Uint32(buf[off+4:])
		ev.Cookie = binary.NativeEndian.Uint32(buf[off+8:])
		ev.Len = binary.NativeEndian.Uint32(buf[off+12:])
		start := off + unix.SizeofInotifyEvent
		if uint64(ev.Len) > uint64(len(buf)-start) {
			return rewatch
		}
		name := strings.TrimRight(string(buf[start:start+int(ev.Len)]), "\x00")
		off = start + int(ev.Len)
		if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
			continue // the kernel's queue overflowed: those renames are lost
		}
		dir, ok := w.byWd[ev.Wd]
		if !ok {
			continue
		}
		if ev.Mask&unix.IN_IGNORED != 0 { // the directory went away
			delete(w.byWd, ev.Wd)
			delete(w.full, dir)
			rewatch = true
			continue
		}
		if ev.Mask&unix.IN_ISDIR != 0 && ev.Mask&(unix.IN_CREATE|unix.IN_MOVED_TO) != 0 {
			rewatch = true
		}
		path := filepath.Join(dir, name)
		switch {
		case ev.Mask&unix.IN_MOVED_FROM != 0:
			w.pending[ev.Cookie] = path
		case ev.Mask&unix.IN_MOVED_TO != 0:
			from, ok := w.pending[ev.Cookie]
			delete(w.pending, ev.Cookie)
			if ok {
				w.moved(from, path, isFollowed)
			} else {
				delete(w.origin, path) // moved in from elsewhere
			}
		case ev.Mask&unix.IN_DELETE != 0:
			delete(w.origin, path)
		}
	}
	return rewatch
}

// origin is the followed path a file was renamed away from, and when (the
// order in which files left it: the order of the log's generations).
type origin struct {
	path string
	seq  uint64
}

// moved records that the file at from is now at to.
func (w *watcher) moved(from, to string, isFollowed func(string) bool) {
	o, ok := w.origin[from]
	if !ok && isFollowed(from) {
		w.seq++
		o, ok = origin{from, w.seq}, true
	}
	delete(w.origin, from)
	if !ok {
		delete(w.origin, to) // replaced by a file nobody follows
		return
	}
	if len(w.origin) >= maxOrigins {
		clear(w.origin) // names nobody asked for (a follower gone): start over
	}
	w.origin[to] = o
}

// renamedFrom returns (and forgets) the names that hold files once at path,
// in the order they left it.
func (w *watcher) renamedFrom(path string) []string {
	type named struct {
		name string
		seq  uint64
	}
	var ns []named
	for name, o := range w.origin {
		if o.path == path {
			ns = append(ns, named{name, o.seq})
			delete(w.origin, name)
		}
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i].seq < ns[j].seq })
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.name
	}
	return out
}

// wait blocks until an event is queued, the stop pipe is written or
// timeoutMs passes; it reports whether to stop.
func (w *watcher) wait(timeoutMs int, withEvents bool) bool {
	fds := []unix.PollFd{{Fd: int32(w.stopR), Events: unix.POLLIN}}
	if withEvents {
		fds = append(fds, unix.PollFd{Fd: int32(w.fd), Events: unix.POLLIN})
	}
	if _, err := unix.Poll(fds, timeoutMs); err != nil && err != unix.EINTR {
		return false
	}
	return fds[0].Revents != 0
}

func (w *watcher) stop() { unix.Write(w.stopW, []byte{0}) } //nolint:errcheck // a full pipe already says stop

func (w *watcher) close() {
	unix.Close(w.fd)
	unix.Close(w.stopR)
	unix.Close(w.stopW)
}
