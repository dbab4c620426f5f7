package safefile

import (
	"errors"
	"io/fs"
	"os"
	"otter-entrypoint/internal/testkit"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestReadFileRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link-to-fifo")
	if err := os.Symlink(testkit.Mkfifo(t, filepath.Join(dir, "fifo")), link); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ path, kind string }{
		{filepath.Join(dir, "fifo"), "a named pipe (FIFO)"},
		{link, "a named pipe (FIFO)"},
		{"/dev/zero", "a character device"},
		{"/dev/null", "a character device"},
		{dir, "a directory"},
	} {
		var err error
		testkit.Within(t, "ReadFile("+c.path+")", func() { _, err = ReadFile(c.path, 1<<20) })
		var nr *NotRegularError
		if !errors.As(err, &nr) {
			t.Errorf("ReadFile(%s) error = %v, want a *NotRegularError", c.path, err)
			continue
		}
		if want := c.path + " is " + c.kind + ", not a regular file"; err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
		if want := "is " + c.kind + ", not a regular file"; Describe(err) != want {
			t.Errorf("Describe = %q, want %q", Describe(err), want)
		}
	}
}

func TestOpenFollowsLinksToRegularFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a")
	if err := os.WriteFile(p, []byte("x=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a", filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	b, err := ReadFile(filepath.Join(dir, "b"), 4)
	if err != nil || string(b) != "x=1\n" {
		t.Fatalf("ReadFile = %q, %v", b, err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing"), 4); !errors.Is(err, fs.ErrNotExist) || Describe(err) != "stat: no such file or directory" {
		t.Errorf("missing file: %v (%q)", err, Describe(err))
	}
}

func TestReadFileLimit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadFile(p, 5); err != nil || string(b) != "12345" {
		t.Errorf("at the limit: %q, %v", b, err)
	}
	_, err := ReadFile(p, 4)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Size != 5 || tl.Limit != 4 {
		t.Fatalf("over the limit: %v", err)
	}
	if want := "is larger than the limit of 4 bytes (5 bytes found)"; Describe(err) != want {
		t.Errorf("Describe = %q, want %q", Describe(err), want)
	}
	if got := (&TooLargeError{Path: "/x", Size: 50 << 20, Limit: MaxPropertiesSize}).Error(); got != "/x is larger than the limit of 1 MiB (52428800 bytes found)" {
		t.Errorf("message %q", got)
	}
}

// A 50 MB file is refused without being read: the allocations of the
// refusal stay far below its size.
func TestReadFileOfAHugeFileAllocatesLittle(t *testing.T) {
	p := filepath.Join(t.TempDir(), "huge.properties")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(50 << 20); err != nil { // sparse: costs no disk
		t.Fatal(err)
	}
	f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = ReadFile(p, MaxPropertiesSize)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "larger than the limit of 1 MiB") {
		t.Fatalf("error = %v, want one about the limit", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("refusing a 50 MB file allocated %d bytes", got)
	}
}
