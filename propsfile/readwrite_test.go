package propsfile

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseLikeJavaLoad(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     map[string]string
	}{
		{"separators", "a=1\nb:2\nc 3\nd\t4\ne\f5\nf = 6\ng : 7\nh   8\n", map[string]string{
			"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6", "g": "7", "h": "8"}},
		{"second separator is value", "a==b\nc::d\ne = = f\ng :=h\n", map[string]string{"a": "=b", "c": ":d", "e": "= f", "g": "=h"}},
		{"no value", "key\nkey2 =\n", map[string]string{"key": "", "key2": ""}},
		{"empty key", "=v\n:w\n", map[string]string{"": "w"}},
		{"comments", "# a=1\n! b=2\n  # c=3\n\t! d=4\ne=#5\n", map[string]string{"e": "#5"}},
		{"continuation", "a = one \\\n    two \\\n\tthree\n", map[string]string{"a": "one two three"}},
		{"continued key", "ke\\\n  y = v\n", map[string]string{"key": "v"}},
		{"crlf continuation", "a = x\\\r\n  y\r\nb = z\r\n", map[string]string{"a": "xy", "b": "z"}},
		{"cr only", "a = 1\rb = 2\r", map[string]string{"a": "1", "b": "2"}},
		{"comment inside continuation is value", "a = x\\\n# y\n", map[string]string{"a": "x# y"}},
		{"even backslashes end the line", "a = x\\\\\nb = y\n", map[string]string{"a": `x\`, "b": "y"}},
		{"backslash at eof", "a = x\\", map[string]string{"a": "x"}},
		{"lone backslash line then comment", "\\\n#c\nk=v\n", map[string]string{"k": "v"}},
		{"escapes", `a = \t\n\r\f\\\=\:\#\!\ \q` + "\n", map[string]string{"a": "\t\n\r\f\\=:#! q"}},
		{"escaped separators in key", `k\=1\:2\ 3 = v` + "\n", map[string]string{"k=1:2 3": "v"}},
		{"unicode", `a = \u00e9\u4E2D\ud83d\ude00` + "\n", map[string]string{"a": "é中😀"}},
		{"lone surrogate", `a = \ud800x` + "\n", map[string]string{"a": "\ufffdx"}},
		{"latin1 bytes", "a = caf\xe9\n\xff = \xc3\xa9\n", map[string]string{"a": "café", "ÿ": "Ã©"}},
		{"no expansion", "a = ${user.dir}/${b:x}\n", map[string]string{"a": "${user.dir}/${b:x}"}},
		{"trailing spaces kept", "a = v  \n", map[string]string{"a": "v  "}},
		{"duplicate last wins", "a = 1\na = 2\n", map[string]string{"a": "2"}},
		{"blank lines with whitespace", "\n  \n\t\f\na=1\n\n", map[string]string{"a": "1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := Parse([]byte(c.in))
			if err != nil {
				t.Fatalf("Parse(%q): %v", c.in, err)
			}
			if got := f.Map(); !reflect.DeepEqual(got, c.want) {
				t.Errorf("Parse(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestParseMalformedUnicode(t *testing.T) {
	for _, in := range []string{"a = \\u12G4\n", "a = \\u12", "\n\nk\\u00 = v\n"} {
		_, err := Parse([]byte(in))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) error = %v, want *SyntaxError", in, err)
		}
	}
	_, err := Parse([]byte("ok = 1\n\nbad = x\\\n  \\uZZZZ\n"))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 3 {
		t.Errorf("error %v, want a SyntaxError on line 3 (where the logical line starts)", err)
	}
}

func TestParseKeepsLayout(t *testing.T) {
	in := "# head\r\n\r\na = 1\r\n! bang\n\n\nb = x\\\n  y\n# tail"
	f, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Item{
		{Kind: KindComment, Line: 1, Text: "# head"},
		{Kind: KindBlank, Line: 2},
		{Kind: KindEntry, Line: 3, Key: "a", Value: "1"},
		{Kind: KindComment, Line: 4, Text: "! bang"},
		{Kind: KindBlank, Line: 5},
		{Kind: KindBlank, Line: 6},
		{Kind: KindEntry, Line: 7, Key: "b", Value: "xy"},
		{Kind: KindComment, Line: 9, Text: "# tail"},
	}
	// Entries are appended when their logical line ends, comments as met;
	// compare in line order.
	got := append([]Item(nil), f.Items...)
	for i := 1; i < len(got); i++ {
		for j := i; j > 0 && got[j].Line < got[j-1].Line; j-- {
			got[j], got[j-1] = got[j-1], got[j]
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("items:\n%+v\nwant:\n%+v", got, want)
	}
	if keys := f.Keys(); !reflect.DeepEqual(keys, []string{"a", "b"}) {
		t.Errorf("Keys() = %q", keys)
	}
}

func TestParseNumbersLinesLikeJava(t *testing.T) {
	// \r, \n and \r\n each end one line; a malformed entry is reported on
	// the line its logical line starts on.
	f, err := Parse([]byte("a=1\rb=2\r\n\r!c\nd=x\\\r  y\re=5"))
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]int{}
	for _, it := range f.Items {
		lines[it.Key+it.Text] = it.Line
	}
	if want := map[string]int{"a": 1, "b": 2, "": 3, "!c": 4, "d": 5, "e": 7}; !reflect.DeepEqual(lines, want) {
		t.Errorf("lines %v, want %v", lines, want)
	}
	_, err = Parse([]byte("a=1\r\r\nb=\\\n\\u12"))
	if se := (*SyntaxError)(nil); !errors.As(err, &se) || se.Line != 3 {
		t.Errorf("error %v, want a SyntaxError on line 3", err)
	}
}

func TestWriterEscapesLikeJavaStore(t *testing.T) {
	for _, c := range []struct{ key, value, want string }{
		{"#hash.key", "v", `\#hash.key=v`},
		{"k sp", " leading space value", `k\ sp=\ leading space value`},
		{"back", `C:\path\to`, `back=C\:\\path\\to`},
		{"latin1", "café", `latin1=caf\u00E9`},
		{"emoji", "😀", `emoji=\uD83D\uDE00`},
		{"pw", "p@ss${word}=#!:", `pw=p@ss${word}\=\#\!\:`},
		{"trail", "v  ", "trail=v  "},
		{"ctl", "\t\n\r\f\x00\x7f", `ctl=\t\n\r\f\u0000\u007F`},
		{"", "", "="},
		{"bad utf8", "\xff", `bad\ utf8=\uFFFD`},
	} {
		got := string((&File{Items: []Item{{Kind: KindEntry, Key: c.key, Value: c.value}}}).Bytes())
		if got != c.want+"\n" {
			t.Errorf("write(%q, %q) = %q, want %q", c.key, c.value, got, c.want+"\n")
		}
	}
}

func TestWriterComments(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"# plain", "# plain"},
		{"! bang", "! bang"},
		{"no marker", "# no marker"},
		{"", "# "},
		{"# two\nlines=1", `# two\u000Alines=1`},
		{"# utf8 é😀", `# utf8 \u00E9\uD83D\uDE00`},
		{"# latin1 \xe9", `# latin1 \u00E9`},
		{"# tab\tok", "# tab\tok"},
	} {
		if got := string(AppendComment(nil, c.in)); got != c.want {
			t.Errorf("AppendComment(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
