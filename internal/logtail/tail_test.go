package logtail

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// syncBuffer is an io.Writer safe for the tailer's goroutine and the test.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
	bad    int // writes larger than writeChunk holding more than one line, or not ending a line
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if (len(p) > writeChunk && bytes.Count(p, []byte{'\n'}) > 1) || !bytes.HasSuffix(p, []byte{'\n'}) {
		s.bad++
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func appendTo(t testing.TB, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// newTailer returns a tailer without its background loop (neither the
// poll nor inotify wakes it): the tests call Poll themselves, so every step
// is deterministic.
func newTailer(t *testing.T, patterns ...string) (*Tailer, *syncBuffer) {
	t.Helper()
	out := &syncBuffer{}
	tl := New(patterns, out, time.Hour, zaptest.NewLogger(t))
	tl.begin()
	close(tl.done)
	t.Cleanup(func() {
		select {
		case <-tl.stop:
		default:
			tl.Stop()
		}
	})
	return tl, out
}

func wantOutput(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	if got := out.String(); got != want {
		t.Fatalf("output = %q\nwant     %q", got, want)
	}
}

func TestTailFileCreatedAfterStartIsReadFromItsBeginning(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "logs", "node", "node.log")
	tl, out := newTailer(t, p)
	tl.Poll()
	wantOutput(t, out, "")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	appendTo(t, p, "one\ntwo\n")
	tl.Poll()
	wantOutput(t, out, "one\ntwo\n")
	appendTo(t, p, "three\n")
	tl.Poll()
	tl.Poll()
	wantOutput(t, out, "one\ntwo\nthree\n")
}

func TestTailSkipsWhatTheFileHeldAtStart(t *testing.T) {
	p := filepath.Join(t.TempDir(), "manager.log")
	appendTo(t, p, "old line from the last run\n")
	tl, out := newTailer(t, p)
	appendTo(t, p, "new\n")
	tl.Poll()
	wantOutput(t, out, "new\n")
}

func TestTailPartialLineWaitsForItsNewline(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.log")
	tl, out := newTailer(t, p)
	appendTo(t, p, "first\npar")
	tl.Poll()
	wantOutput(t, out, "first\n")
	appendTo(t, p, "tial")
	tl.Poll()
	wantOutput(t, out, "first\n")
	appendTo(t, p, " line\nlast without newline")
	tl.Poll()
	wantOutput(t, out, "first\npartial line\n")
	tl.Stop()
	wantOutput(t, out, "first\npartial line\nlast without newline\n")
}

func TestTailRotationByRenameLosesAndRepeatsNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "node.log")
	tl, out := newTailer(t, p)
	w, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, "1\n2\n")
	tl.Poll()
	// The writer renames its file away and keeps writing to it briefly
	// (logback finishes the current event), then opens a new file.
	if err := os.Rename(p, filepath.Join(dir, "node-2026-11-26.log")); err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, "3\n4")
	tl.Poll() // the new file does not exist yet
	fmt.Fprint(w, "\n")
	w.Close()
	appendTo(t, p, "5\n6\n")
	tl.Poll()
	appendTo(t, p, "7\n")
	tl.Poll()
	wantOutput(t, out, "1\n2\n3\n4\n5\n6\n7\n")
}

func TestTailRotationIntoTheGlobRepeatsNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	appendTo(t, p, "before start\n")
	tl, out := newTailer(t, filepath.Join(dir, "*.log"))
	appendTo(t, p, "1\n2\n")
	tl.Poll()
	// Rotated to a name the glob also matches: must not be read again.
	if err := os.Rename(p, filepath.Join(dir, "a-1.log")); err != nil {
		t.Fatal(err)
	}
	appendTo(t, filepath.Join(dir, "a-1.log"), "3\n")
	tl.Poll()
	appendTo(t, p, "4\n")
	tl.Poll()
	tl.Poll()
	appendTo(t, filepath.Join(dir, "b.log"), "b1\n")
	tl.Poll()
	wantOutput(t, out, "1\n2\n3\n4\nb1\n")
}

func TestTailTruncationStartsOver(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.log")
	tl, out := newTailer(t, p)
	appendTo(t, p, "aaaaaaaaaa 1\naaaaaaaaaa 2\n")
	tl.Poll()
	if err := os.Truncate(p, 0); err != nil {
		t.Fatal(err)
	}
	appendTo(t, p, "b 3\n")
	tl.Poll()
	appendTo(t, p, "b 4\n")
	tl.Poll()
	wantOutput(t, out, "aaaaaaaaaa 1\naaaaaaaaaa 2\nb 3\nb 4\n")
}

func TestTailBackgroundLoopCopiesLines(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.log")
	out := &syncBuffer{}
	tl := New([]string{p}, out, 5*time.Millisecond, zap.NewNop())
	tl.Start()
	defer tl.Stop()
	appendTo(t, p, "hello\n")
	deadline := time.Now().Add(10 * time.Second)
	for out.String() != "hello\n" {
		if time.Now().After(deadline) {
			t.Fatalf("output = %q after 10s, want %q", out.String(), "hello\n")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestTailWritesWholeLinesInPipeSizedPieces(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.log")
	tl, out := newTailer(t, p)
	var want strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&want, "line %04d %s\n", i, strings.Repeat("x", 50))
	}
	long := strings.Repeat("L", 10000) + "\n"
	want.WriteString(long)
	appendTo(t, p, want.String())
	tl.Poll()
	wantOutput(t, out, want.String())
	if out.bad != 0 || out.writes < 2 {
		t.Errorf("%d of %d writes are larger than %d bytes with several lines, or end inside a line", out.bad, out.writes, writeChunk)
	}
}

func TestParseSpec(t *testing.T) {
	cases := []struct {
		spec string
		want []string
		err  bool
	}{
		{"off", nil, false},
		{"", nil, false},
		{"OFF", nil, false},
		{"logs/manager.log", []string{"/home/admin/manager/logs/manager.log"}, false},
		{" logs/a.log , /var/log/x*.log,", []string{"/home/admin/manager/logs/a.log", "/var/log/x*.log"}, false},
		{"logs/[bad", nil, true},
		{" , ", nil, true},
	}
	for _, c := range cases {
		got, err := ParseSpec(c.spec, "/home/admin/manager")
		if (err != nil) != c.err || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("ParseSpec(%q) = %q, %v; want %q, error %v", c.spec, got, err, c.want, c.err)
		}
		if err != nil && !strings.Contains(err.Error(), "ENTRYPOINT_TAIL_LOGS") {
			t.Errorf("ParseSpec(%q) error %q does not name the setting", c.spec, err)
		}
	}
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"off", "logs/a.log,/x/*.log", "[", "a,,b", " , "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := ParseSpec(spec, "/base")
		if err != nil {
			return
		}
		for _, p := range got {
			if !filepath.IsAbs(p) {
				t.Fatalf("ParseSpec(%q) gave relative %q", spec, p)
			}
		}
	})
}
