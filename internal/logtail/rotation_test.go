package logtail

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

func mustRename(t testing.TB, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

// fixedWindow rotates like logback's FixedWindowRollingPolicy: node.log.2
// becomes node.log.3 (replacing it), node.log.1 node.log.2, and node.log
// node.log.1.
func fixedWindow(t testing.TB, p string, size int) {
	t.Helper()
	for k := size - 1; k >= 1; k-- {
		if _, err := os.Stat(fmt.Sprintf("%s.%d", p, k)); err == nil {
			mustRename(t, fmt.Sprintf("%s.%d", p, k), fmt.Sprintf("%s.%d", p, k+1))
		}
	}
	mustRename(t, p, p+".1")
}

// Rotations between two polls: the generations in between lived at the
// path only while the tailer was not looking, and were renamed again since
// (a fixed window of 3 shifts each one on; a time-based policy gives each
// generation its own name).
func TestTailTwoRotationsBetweenPollsLoseNothing(t *testing.T) {
	for _, policy := range []string{"fixed-window", "time-based"} {
		t.Run(policy, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "node.log")
			tl, out := newTailer(t, p)
			rotate := func(gen int) {
				if policy == "fixed-window" {
					fixedWindow(t, p, 3)
				} else {
					mustRename(t, p, fmt.Sprintf("%s.%d", p, gen))
				}
			}
			appendTo(t, p, "1\n2\n")
			tl.Poll()
			rotate(1)
			appendTo(t, p, "3\n4\n") // generation 2: never seen at the path by a poll
			rotate(2)
			appendTo(t, p, "5\n")
			tl.Poll()
			wantOutput(t, out, "1\n2\n3\n4\n5\n")

			// Three generations in between, the oldest renamed twice.
			rotate(3)
			appendTo(t, p, "6\n")
			rotate(4)
			appendTo(t, p, "7\n")
			rotate(5)
			appendTo(t, p, "8\n")
			rotate(6)
			appendTo(t, p, "9\n")
			tl.Poll()
			tl.Poll()
			wantOutput(t, out, "1\n2\n3\n4\n5\n6\n7\n8\n9\n")
		})
	}
}

// lineChecker reads numbered lines from the output as they come and checks
// that each number comes once, in order.
type lineChecker struct {
	mu   sync.Mutex
	buf  []byte
	next int
	errs []string
	seen chan struct{} // signalled after every write
}

func newLineChecker() *lineChecker { return &lineChecker{seen: make(chan struct{}, 1)} }

func (c *lineChecker) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.buf = append(c.buf, p...)
	for {
		i := bytes.IndexByte(c.buf, '\n')
		if i < 0 {
			break
		}
		line := string(c.buf[:i])
		c.buf = c.buf[i+1:]
		f := strings.Fields(line)
		n, err := strconv.Atoi(f[len(f)-1])
		if err != nil || n != c.next {
			if len(c.errs) < 10 {
				c.errs = append(c.errs, fmt.Sprintf("got line %q, want number %d", line, c.next))
			}
		}
		if err == nil {
			c.next = n + 1
		}
	}
	c.mu.Unlock()
	select {
	case c.seen <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (c *lineChecker) state() (int, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.next, append([]string(nil), c.errs...)
}

// waitFor reports whether the output reaches line n (every line before n
// has come) within timeout.
func (c *lineChecker) waitFor(n int, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		if got, _ := c.state(); got >= n {
			return true
		}
		select {
		case <-c.seen:
		case <-deadline:
			return false
		}
	}
}

// A writer doing 10,000 numbered lines a second, its file renamed away and
// a new one created every 100 ms, for 3 seconds, under the real background
// loop: every line reaches the output once and in order.
func TestTailHeavyWritingWithRotationEvery100ms(t *testing.T) {
	for _, policy := range []string{"time-based", "fixed-window"} {
		t.Run(policy, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "node.log")
			out := newLineChecker()
			tl := New([]string{p}, out, DefaultInterval, zap.NewNop())
			tl.Start()
			defer tl.Stop()

			f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if err != nil {
				t.Fatal(err)
			}
			const perTick, ticks, rotateEvery = 10, 3000, 100 // 10 lines a millisecond, 3 s
			n, gen := 0, 0
			tick := time.NewTicker(time.Millisecond)
			var line []byte
			for i := range ticks {
				<-tick.C
				if i > 0 && i%rotateEvery == 0 {
					gen++
					if policy == "fixed-window" {
						fixedWindow(t, p, 3)
					} else {
						mustRename(t, p, fmt.Sprintf("%s.%d", p, gen))
					}
					f.Close()
					if f, err = os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				line = line[:0]
				for range perTick {
					line = fmt.Appendf(line, "2026-11-26 14:00:00.000 [main] INFO gen %d line %d\n", gen, n)
					n++
				}
				if _, err := f.Write(line); err != nil {
					t.Fatal(err)
				}
			}
			tick.Stop()
			f.Close()
			if !out.waitFor(n, 20*time.Second) {
				got, errs := out.state()
				t.Fatalf("after 20s the output reached line %d of %d; %v", got, n, errs)
			}
			if got, errs := out.state(); got != n || len(errs) > 0 {
				t.Errorf("%d lines in %d generations: output reached %d; %d problems: %q", n, gen+1, got, len(errs), errs)
			}
		})
	}
}

// Event-driven: with the fallback poll an hour away, a line written is
// still copied at once (the deadline is generous on purpose; the latency
// itself is reported by BenchmarkTailLatency).
func TestTailPicksUpNewLinesWithoutWaitingForThePoll(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "logs", "node", "node.log") // its directory appears later
	out := newLineChecker()
	tl := New([]string{p}, out, time.Hour, zap.NewNop())
	tl.Start()
	defer tl.Stop()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		appendTo(t, p, fmt.Sprintf("line %d\n", i))
		if !out.waitFor(i+1, 2*time.Second) {
			t.Fatalf("line %d not copied after 2s", i)
		}
	}
	if _, errs := out.state(); len(errs) > 0 {
		t.Error(errs)
	}
}

// inotifyEvent encodes one event as the kernel does.
func inotifyEvent(wd int32, mask, cookie uint32, name string) []byte {
	n := 0
	if name != "" {
		n = (len(name) + 1 + 15) / 16 * 16 // NUL-terminated, padded
	}
	b := make([]byte, unix.SizeofInotifyEvent+n)
	binary.NativeEndian.PutUint32(b[0:], uint32(wd))
	binary.NativeEndian.PutUint32(b[4:], mask)
	binary.NativeEndian.PutUint32(b[8:], cookie)
	binary.NativeEndian.PutUint32(b[12:], uint32(n))
	copy(b[16:], name)
	return b
}

func testWatcher() *watcher {
	return &watcher{full: map[string]bool{"/l": true}, byWd: map[int32]string{1: "/l", 2: "/m"},
		pending: map[uint32]string{}, origin: map[string]origin{}}
}

func TestWatcherTracksRenamesInOrder(t *testing.T) {
	w := testWatcher()
	followed := func(p string) bool { return p == "/l/node.log" }
	var buf []byte
	for _, e := range [][]byte{
		inotifyEvent(1, unix.IN_MOVED_FROM, 7, "node.log"), inotifyEvent(1, unix.IN_MOVED_TO, 7, "node.log.1"),
		inotifyEvent(1, unix.IN_CREATE, 0, "node.log"), inotifyEvent(1, unix.IN_MODIFY, 0, "node.log"),
		inotifyEvent(1, unix.IN_MOVED_FROM, 8, "node.log.1"), inotifyEvent(1, unix.IN_MOVED_TO, 8, "node.log.2"),
		inotifyEvent(1, unix.IN_MOVED_FROM, 9, "node.log"), inotifyEvent(1, unix.IN_MOVED_TO, 9, "node.log.1"),
		inotifyEvent(1, unix.IN_MOVED_FROM, 10, "other.log"), inotifyEvent(1, unix.IN_MOVED_TO, 10, "other.log.1"),
		inotifyEvent(2, unix.IN_CREATE|unix.IN_ISDIR, 0, "sub"),
	} {
		buf = append(buf, e...)
	}
	if !w.apply(buf, followed) {
		t.Error("a directory created under a watched one does not ask for new watches")
	}
	if got := w.renamedFrom("/l/node.log"); !reflect.DeepEqual(got, []string{"/l/node.log.2", "/l/node.log.1"}) {
		t.Errorf("renamedFrom = %q, want the first generation (now .2), then the second (.1)", got)
	}
	if got := w.renamedFrom("/l/node.log"); len(got) != 0 {
		t.Errorf("renamedFrom again = %q, want nothing (each name is given once)", got)
	}
}

func FuzzWatcherApply(f *testing.F) {
	f.Add(append(inotifyEvent(1, unix.IN_MOVED_FROM, 7, "node.log"), inotifyEvent(1, unix.IN_MOVED_TO, 7, "x")...))
	f.Add(inotifyEvent(1, unix.IN_IGNORED, 0, ""))
	f.Add([]byte{1, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, buf []byte) {
		w := testWatcher()
		w.apply(buf, func(p string) bool { return strings.HasPrefix(p, "/l/n") })
		for name, o := range w.origin {
			if !strings.HasPrefix(o.path, "/l/n") || name == "" {
				t.Fatalf("origin %q → %+v", name, o)
			}
		}
		w.renamedFrom("/l/node.log")
	})
}
