package jvm

import (
	"fmt"
	"strings"
)

// SplitOptions splits a JAVA_OPTIONS value into arguments with POSIX shell
// quoting rules and evaluates nothing: blanks (space, tab, newline) separate
// words; single quotes keep everything literally; inside double quotes a
// backslash escapes only $ ` " \ and newline; outside quotes a backslash
// escapes any character and backslash-newline joins lines. $VAR, $(...),
// backticks, globs and # stay literal. An unterminated quote or a trailing
// backslash is an error naming the position.
func SplitOptions(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		inW   bool // a word has started (even an empty quoted one)
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inW {
				words = append(words, cur.String())
				cur.Reset()
				inW = false
			}
		case c == '\\':
			if i+1 >= len(s) {
				return nil, fmt.Errorf("trailing backslash at byte %d: remove it or escape it as \\\\", i)
			}
			i++
			if s[i] == '\n' {
				continue // line continuation
			}
			cur.WriteByte(s[i])
			inW = true
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unbalanced single quote at byte %d: close it, or escape it as \\'", i)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inW = true
		case c == '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					switch s[j+1] {
					case '$', '`', '"', '\\':
						cur.WriteByte(s[j+1])
						j++
						continue
					case '\n':
						j++
						continue
					}
				}
				cur.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unbalanced double quote at byte %d: close it, or escape it as \\\"", i)
			}
			i = j
			inW = true
		default:
			cur.WriteByte(c)
			inW = true
		}
	}
	if inW {
		words = append(words, cur.String())
	}
	return words, nil
}

// QuoteArg quotes an argument for a POSIX shell (and for SplitOptions):
// unchanged when it holds only characters no shell treats specially,
// otherwise in single quotes.
func QuoteArg(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_@%+=:,./-", c) >= 0) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
