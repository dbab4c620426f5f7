package propsfile

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// asWritten is what the writer stores for s: invalid UTF-8 bytes become U+FFFD.
func asWritten(s string) string { return string([]rune(s)) }

// rewrite writes f and parses the text again, failing unless the text is
// printable ASCII that Parse accepts.
func rewrite(t *testing.T, f *File) (out []byte, back *File) {
	t.Helper()
	out = f.Bytes()
	if !isPrintableASCII(out) {
		t.Fatalf("written file is not printable ASCII: %q", out)
	}
	back, err := Parse(out)
	if err != nil {
		t.Fatalf("Parse of the written file: %v\n%q", err, out)
	}
	return out, back
}

// countItems counts f's items of kind k.
func countItems(f *File, k ItemKind) (n int) {
	for _, it := range f.Items {
		if it.Kind == k {
			n++
		}
	}
	return n
}

func FuzzWriteReadRoundTrip(f *testing.F) {
	for i, c := range hardCases() {
		f.Add(c[0], c[1], hostileComments()[i%len(hostileComments())])
	}
	f.Fuzz(func(t *testing.T, key, value, comment string) {
		file := &File{Items: []Item{
			{Kind: KindComment, Text: comment},
			{Kind: KindEntry, Key: key, Value: value},
			{Kind: KindBlank},
			{Kind: KindEntry, Key: "after", Value: "x"},
		}}
		out, back := rewrite(t, file)
		want := map[string]string{asWritten(key): asWritten(value)}
		want["after"] = "x"
		if got := back.Map(); !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip of (%q, %q) with comment %q:\n got %q\nwant %q\nfile %q", key, value, comment, got, want, out)
		}
		if comments := countItems(back, KindComment); comments != 1 {
			t.Fatalf("comment %q came back as %d comments: %q", comment, comments, out)
		}
	})
}

func FuzzParse(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "java-read", "*.properties"))
	for _, n := range names {
		if b, err := os.ReadFile(n); err == nil {
			f.Add(b)
		}
	}
	for _, s := range hostileFragments() {
		f.Add([]byte(s + "=" + s + "\n"))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		first, err := Parse(data)
		if err != nil {
			if !strings.Contains(err.Error(), "malformed \\uxxxx") {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		// Whatever was read, writing it and reading it again gives the same map,
		// keys in the same order and the same number of comments.
		out, second := rewrite(t, first)
		if !reflect.DeepEqual(first.Map(), second.Map()) || !reflect.DeepEqual(first.Keys(), second.Keys()) {
			t.Fatalf("rewrite changed the file:\n first %q\nsecond %q\ninput %q\nrewrite %q", first.Map(), second.Map(), data, out)
		}
		if n1, n2 := countItems(first, KindComment), countItems(second, KindComment); n1 != n2 {
			t.Fatalf("comments: %d then %d\ninput %q\nrewrite %q", n1, n2, data, out)
		}
	})
}

func FuzzEnvName(f *testing.F) {
	f.Add("otter.zookeeper.sessionTimeout", "OTTER_ZOOKEEPER_SESSIONTIMEOUT", "30000")
	f.Add("otter.port", "OTTER_PORT", "tcp://10.0.0.7:8080")
	f.Add("otter.port", "OTTER_PORT_8080_TCP_PORT", "8080")
	f.Add("otter.home", "OTTER_HOME", "/x")
	f.Add("otter.a.b", "otter.a.b", "v")
	f.Add("x", "OTTER_SERVICE_PORT", "8080")
	reservedNames := map[string]struct{}{}
	for _, n := range []string{"OTTER_HOME", "OTTER_CONFIG_DIR", "OTTER_NID"} {
		reservedNames[n] = struct{}{}
	}
	f.Fuzz(func(t *testing.T, key, name, value string) {
		ix := newKeyIndex([]string{key, "otter.port", "otter.zookeeper.sessionTimeout", "otter.domainName"})
		env := map[string]string{name: value, "OTTER_SERVICE_HOST": "10.0.0.7"}
		kind, keys := ix.match(name, value, reservedNames, env)
		_, isReserved := reservedNames[name]
		if isReserved != (kind == reserved) {
			t.Fatalf("match(%q) = %v; reserved %v", name, kind, isReserved)
		}
		switch kind {
		case exactKey:
			if len(keys) != 1 || keys[0] != name {
				t.Fatalf("exact match of %q gave %q", name, keys)
			}
		case newKey:
			if len(keys) != 1 || keys[0] != name || !strings.HasPrefix(name, "otter.") {
				t.Fatalf("new key from %q gave %q", name, keys)
			}
		case snakeKey, ambiguous:
			if !strings.HasPrefix(name, "OTTER_") || isServiceLink(name, value, env) {
				t.Fatalf("%q (%q) matched keys %q", name, value, keys)
			}
			if (kind == snakeKey) != (len(keys) == 1) || len(keys) == 0 {
				t.Fatalf("%v with keys %q", kind, keys)
			}
			for _, k := range keys {
				if canonical(k) != canonical(name) {
					t.Fatalf("%q matched %q", name, k)
				}
			}
		case serviceLink:
			if !strings.HasPrefix(name, "OTTER_") {
				t.Fatalf("%q taken for a service variable", name)
			}
		default:
			if keys != nil {
				t.Fatalf("%v with keys %q", kind, keys)
			}
		}
		// The upper-snake name derived from a plain otter.* key finds it.
		if !strings.HasPrefix(key, "otter.") || key == "otter." || strings.Trim(key[6:], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.") != "" {
			return
		}
		derived := snakeName(key)
		k2, keys2 := ix.match(derived, "1", reservedNames, map[string]string{})
		switch k2 {
		case reserved:
		case snakeKey:
			if keys2[0] != key {
				t.Fatalf("%s designates %q, want %q", derived, keys2, key)
			}
		case ambiguous:
			found := false
			for _, k := range keys2 {
				found = found || k == key
			}
			if !found {
				t.Fatalf("%s designates %q, which lacks %q", derived, keys2, key)
			}
		default:
			t.Fatalf("%s (from %q) gave %v", derived, key, k2)
		}
	})
}

// FuzzCollectEnv: any environment gives settings for keys the variables
// designate, values without trailing line breaks from variables, and log
// lines that never hold a value.
func FuzzCollectEnv(f *testing.F) {
	f.Add("otter.zookeeper.sesionTimeout", "10\n", "OTTER_PORT", "8080\r\n")
	f.Add("Otter.port", "1", "otter.", "x")
	f.Add("otter.x_FILE", "/dev/null", "otter.x", "v")
	f.Fuzz(func(t *testing.T, n1, v1, n2, v2 string) {
		ix := newKeyIndex([]string{"otter.port", "otter.zookeeper.sessionTimeout"})
		core, logs := observer.New(zapcore.DebugLevel)
		var probs problems
		read := func(string) (string, error) { return "Secret-Value-42", nil }
		got := collectEnv([]string{n1 + "=" + v1, n2 + "=" + v2}, ix, nil, read, &probs, zap.New(core))
		for _, s := range got {
			if s.src.Kind == SourceEnv && strings.HasSuffix(s.value, "\n") {
				t.Fatalf("%s kept a trailing line break: %q", s.src, s.value)
			}
			if s.key == "" {
				t.Fatalf("empty key from %s", s.src)
			}
		}
		for _, e := range logs.All() {
			text := e.Message + fmt.Sprint(e.ContextMap())
			if strings.Contains(text, "Secret-Value-42") {
				t.Fatalf("log shows a secret: %s", text)
			}
		}
	})
}
