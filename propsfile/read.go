package propsfile

import (
	"fmt"
	"unicode/utf16"
)

// ItemKind says what a line of a .properties file is.
type ItemKind uint8

const (
	// KindBlank is an empty or whitespace-only line.
	KindBlank ItemKind = iota
	// KindComment is a line whose first non-blank character is '#' or '!'.
	KindComment
	// KindEntry is a key and its value (one logical line, which may span
	// several physical lines joined by a trailing backslash).
	KindEntry
)

// Item is one element of a .properties file, in file order.
type Item struct {
	Kind ItemKind
	// Line is the 1-based physical line the item starts on (0 for items
	// that did not come from a file).
	Line int
	// Key and Value are the decoded key and value of an Entry.
	Key, Value string
	// Text is a Comment's text, starting with its '#' or '!' marker. Read
	// from a file it holds the raw bytes of the line; the writer escapes
	// anything that is not printable ASCII.
	Text string
}

// File is a parsed .properties file: entries, comments and blank lines in
// their original order. Duplicate keys stay as separate entries; as in Java,
// the last one wins (see Map).
type File struct {
	Items []Item
}

// Map returns the file's key/value pairs as java.util.Properties would hold
// them after load: for a duplicate key the last value wins.
func (f *File) Map() map[string]string {
	m := make(map[string]string, len(f.Items))
	for _, it := range f.Items {
		if it.Kind == KindEntry {
			m[it.Key] = it.Value
		}
	}
	return m
}

// Keys returns the distinct keys in the order of their first occurrence.
func (f *File) Keys() []string {
	seen := make(map[string]struct{}, len(f.Items))
	var keys []string
	for _, it := range f.Items {
		if it.Kind != KindEntry {
			continue
		}
		if _, ok := seen[it.Key]; !ok {
			seen[it.Key] = struct{}{}
			keys = append(keys, it.Key)
		}
	}
	return keys
}

// SyntaxError is a .properties file that java.util.Properties.load rejects
// too (a malformed \uXXXX escape).
type SyntaxError struct {
	Line int    // 1-based physical line of the logical line with the error
	Msg  string // what is wrong
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Parse reads a .properties file exactly as java.util.Properties.load(InputStream)
// does: every byte is one ISO-8859-1 character, lines end with \n, \r or \r\n,
// a logical line continues while it ends with an odd number of backslashes
// (the next line's leading blanks are dropped), comments are lines whose
// first non-blank character is '#' or '!', and the key ends at the first
// unescaped '=', ':' or blank. No "${...}" expansion is done.
func Parse(data []byte) (*File, error) {
	p := parser{data: data, text: string(data)}
	for {
		line, start, ok := p.readLine()
		if !ok {
			break
		}
		// A logical line without continuations is a slice of the input:
		// its plain key and value can share the input's string.
		src := ""
		if p.contiguous {
			src = p.text[start : start+len(line)]
		}
		key, value, err := splitEntry(line, src)
		if err != nil {
			lines := lineCounter{data: p.data}
			return nil, &SyntaxError{Line: lines.at(start), Msg: err.Error()}
		}
		p.add(Item{Kind: KindEntry, Key: key, Value: value}, start)
	}
	lines := lineCounter{data: p.data}
	for i := range p.items {
		p.items[i].Line = lines.at(p.offsets[i])
	}
	return &File{Items: p.items}, nil
}

type parser struct {
	data []byte
	text string // data as a string, for keys and values that need no decoding
	// contiguous is true when the last logical line had no continuation.
	contiguous bool
	off        int
	buf        []byte // the current logical line, ISO-8859-1 characters as bytes
	items      []Item // the items read so far, Line not yet set
	offsets    []int  // offsets[i] is where items[i] starts in data
}

// add records an item that starts at data[off].
func (p *parser) add(it Item, off int) {
	p.items = append(p.items, it)
	p.offsets = append(p.offsets, off)
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }
func isEOL(c byte) bool   { return c == '\n' || c == '\r' }

// blankLine records the line terminator just consumed at data[off-1] as the
// end of a blank line, unless it is the \n of a \r\n pair.
func (p *parser) blankLine() {
	at := p.off - 1
	if p.data[at] == '\n' && at > 0 && p.data[at-1] == '\r' {
		return
	}
	p.add(Item{Kind: KindBlank}, at)
}

// readLine returns the next logical line with continuations joined, and the
// offset of its first character. It mirrors the JDK's Properties.LineReader,
// including its corner cases (a line holding a lone backslash continues into
// the next one, which is then read as a comment if it starts with '#').
func (p *parser) readLine() (line []byte, start int, ok bool) {
	p.buf = p.buf[:0]
	p.contiguous = true
	skipBlank := true
	appendedLineBegin := false
	precedingBackslash := false
	for {
		if p.off >= len(p.data) {
			if len(p.buf) == 0 {
				return nil, 0, false
			}
			if precedingBackslash {
				p.buf = p.buf[:len(p.buf)-1]
			}
			return p.buf, start, true
		}
		c := p.data[p.off]
		p.off++
		if skipBlank {
			if isBlank(c) {
				continue
			}
			if !appendedLineBegin && isEOL(c) {
				p.blankLine()
				continue
			}
			skipBlank = false
			appendedLineBegin = false
		}
		if len(p.buf) == 0 {
			start = p.off - 1
			if c == '#' || c == '!' {
				end := p.off
				for end < len(p.data) && !isEOL(p.data[end]) {
					end++
				}
				p.add(Item{Kind: KindComment, Text: string(p.data[start:end])}, start)
				if end >= len(p.data) {
					p.off = end
					return nil, 0, false
				}
				p.off = end + 1 // the terminator; a following \n of \r\n is skipped as a blank
				skipBlank = true
				continue
			}
		}
		if !isEOL(c) {
			p.buf = append(p.buf, c)
			precedingBackslash = c == '\\' && !precedingBackslash
			if !precedingBackslash {
				// Copy the run of ordinary characters that follows in one go.
				end := p.off
				for end < len(p.data) && p.data[end] != '\\' && !isEOL(p.data[end]) {
					end++
				}
				p.buf = append(p.buf, p.data[p.off:end]...)
				p.off = end
			}
			continue
		}
		// End of a physical line.
		if len(p.buf) == 0 {
			p.blankLine()
			skipBlank = true
			continue
		}
		if p.off >= len(p.data) {
			if precedingBackslash {
				p.buf = p.buf[:len(p.buf)-1]
			}
			return p.buf, start, true
		}
		if !precedingBackslash {
			return p.buf, start, true
		}
		// Continuation: drop the backslash, skip the next line's leading blanks.
		p.buf = p.buf[:len(p.buf)-1]
		skipBlank = true
		appendedLineBegin = true
		p.contiguous = false
		precedingBackslash = false
		if c == '\r' && p.data[p.off] == '\n' {
			p.off++
		}
	}
}

// lineCounter turns byte offsets of data into 1-based physical line
// numbers (\n, \r and \r\n end a line). Asked for offsets in increasing
// order, as the parser's items are, it reads data once.
type lineCounter struct {
	data []byte
	ends int // line terminators in data[:next]
	next int // the offset counted up to
}

func (c *lineCounter) at(off int) int {
	if off < c.next { // not in order (the parser's are): count again from the start
		c.ends, c.next = 0, 0
	}
	for ; c.next < off; c.next++ {
		if b := c.data[c.next]; b == '\n' || (b == '\r' && (c.next+1 >= len(c.data) || c.data[c.next+1] != '\n')) {
			c.ends++
		}
	}
	return c.ends + 1
}

// splitEntry splits a logical line into its key and value as Java's
// Properties.load0 does, then decodes the escapes of both.
// src is "" or line's content as a string (to share, not copy).
func splitEntry(line []byte, src string) (key, value string, err error) {
	limit := len(line)
	keyLen := 0
	valueStart := limit
	hasSep := false
	precedingBackslash := false
	for keyLen < limit {
		c := line[keyLen]
		if (c == '=' || c == ':') && !precedingBackslash {
			valueStart = keyLen + 1
			hasSep = true
			break
		}
		if isBlank(c) && !precedingBackslash {
			valueStart = keyLen + 1
			break
		}
		precedingBackslash = c == '\\' && !precedingBackslash
		keyLen++
	}
	for valueStart < limit {
		c := line[valueStart]
		if !isBlank(c) {
			if !hasSep && (c == '=' || c == ':') {
				hasSep = true
			} else {
				break
			}
		}
		valueStart++
	}
	var keySrc, valueSrc string
	if src != "" {
		keySrc, valueSrc = src[:keyLen], src[valueStart:]
	}
	if key, err = unescape(line[:keyLen], keySrc); err != nil {
		return "", "", err
	}
	if value, err = unescape(line[valueStart:], valueSrc); err != nil {
		return "", "", err
	}
	return key, value, nil
}

// unescape decodes backslash escapes like Java's Properties.loadConvert.
// Characters are ISO-8859-1 bytes; \uXXXX escapes are UTF-16 code units,
// so a surrogate pair becomes one character above U+FFFF and a lone
// surrogate, which a Go string cannot hold, becomes U+FFFD.
// src is "" or in's content as a string, returned as is when in needs no
// decoding.
func unescape(in []byte, src string) (string, error) {
	plain := true
	for _, c := range in {
		if c == '\\' || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		if src != "" || len(in) == 0 {
			return src, nil
		}
		return string(in), nil
	}
	out := make([]uint16, 0, len(in))
	for i := 0; i < len(in); {
		c := in[i]
		i++
		if c != '\\' {
			out = append(out, uint16(c))
			continue
		}
		if i >= len(in) { // cannot happen: the line reader drops a final odd backslash
			break
		}
		c = in[i]
		i++
		switch c {
		case 'u':
			if i+4 > len(in) {
				return "", fmt.Errorf("malformed \\uxxxx escape: fewer than four hex digits")
			}
			var v uint16
			for _, h := range in[i : i+4] {
				d, ok := hexDigit(h)
				if !ok {
					return "", fmt.Errorf("malformed \\uxxxx escape %q: %q is not a hex digit", latin1(in[i-2:i+4]), rune(h))
				}
				v = v<<4 | d
			}
			i += 4
			out = append(out, v)
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case 'n':
			out = append(out, '\n')
		case 'f':
			out = append(out, '\f')
		default:
			out = append(out, uint16(c))
		}
	}
	return string(utf16.Decode(out)), nil
}

func hexDigit(c byte) (uint16, bool) {
	switch {
	case c >= '0' && c <= '9':
		return uint16(c - '0'), true
	case c >= 'a' && c <= 'f':
		return uint16(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return uint16(c-'A') + 10, true
	}
	return 0, false
}

// latin1 decodes ISO-8859-1 bytes.
func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}
