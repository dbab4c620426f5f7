package logtail

import (
	"os"
	"otter-entrypoint/internal/testkit"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// hostilePaths are paths that are no regular file: a FIFO (an open would
// block), a link to /dev/zero (an endless stream) and a directory.
func hostilePaths(t *testing.T) map[string]string {
	dir := t.TempDir()
	fifo := testkit.Mkfifo(t, filepath.Join(dir, "fifo.log"))
	zero := filepath.Join(dir, "zero.log")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "dir.log")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"a named pipe (FIFO)": fifo, "a character device": zero, "a directory": sub}
}

// The follower behind the `log:` readiness check and the tailer refuses
// what is not a regular file, without blocking and without reading.
func TestFollowerRefusesWhatIsNotARegularFile(t *testing.T) {
	for kind, p := range hostilePaths(t) {
		for _, fromEnd := range []bool{true, false} {
			fl := NewFollower(p, fromEnd)
			var beginErr, pollErr error
			emitted := 0
			testkit.Within(t, "following "+p, func() {
				beginErr = fl.Begin()
				pollErr = fl.Poll(func(b []byte) { emitted += len(b) })
			})
			for _, err := range []error{beginErr, pollErr} {
				if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), kind+", not a regular file") {
					t.Errorf("%s (fromEnd %v): error %v, want one naming the file and %q", p, fromEnd, err, kind)
				}
			}
			if emitted != 0 {
				t.Errorf("%s: %d bytes copied", p, emitted)
			}
			fl.Close()
		}
	}
}

func TestTailerWarnsAboutWhatIsNotARegularFileAndCopiesNothing(t *testing.T) {
	paths := hostilePaths(t)
	var list []string
	for _, p := range paths {
		list = append(list, p)
	}
	core, logs := observer.New(zapcore.WarnLevel)
	out := &syncBuffer{}
	tl := New(list, out, time.Hour, zap.New(core))
	testkit.Within(t, "the tailer", func() {
		tl.Start()
		tl.Poll()
		tl.Stop()
	})
	if out.String() != "" {
		t.Errorf("copied %d bytes", len(out.String()))
	}
	for kind, p := range paths {
		n := 0
		for _, e := range logs.All() {
			if e.ContextMap()["file"] == p && strings.Contains(e.ContextMap()["error"].(string), kind+", not a regular file") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d warnings about %s, want 1:\n%v", n, p, logs.All())
		}
	}
}
