package propsfile

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hardCases are keys and values that trip .properties writers.
func hardCases() [][2]string {
	return [][2]string{
		{"k=ey", "v=al=ue"},
		{"k:ey", "v:al:ue"},
		{"#hash.key", "#hash value"},
		{"!bang.key", "!bang value"},
		{"mid#dle!", "a#b!c"},
		{" lead.space", " leading space"},
		{"trail.space ", "trailing space "},
		{"  both  ", "  both  "},
		{"only.space", " "},
		{"only.spaces", "   "},
		{"back\\slash", `C:\path\to\`},
		{"ends.backslash", `ends\`},
		{"double.backslash", `\\`},
		{"literal.u", `\u0041 is not A`},
		{"nl\nkey", "line1\nline2\n"},
		{"cr\rkey", "a\rb\r"},
		{"crlf", "a\r\nb"},
		{"tab\tkey", "\tleading tab\t"},
		{"ff\fkey", "\fform feed"},
		{"vt", "\vvertical"},
		{"controls", "\x00\x01\x1b\x1f\x7f"},
		{"c1", "\u0080\u009f"},
		{"latin1", "café ÿ ß"},
		{"中文.key", "値は中文"},
		{"cyrillic", "Привет, мир"},
		{"emoji😀", "😀🎉 surrogate pairs"},
		{"max.rune", "\U0010FFFF"},
		{"bom", "\ufeffbom"},
		{"nonchar", "\uffff\ufffe"},
		{"line.sep", "a\u2028b\u2029c\u0085d"},
		{"empty.value", ""},
		{"", "empty key"},
		{"spring", "${user.dir}/../${otter.nodeHome:x}"},
		{"all = : # ! specials", " a = b : c # d ! e "},
		{"key with spaces", "value with spaces"},
		{"dquote\"", "'single' \"double\""},
		{"plain", "nothing special"},
	}
}

// hostileComments are comment texts a writer must keep on their own line.
func hostileComments() []string {
	return []string{
		"# comment\ninjected.by.newline=1",
		"! bang\r\ninjected.by.crlf=1",
		"no marker\rinjected.by.cr=1",
		"# trailing backslash \\",
		"# ünïcødé 中文 😀",
		"",
	}
}

func TestJavaReadsHardCases(t *testing.T) {
	var files [][]byte
	want := []map[string]string{}
	all := &File{}
	allMap := map[string]string{}
	for i, c := range hardCases() {
		f := &File{Items: []Item{
			{Kind: KindComment, Text: hostileComments()[i%len(hostileComments())]},
			{Kind: KindEntry, Key: c[0], Value: c[1]},
			{Kind: KindBlank},
		}}
		files = append(files, f.Bytes())
		want = append(want, map[string]string{c[0]: c[1]})
		all.Items = append(all.Items, f.Items...)
		allMap[c[0]] = c[1]
	}
	files = append(files, all.Bytes())
	want = append(want, allMap)
	for i, f := range files {
		if !isPrintableASCII(f) {
			t.Fatalf("file %d is not printable ASCII:\n%s", i, f)
		}
	}
	for _, j := range judges(t) {
		t.Run(j.name, func(t *testing.T) {
			for i, got := range j.load(t, files) {
				if got.err != "" {
					t.Errorf("file %d: Java failed to load it: %s\n%s", i, got.err, files[i])
					continue
				}
				if d := diffMaps(got.m, want[i]); d != "" {
					t.Errorf("file %d: Java read a different map:\n%s--- file:\n%s", i, d, files[i])
				}
			}
		})
	}
}

// isPrintableASCII allows printable ASCII, tab and \n.
func isPrintableASCII(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 && c != '\n' && c != '\t') || c > 0x7e {
			return false
		}
	}
	return true
}

// randomText draws a string from runes that matter to the format.
func randomText(rng *rand.Rand, maxLen int) string {
	alphabet := []rune{
		'a', 'b', 'Z', '0', '.', '-', '_', 'u', 'n', 't', '{', '}', '$', '"', '\'',
		' ', ' ', '\t', '\n', '\r', '\f', '\v', 0, 0x1f, 0x7f,
		'=', ':', '#', '!', '\\', '\\',
		'é', 'ÿ', 0x80, 0xa0, 'ł', '中', '値', 0x2028, 0xfeff, 0xfffd, 0xffff,
		'😀', 0x1f3fb, 0x10ffff,
	}
	n := rng.IntN(maxLen + 1)
	r := make([]rune, n)
	for i := range r {
		r[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(r)
}

// randomFile builds a File with random entries, comments and blank lines,
// and the map Java must read from it.
func randomFile(rng *rand.Rand) (*File, map[string]string) {
	f := &File{}
	m := map[string]string{}
	for range rng.IntN(9) {
		switch rng.IntN(6) {
		case 0:
			f.Items = append(f.Items, Item{Kind: KindComment, Text: randomText(rng, 10)})
		case 1:
			f.Items = append(f.Items, Item{Kind: KindBlank})
		default:
			k, v := randomText(rng, 8), randomText(rng, 12)
			f.Items = append(f.Items, Item{Kind: KindEntry, Key: k, Value: v})
			m[k] = v
		}
	}
	return f, m
}

func TestJavaReadsRandomMaps(t *testing.T) {
	const n = 4000
	rng := rand.New(rand.NewPCG(20261126, 3))
	files := make([][]byte, n)
	want := make([]map[string]string, n)
	entries := 0
	for i := range files {
		f, m := randomFile(rng)
		files[i], want[i] = f.Bytes(), m
		entries += len(m)
		if !isPrintableASCII(files[i]) {
			t.Fatalf("file %d is not printable ASCII:\n%q", i, files[i])
		}
		// Our own reader must agree before Java is asked.
		back, err := Parse(files[i])
		if err != nil {
			t.Fatalf("file %d: Parse: %v\n%q", i, err, files[i])
		}
		if d := diffMaps(back.Map(), m); d != "" {
			t.Fatalf("file %d: Parse read a different map:\n%s%q", i, d, files[i])
		}
	}
	t.Logf("%d random files, %d entries", n, entries)
	for _, j := range judges(t) {
		t.Run(j.name, func(t *testing.T) {
			bad := 0
			for i, got := range j.load(t, files) {
				if d := diffMaps(got.m, want[i]); d != "" || got.err != "" {
					bad++
					if bad <= 5 {
						t.Errorf("file %d: Java read a different map (err %q):\n%s--- file:\n%q", i, got.err, d, files[i])
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d files read differently by Java", bad, n)
			}
		})
	}
}

func TestParseReadsJavaStoreOutput(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	maps := []map[string]string{{}}
	for _, c := range hardCases() {
		maps[0][c[0]] = c[1]
	}
	for range 1500 {
		_, m := randomFile(rng)
		maps = append(maps, m)
	}
	for _, j := range judges(t) {
		t.Run(j.name, func(t *testing.T) {
			files := j.store(t, maps)
			for i, f := range files {
				got, err := Parse(f)
				if err != nil {
					t.Fatalf("map %d: Parse of Java's store output: %v\n%s", i, err, f)
				}
				if d := diffMaps(got.Map(), maps[i]); d != "" {
					t.Fatalf("map %d: Parse read Java's store output differently:\n%s--- file:\n%s", i, d, f)
				}
			}
		})
	}
}

// hostileFragments build random byte files that exercise the reader's
// corner cases: continuations (also CRLF and at EOF), comments after a
// lone backslash, escapes, \u escapes (broken ones too), ISO-8859-1 bytes.
func hostileFragments() []string {
	return []string{
		"a", "key", "v", "=", ":", " ", "  ", "\t", "\f", "\\", "\\\\", "\n", "\r", "\r\n",
		"#", "!", "# c\n", "\\u", "0041", "00e9", "D83D", "\\uD83D", "\\uDE00", "\\u12", "zz",
		"\xe9", "\xff", "\x00", "\\\n", "\\\r\n", "\\\r", "\\ ", "\\=", "\\:", "\\#", "\\t", "\\n",
		"${x}", "\n#", "\n!", "\n  ", "\v",
	}
}

func TestParseReadsLikeJava(t *testing.T) {
	var files [][]byte
	names, err := filepath.Glob(filepath.Join("testdata", "java-read", "*.properties"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 5 {
		t.Fatalf("expected hand-written files in testdata/java-read, found %d", len(names))
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	rng := rand.New(rand.NewPCG(42, 42))
	frags := hostileFragments()
	for range 3000 {
		var b strings.Builder
		for range rng.IntN(24) {
			b.WriteString(frags[rng.IntN(len(frags))])
		}
		files = append(files, []byte(b.String()))
	}
	for _, j := range judges(t) {
		t.Run(j.name, func(t *testing.T) {
			rejected := 0
			for i, jr := range j.load(t, files) {
				name := "random"
				if i < len(names) {
					name = names[i]
				}
				got, err := Parse(files[i])
				if jr.err != "" {
					rejected++
					if err == nil {
						t.Errorf("file %d (%s): Java rejects it (%s), Parse accepted it\n%q", i, name, jr.err, files[i])
					}
					continue
				}
				if err != nil {
					t.Errorf("file %d (%s): Parse: %v; Java read it\n%q", i, name, err, files[i])
					continue
				}
				if d := diffMaps(got.Map(), jr.m); d != "" {
					t.Errorf("file %d (%s): Parse differs from Java:\n%s--- file:\n%q", i, name, d, files[i])
				}
			}
			t.Logf("%d files compared, %d rejected by both", len(files), rejected)
		})
	}
}

func TestJavaReadsRenderedFile(t *testing.T) {
	home := newHome(t, fixture(t, "manager.otter.properties")+"# tail comment with ünïcødé\n")
	cm := t.TempDir()
	hard := &File{}
	for _, c := range hardCases() {
		hard.Items = append(hard.Items, Item{Kind: KindEntry, Key: c[0], Value: c[1]})
	}
	writeFile(t, filepath.Join(cm, "hard.properties"), string(hard.Bytes()))
	secret := filepath.Join(t.TempDir(), "pw")
	writeFile(t, secret, "pä$$wörd😀 =:#!\\\n")
	env := []string{
		"OTTER_DATABASE_DRIVER_PASSWORD_FILE=" + secret,
		"OTTER_DOMAINNAME=otter-manager.otter.svc",
		"otter.env.hard= leading\ttab\nnewline 中文 😀 \\ trailing ",
		"otter.env.empty=",
	}
	r, _ := mustRender(t, Options{Role: "manager", OtterHome: home, ConfigDir: cm, Environ: env})
	data := writeAndRead(t, r)
	if !isPrintableASCII(data) {
		t.Fatalf("rendered file is not printable ASCII:\n%s", data)
	}
	want := r.Map()
	if v := want["otter.database.driver.password"]; v != "pä$$wörd😀 =:#!\\" {
		t.Fatalf("password %q", v)
	}
	for _, j := range judges(t) {
		t.Run(j.name, func(t *testing.T) {
			got := j.load(t, [][]byte{data})[0]
			if got.err != "" {
				t.Fatalf("Java failed: %s", got.err)
			}
			if d := diffMaps(got.m, want); d != "" {
				t.Errorf("Java read the rendered file differently:\n%s--- file:\n%s", d, data)
			}
		})
	}
}
