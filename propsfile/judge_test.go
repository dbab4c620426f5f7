package propsfile

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"otter-entrypoint/internal/testkit"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// judge runs testdata/PropsJudge.java: java.util.Properties decides what a
// .properties file means.
type judge struct {
	name    string // "jdk17", "jdk25"
	java    string // the java binary
	classes string // where PropsJudge.class is
}

// judges compiles PropsJudge.java with javac into t.TempDir() and returns a
// judge for each installed JVM. Without a JDK the test fails under CI and is
// skipped loudly elsewhere (testkit.MissingTool).
func judges(t *testing.T) []*judge {
	t.Helper()
	javac := testkit.Javac(t)
	classes := t.TempDir()
	src, err := filepath.Abs(filepath.Join("testdata", "PropsJudge.java"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(javac, "--release", "17", "-d", classes, src).CombinedOutput()
	if err != nil {
		t.Fatalf("javac PropsJudge.java: %v\n%s", err, out)
	}
	var js []*judge
	for _, j := range testkit.JDKs(t) {
		js = append(js, &judge{name: j.Name, java: j.Java(), classes: classes})
	}
	return js
}

// javaRead is what Java read from one file.
type javaRead struct {
	m   map[string]string // as UTF-16 decoded to Go (a lone surrogate becomes U+FFFD)
	err string            // the IllegalArgumentException message, if load threw
}

// load has Java read every file in one JVM run.
func (j *judge) load(t *testing.T, files [][]byte) []javaRead {
	t.Helper()
	dir := t.TempDir()
	for i, f := range files {
		if err := os.WriteFile(filepath.Join(dir, strconv.Itoa(i)+".properties"), f, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(j.java, "-cp", j.classes, "PropsJudge", "load", dir, strconv.Itoa(len(files)))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s PropsJudge load: %v\n%s", j.name, err, stderr.Bytes())
	}
	res := make([]javaRead, 0, len(files))
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "F":
			res = append(res, javaRead{m: map[string]string{}})
		case len(f) == 3 && f[0] == "E" && len(res) > 0:
			res[len(res)-1].m[unhex(t, f[1])] = unhex(t, f[2])
		case len(f) == 2 && f[0] == "X" && len(res) > 0:
			res[len(res)-1].err = unhex(t, f[1])
		default:
			t.Fatalf("%s PropsJudge: unexpected output line %q", j.name, sc.Text())
		}
	}
	if len(res) != len(files) {
		t.Fatalf("%s PropsJudge read %d files, want %d", j.name, len(res), len(files))
	}
	return res
}

// store has Java write every map with Properties.store(OutputStream) in one
// JVM run and returns the files.
func (j *judge) store(t *testing.T, maps []map[string]string) [][]byte {
	t.Helper()
	dir := t.TempDir()
	var spec bytes.Buffer
	for _, m := range maps {
		spec.WriteString("M\n")
		for k, v := range m {
			fmt.Fprintf(&spec, "E %s %s\n", hexUTF16(k), hexUTF16(v))
		}
	}
	specPath := filepath.Join(t.TempDir(), "spec")
	if err := os.WriteFile(specPath, spec.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(j.java, "-cp", j.classes, "PropsJudge", "store", specPath, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("%s PropsJudge store: %v\n%s", j.name, err, out)
	}
	files := make([][]byte, len(maps))
	for i := range maps {
		if files[i], err = os.ReadFile(filepath.Join(dir, strconv.Itoa(i)+".properties")); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

func hexUTF16(s string) string {
	if s == "" {
		return "-"
	}
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04x", u)
	}
	return b.String()
}

func unhex(t *testing.T, h string) string {
	t.Helper()
	if h == "-" {
		return ""
	}
	if len(h)%4 != 0 {
		t.Fatalf("bad hex from PropsJudge: %q", h)
	}
	u := make([]uint16, 0, len(h)/4)
	for i := 0; i < len(h); i += 4 {
		v, err := strconv.ParseUint(h[i:i+4], 16, 16)
		if err != nil {
			t.Fatalf("bad hex from PropsJudge: %q", h)
		}
		u = append(u, uint16(v))
	}
	return string(utf16.Decode(u))
}

// diffMaps describes how got differs from want, "" when equal.
func diffMaps(got, want map[string]string) string {
	var b strings.Builder
	for k, w := range want {
		if g, ok := got[k]; !ok {
			fmt.Fprintf(&b, "  missing %q (want %q)\n", k, w)
		} else if g != w {
			fmt.Fprintf(&b, "  %q = %q, want %q\n", k, g, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			fmt.Fprintf(&b, "  extra %q = %q\n", k, g)
		}
	}
	return b.String()
}
