package propsfile

import (
	"bytes"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/magiconair/properties"
)

// This file keeps the reason propsfile has its own reader and writer
// re-checkable: for each case, magiconair/properties (a test-only
// dependency) and propsfile read a file, or write an entry, and the JVM
// decides what the file means. propsfile must agree with Java on every case;
// magiconair must disagree on exactly the cases marked libDiffers. When a
// new magiconair release changes that, the test fails and says to revisit
// the decision.

// libCase is one comparison; names are unique. A read case has a file's bytes; a write case
// has one entry that each writer writes and Java reads back.
type libCase struct {
	name  string
	write bool
	// in is a read case's file (bytes are ISO-8859-1, as Java reads them).
	in string
	// expand reads with magiconair's default Loader, which expands ${...},
	// instead of Loader{Encoding: ISO_8859_1, DisableExpansion: true}.
	expand bool
	// key and value are a write case's entry.
	key, value string
	// libDiffers records that magiconair is expected to disagree with Java.
	libDiffers bool
}

func libCases() []libCase {
	return []libCase{
		{name: "surrogate pair", in: "emoji=\\uD83D\\uDE00\n", libDiffers: true},
		{name: "CRLF continuation", in: "key=first \\\r\n    second\r\n", libDiffers: true},
		{name: "continued key", in: "ke\\\n  y=value\n", libDiffers: true},
		{name: "empty key", in: "=empty key\n", libDiffers: true},
		{name: "backslash at EOF", in: "b=trailing\\", libDiffers: true},
		{name: "Latin-1 bytes", in: "latin1=caf\xe9 \xfc\xdf\n"},
		{name: "CJK escapes", in: "cjk=\\u4e2d\\u6587\n"},
		{name: "${...} expansion on", expand: true, libDiffers: true,
			in: "otter.nodeHome=${user.dir}/../\notter.htdocs.dir=${otter.nodeHome}/htdocs\n"},
		{name: "${...} expansion off",
			in: "otter.nodeHome=${user.dir}/../\notter.htdocs.dir=${otter.nodeHome}/htdocs\n"},

		{name: "leading spaces in value", write: true, key: "leading.space", value: "  two spaces"},
		{name: "= in key", write: true, key: "a=b", value: "eq in key"},
		{name: "# starts key", write: true, key: "#hash.key", value: "hash"},
		{name: "! starts key", write: true, key: "!bang.key", value: "bang"},
		{name: "above U+FFFF in value", write: true, key: "emoji", value: "smile 😀", libDiffers: true},
		{name: "Latin-1 value", write: true, key: "latin1", value: "café üß", libDiffers: true},
		{name: "CJK value", write: true, key: "cjk", value: "中文"},
		{name: "empty key, written", write: true, key: "", value: "empty key", libDiffers: true},
	}
}

// libOutcome is what magiconair and propsfile made of one case.
type libOutcome struct {
	libFile  []byte            // the file Java reads for magiconair: the input or what it wrote
	ourFile  []byte            // write cases: what propsfile wrote
	libRead  map[string]string // read cases: what magiconair read
	libError error             // read cases: magiconair's error
}

// magiconairRead reads data as magiconair does, with expansion (each value
// as Get returns it) or with its most Java-like settings.
func magiconairRead(data []byte, expand bool) (map[string]string, error) {
	l := &properties.Loader{Encoding: properties.ISO_8859_1, DisableExpansion: true}
	if expand {
		l = &properties.Loader{}
	}
	p, err := l.LoadBytes(data)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, k := range p.Keys() {
		m[k], _ = p.Get(k)
	}
	return m, nil
}

// magiconairWrite writes one entry with magiconair's ISO-8859-1 writer.
func magiconairWrite(t *testing.T, key, value string) []byte {
	t.Helper()
	p := properties.NewProperties()
	p.DisableExpansion = true
	if _, _, err := p.Set(key, value); err != nil {
		t.Fatalf("magiconair Set(%q, %q): %v", key, value, err)
	}
	var b bytes.Buffer
	if _, err := p.Write(&b, properties.ISO_8859_1); err != nil {
		t.Fatalf("magiconair Write: %v", err)
	}
	return b.Bytes()
}

func magiconairVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/magiconair/properties" {
				return d.Version
			}
		}
	}
	return "(unknown version)"
}

func TestMagiconairDisagreesWithJava(t *testing.T) {
	cases := libCases()
	outs := make([]libOutcome, len(cases))
	var files [][]byte // every file Java reads, in the order below
	for i, c := range cases {
		o := &outs[i]
		if c.write {
			o.libFile = magiconairWrite(t, c.key, c.value)
			o.ourFile = (&File{Items: []Item{{Kind: KindEntry, Key: c.key, Value: c.value}}}).Bytes()
			files = append(files, o.libFile, o.ourFile)
		} else {
			o.libFile = []byte(c.in)
			o.libRead, o.libError = magiconairRead(o.libFile, c.expand)
			files = append(files, o.libFile)
		}
	}
	version := magiconairVersion()
	for _, j := range judges(t) {
		t.Run(j.name, func(t *testing.T) {
			reads := j.load(t, files)
			// propsfile's reader agrees with Java on every file, magiconair's
			// output included.
			for i, jr := range reads {
				got, err := Parse(files[i])
				switch {
				case jr.err != "" && err == nil:
					t.Errorf("Java rejects %q (%s), Parse accepted it", files[i], jr.err)
				case jr.err == "" && err != nil:
					t.Errorf("Parse(%q): %v; Java read %+q", files[i], err, jr.m)
				case err == nil:
					if d := diffMaps(got.Map(), jr.m); d != "" {
						t.Errorf("Parse(%q) differs from Java:\n%s", files[i], d)
					}
				}
			}
			var differs []string
			for i, c := range cases {
				java := reads[0]
				reads = reads[1:]
				var agrees bool
				if c.write {
					want := map[string]string{c.key: c.value}
					ours := reads[0]
					reads = reads[1:]
					if ours.err != "" || diffMaps(ours.m, want) != "" {
						t.Errorf("%s: Java reads propsfile's %q as %+q (err %q), want %+q", c.name, outs[i].ourFile, ours.m, ours.err, want)
					}
					agrees = java.err == "" && diffMaps(java.m, want) == ""
					t.Logf("write %-24s %+q: magiconair wrote %+q, Java reads it as %+q%s",
						c.name, want, outs[i].libFile, java.m, verdict(agrees))
				} else {
					agrees = java.err == "" && outs[i].libError == nil && diffMaps(outs[i].libRead, java.m) == ""
					lib := fmt.Sprintf("%+q", outs[i].libRead)
					if outs[i].libError != nil {
						lib = fmt.Sprintf("error %q", outs[i].libError)
					}
					t.Logf("read  %-24s %+q: magiconair %s, Java %+q%s", c.name, c.in, lib, java.m, verdict(agrees))
				}
				if !agrees {
					differs = append(differs, c.name)
				}
			}
			if msg := disagreementProblem(version, cases, differs); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func verdict(agrees bool) string {
	if agrees {
		return ""
	}
	return "  DIFFERS"
}

// disagreementProblem says how magiconair's observed disagreements
// (differs, in case order) depart from the cases marked libDiffers; "" when
// they are exactly those.
func disagreementProblem(version string, cases []libCase, differs []string) string {
	var expected []string
	for _, c := range cases {
		if c.libDiffers {
			expected = append(expected, c.name)
		}
	}
	if slices.Equal(differs, expected) {
		return ""
	}
	if len(differs) == 0 {
		return fmt.Sprintf("magiconair/properties %s now agrees with java.util.Properties on every case: the reason propsfile "+
			"keeps its own reader and writer is gone. Revisit that decision (propsfile/doc.go, README \"Dependencies\").", version)
	}
	was, now := set(expected), set(differs)
	var fixed, broke []string
	for _, c := range cases {
		if was[c.name] && !now[c.name] {
			fixed = append(fixed, c.name)
		}
		if now[c.name] && !was[c.name] {
			broke = append(broke, c.name)
		}
	}
	return fmt.Sprintf("magiconair/properties %s no longer behaves as recorded: it now agrees with Java on %q and now disagrees on %q. "+
		"Revisit the decision to keep propsfile's own reader and writer (propsfile/doc.go, README \"Dependencies\" and its table), "+
		"then update libDiffers in libCases.", version, fixed, broke)
}

func set(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func TestDisagreementProblem(t *testing.T) {
	cases := []libCase{{name: "a", libDiffers: true}, {name: "b"}, {name: "c", libDiffers: true}}
	if msg := disagreementProblem("v1", cases, []string{"a", "c"}); msg != "" {
		t.Errorf("the recorded disagreements were observed, yet: %s", msg)
	}
	if msg := disagreementProblem("v1", cases, nil); !strings.Contains(msg, "v1 now agrees with java.util.Properties on every case") ||
		!strings.Contains(msg, "Revisit") {
		t.Errorf("no disagreement left: %q", msg)
	}
	msg := disagreementProblem("v1", cases, []string{"b", "c"})
	if !strings.Contains(msg, `now agrees with Java on ["a"] and now disagrees on ["b"]`) || !strings.Contains(msg, "Revisit") {
		t.Errorf("changed disagreements: %q", msg)
	}
}
