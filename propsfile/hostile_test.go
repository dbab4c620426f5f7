package propsfile

import (
	"os"
	"otter-entrypoint/internal/testkit"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// renderWithin renders and fails the test when Render has not returned
// after 5 s (a blocking open of a FIFO, or reading /dev/zero, never does).
func renderWithin(t *testing.T, opts Options) error {
	t.Helper()
	var err error
	testkit.Within(t, "Render", func() { _, _, err = renderObserved(t, opts) })
	return err
}

// wantProblem checks that err is a 78 with a problem holding every part.
func wantProblem(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one with %q", parts)
	}
	ps := mustProblems(t, err)
	for _, p := range ps {
		ok := true
		for _, part := range parts {
			ok = ok && strings.Contains(p, part)
		}
		if ok {
			return
		}
	}
	t.Errorf("no problem holds all of %q:\n%v", parts, err)
}

// hugeFile makes a sparse file of size bytes.
func hugeFile(t *testing.T, p string, size int64) string {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

func TestRenderRefusesABaseFileThatIsNotARegularFile(t *testing.T) {
	for name, make := range map[string]func(t *testing.T, p string){
		"fifo": func(t *testing.T, p string) { testkit.Mkfifo(t, p) },
		"device": func(t *testing.T, p string) {
			if err := os.Symlink("/dev/zero", p); err != nil {
				t.Fatal(err)
			}
		},
		"directory": func(t *testing.T, p string) {
			if err := os.Mkdir(p, 0o755); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			home := t.TempDir()
			if err := os.Mkdir(filepath.Join(home, "conf"), 0o755); err != nil {
				t.Fatal(err)
			}
			base := filepath.Join(home, "conf", "otter.properties")
			make(t, base)
			err := renderWithin(t, Options{Role: "node", OtterHome: home})
			wantProblem(t, err, base, "not a regular file", "OTTER_HOME")
		})
	}
}

func TestRenderRefusesAHugeBaseFileWithoutReadingIt(t *testing.T) {
	home := t.TempDir()
	if err := os.Mkdir(filepath.Join(home, "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	base := hugeFile(t, filepath.Join(home, "conf", "otter.properties"), 50<<20)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := renderWithin(t, Options{Role: "node", OtterHome: home})
	runtime.ReadMemStats(&after)
	wantProblem(t, err, base, "larger than the limit of 1 MiB", "52428800 bytes")
	if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
		t.Errorf("refusing a 50 MB base file allocated %d MB", got>>20)
	}
}

func TestRenderRefusesConfigDirFilesThatAreNotRegularOrTooLarge(t *testing.T) {
	home := newHome(t, "otter.manager.address = a:1\n")
	dir := t.TempDir()
	fifo := testkit.Mkfifo(t, filepath.Join(dir, "a.properties"))
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "b.properties")); err != nil {
		t.Fatal(err)
	}
	huge := hugeFile(t, filepath.Join(dir, "c.properties"), 2<<20)
	if err := os.Mkdir(filepath.Join(dir, "d.properties"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := renderWithin(t, Options{Role: "node", OtterHome: home, ConfigDir: dir})
	wantProblem(t, err, fifo, "OTTER_CONFIG_DIR", "a named pipe (FIFO), not a regular file")
	wantProblem(t, err, filepath.Join(dir, "b.properties"), "a character device, not a regular file")
	wantProblem(t, err, huge, "larger than the limit of 1 MiB")
	wantProblem(t, err, filepath.Join(dir, "d.properties"), "a directory, not a regular file")

	// OTTER_CONFIG_DIR itself a FIFO: refused at once, not a blocked open.
	err = renderWithin(t, Options{Role: "node", OtterHome: home, ConfigDir: testkit.Mkfifo(t, filepath.Join(t.TempDir(), "cfg"))})
	wantProblem(t, err, "OTTER_CONFIG_DIR=", "it is a named pipe (FIFO), not a directory")
}

func TestRenderRefusesSecretFilesThatAreNotRegularOrTooLarge(t *testing.T) {
	home := newHome(t, fixture(t, "manager.otter.properties"))
	dir := t.TempDir()
	fifo := testkit.Mkfifo(t, filepath.Join(dir, "pw"))
	huge := hugeFile(t, filepath.Join(dir, "user"), 64<<10+1)
	err := renderWithin(t, Options{Role: "manager", OtterHome: home, Environ: []string{
		"OTTER_DATABASE_DRIVER_PASSWORD_FILE=" + fifo,
		"OTTER_DATABASE_DRIVER_USERNAME_FILE=" + huge,
		"otter.api.token_FILE=/dev/zero",
		"otter.other.secret_FILE=" + dir,
	}})
	wantProblem(t, err, "OTTER_DATABASE_DRIVER_PASSWORD_FILE="+fifo, "a named pipe (FIFO), not a regular file")
	wantProblem(t, err, "OTTER_DATABASE_DRIVER_USERNAME_FILE="+huge, "larger than the limit of 64 KiB")
	wantProblem(t, err, "otter.api.token_FILE=/dev/zero", "a character device, not a regular file")
	wantProblem(t, err, "otter.other.secret_FILE="+dir, "a directory, not a regular file")
}
