package jvm

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplitOptions(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", "", nil},
		{"blanks only", " \t\n ", nil},
		{"words", "  -Xmx1g\t-Dx=y\n-server ", []string{"-Xmx1g", "-Dx=y", "-server"}},
		{"single quotes", `-Da='b c' '-Dd=e  f'`, []string{"-Da=b c", "-Dd=e  f"}},
		{"single quotes keep backslashes and dollars", `'a\b $X "q"'`, []string{`a\b $X "q"`}},
		{"double quotes escapes", `-Da="b \"c\" \$HOME \\ \x"`, []string{`-Da=b "c" $HOME \ \x`}},
		{"double quote backslash-newline", "\"a\\\nb\"", []string{"ab"}},
		{"nothing is evaluated", "-Da=$HOME -Db=$(id) -Dc=`id` -Dd=* -De=~ #f", []string{"-Da=$HOME", "-Db=$(id)", "-Dc=`id`", "-Dd=*", "-De=~", "#f"}},
		{"backslash outside quotes", `a\ b \'c\" d\\`, []string{"a b", `'c"`, `d\`}},
		{"line continuation", "-Xmx1g \\\n-Xms1g", []string{"-Xmx1g", "-Xms1g"}},
		{"empty quoted words", `'' "" a''b`, []string{"", "", "ab"}},
		{"adjacent quoting", `-D"a b"'c d'e`, []string{"-Da bc de"}},
		{"utf-8", `-Dname='机器 管理'`, []string{"-Dname=机器 管理"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SplitOptions(tt.in)
			if err != nil {
				t.Fatalf("SplitOptions(%q) error %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SplitOptions(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitOptionsErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{`-Da='b`, "unbalanced single quote at byte 4"},
		{`-Da="b`, "unbalanced double quote at byte 4"},
		{`"a\"`, "unbalanced double quote at byte 0"},
		{`-Xmx1g \`, "trailing backslash at byte 7"},
		{`'a' "b`, "unbalanced double quote at byte 4"},
	}
	for _, tt := range tests {
		_, err := SplitOptions(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("SplitOptions(%q) error = %v, want one containing %q", tt.in, err, tt.want)
		}
	}
}

func TestQuoteArg(t *testing.T) {
	for in, want := range map[string]string{
		"":           "''",
		"-Xmx1g":     "-Xmx1g",
		"a b":        "'a b'",
		"it's":       `'it'\''s'`,
		"$HOME":      "'$HOME'",
		"-Da=/b:c,d": "-Da=/b:c,d",
	} {
		if got := QuoteArg(in); got != want {
			t.Errorf("QuoteArg(%q) = %s, want %s", in, got, want)
		}
	}
}

// FuzzSplitOptions: no panic; a successful split re-quoted with QuoteArg
// splits back to the same words; quoting any word list round-trips.
func FuzzSplitOptions(f *testing.F) {
	for _, s := range []string{"", "-Xmx1g -Dx=y", `-Da='b c'`, `"a\"b" c\ d`, "a\\\nb", `'`, `"`, `\`, "$(x) `y` *"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := SplitOptions(s)
		if err != nil {
			return
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = QuoteArg(w)
		}
		again, err := SplitOptions(strings.Join(quoted, " "))
		if err != nil {
			t.Fatalf("re-split of %q: %v", quoted, err)
		}
		if len(again) != len(words) || (len(words) > 0 && !reflect.DeepEqual(again, words)) {
			t.Fatalf("round trip of %q: %q → %q", s, words, again)
		}
	})
}
