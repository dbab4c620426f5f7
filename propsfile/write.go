package propsfile

import (
	"unicode/utf16"
	"unicode/utf8"
)

const hexDigits = "0123456789ABCDEF"

// Bytes returns the file as pure-ASCII .properties text that
// java.util.Properties.load reads back as exactly f.Map(): entries are
// written "key=value" with AppendKey/AppendValue escaping, comments are kept
// with anything outside printable ASCII written as \uXXXX, and every line
// ends with \n.
func (f *File) Bytes() []byte {
	b := []byte{}
	for _, it := range f.Items {
		b = appendItem(b, it)
	}
	return b
}

// appendItem appends one item and its \n.
func appendItem(b []byte, it Item) []byte {
	switch it.Kind {
	case KindComment:
		b = AppendComment(b, it.Text)
	case KindEntry:
		b = AppendKey(b, it.Key)
		b = append(b, '=')
		b = AppendValue(b, it.Value)
	}
	return append(b, '\n')
}

// AppendKey appends key escaped for a .properties file, as Java's
// Properties.store does: '\', '=', ':', '#', '!' and every space are
// backslash-escaped, \t \n \r \f are written as such, and characters outside
// printable ASCII become \uXXXX (UTF-16, surrogate pairs above U+FFFF).
// Invalid UTF-8 bytes are written as U+FFFD.
func AppendKey(dst []byte, key string) []byte { return appendEscaped(dst, key, true) }

// AppendValue appends value escaped like AppendKey, except that only a
// leading space is escaped (inner and trailing spaces are kept as they are,
// and Java keeps them when it reads the file).
func AppendValue(dst []byte, value string) []byte { return appendEscaped(dst, value, false) }

// needsEscape marks the ASCII bytes appendEscaped cannot copy as they are
// (a space only matters in keys and at the start of values).
var needsEscape = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c < 0x20 || c > 0x7e
	}
	for _, c := range "\\=:#!" {
		t[c] = true
	}
	return t
}()

func appendEscaped(dst []byte, s string, isKey bool) []byte {
	plain := len(s) == 0 || s[0] != ' '
	for i := 0; i < len(s) && plain; i++ {
		plain = !needsEscape[s[i]] && (!isKey || s[i] != ' ')
	}
	if plain {
		return append(dst, s...)
	}
	for i, r := range s {
		switch r {
		case ' ':
			if isKey || i == 0 {
				dst = append(dst, '\\')
			}
			dst = append(dst, ' ')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\\', '=', ':', '#', '!':
			dst = append(dst, '\\', byte(r))
		default:
			if r < 0x20 || r > 0x7e {
				dst = appendUnicode(dst, r)
			} else {
				dst = append(dst, byte(r))
			}
		}
	}
	return dst
}

// appendUnicode writes r as one \uXXXX escape, or two for a surrogate pair.
func appendUnicode(dst []byte, r rune) []byte {
	if r > 0xffff {
		hi, lo := utf16.EncodeRune(r)
		return appendUnicode(appendUnicode(dst, hi), lo)
	}
	return append(dst, '\\', 'u',
		hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// AppendComment appends text as one comment line (without the line
// terminator). A text that does not start with '#' or '!' gets "# " in
// front. Text that is valid UTF-8 is read as UTF-8, anything else as
// ISO-8859-1; characters outside printable ASCII (tab excepted) are written
// as \uXXXX, so a line terminator inside text can never start a new line.
func AppendComment(dst []byte, text string) []byte {
	if text == "" || (text[0] != '#' && text[0] != '!') {
		dst = append(dst, '#', ' ')
	}
	if !utf8.ValidString(text) {
		for i := 0; i < len(text); i++ {
			dst = appendCommentRune(dst, rune(text[i]))
		}
		return dst
	}
	for _, r := range text {
		dst = appendCommentRune(dst, r)
	}
	return dst
}

func appendCommentRune(dst []byte, r rune) []byte {
	if (r < 0x20 && r != '\t') || r > 0x7e {
		return appendUnicode(dst, r)
	}
	return append(dst, byte(r))
}
