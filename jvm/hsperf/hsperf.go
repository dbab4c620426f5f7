// Package hsperf reads the performance counters a HotSpot JVM publishes in
// its hsperfdata file (/tmp/hsperfdata_<user>/<pid>), the same counters
// jstat reads, without attaching to the JVM.
//
// Reading and parsing are separate: ReadFile reads the bytes (bounded) and
// Parse turns them into a Snapshot. Parse checks every offset and length
// against the buffer and never panics on malformed input.
package hsperf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"otter-entrypoint/internal/safefile"
)

// Sentinel errors, wrapped with details; test them with errors.Is.
var (
	// ErrFormat: the bytes are not a version-2 hsperfdata file, or an
	// offset or length points outside of it.
	ErrFormat = errors.New("hsperfdata: bad format")
	// ErrNotAccessible: the JVM has not finished initialising the file.
	ErrNotAccessible = errors.New("hsperfdata: not yet accessible")
	// ErrRead: the file could not be read.
	ErrRead = errors.New("hsperfdata: read failed")
)

const (
	magic          = 0xcafec0c0
	prologueSize   = 32
	entryHeaderLen = 20
	// MaxFileSize bounds what ReadFile reads; the JVM's default
	// PerfDataMemorySize is 32 KiB.
	MaxFileSize = 16 << 20
)

// Data types of entries (HotSpot's BasicType characters).
const (
	typeLong = 'J'
	typeByte = 'B'
)

// Snapshot is the parsed content of one hsperfdata file.
type Snapshot struct {
	// BigEndian is true when the file was written big-endian.
	BigEndian    bool
	Major, Minor int
	// ModTimeStamp is the tick count of the last structural change.
	ModTimeStamp int64
	// Longs holds the scalar 64-bit counters by name.
	Longs map[string]int64
	// Strings holds byte-vector entries read as NUL-terminated strings
	// (invalid UTF-8 replaced by U+FFFD, so they are safe as label values).
	Strings map[string]string
}

// Long returns a scalar counter.
func (s *Snapshot) Long(name string) (int64, bool) {
	v, ok := s.Longs[name]
	return v, ok
}

// Text returns a string entry.
func (s *Snapshot) Text(name string) (string, bool) {
	v, ok := s.Strings[name]
	return v, ok
}

// ReadFile reads and parses the hsperfdata file at path.
func ReadFile(path string) (*Snapshot, error) {
	b, err := readBounded(path)
	if err != nil {
		return nil, err
	}
	s, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// readBounded reads the regular file at path (safefile.Open: whatever else
// is put there cannot block the scrape), but fails with ErrFormat rather
// than read more than MaxFileSize bytes.
func readBounded(path string) ([]byte, error) {
	f, fi, err := safefile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRead, err)
	}
	defer f.Close()
	if fi.Size() > MaxFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrFormat, path, MaxFileSize)
	}
	// The JVM maps the file at a fixed size: one buffer of that size is
	// read, never more than the stat said (so never more than the cap).
	b := make([]byte, fi.Size())
	n, err := io.ReadFull(f, b)
	if err != nil && err != io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("%w: %s: %w", ErrRead, path, err)
	}
	return b[:n], nil
}

// Parse parses the bytes of an hsperfdata file (format version 2).
func Parse(b []byte) (*Snapshot, error) {
	if len(b) < prologueSize {
		return nil, fmt.Errorf("%w: %d bytes is shorter than the %d-byte prologue", ErrFormat, len(b), prologueSize)
	}
	if m := binary.BigEndian.Uint32(b[0:4]); m != magic {
		return nil, fmt.Errorf("%w: magic %#08x, want %#08x", ErrFormat, m, uint32(magic))
	}
	var bo binary.ByteOrder
	switch b[4] {
	case 0:
		bo = binary.BigEndian
	case 1:
		bo = binary.LittleEndian
	default:
		return nil, fmt.Errorf("%w: byte order %d at offset 4", ErrFormat, b[4])
	}
	s := &Snapshot{
		BigEndian:    b[4] == 0,
		Major:        int(b[5]),
		Minor:        int(b[6]),
		ModTimeStamp: int64(bo.Uint64(b[16:24])),
	}
	if s.Major != 2 {
		return nil, fmt.Errorf("%w: major version %d, only 2 is supported", ErrFormat, s.Major)
	}
	if b[7] == 0 {
		return nil, ErrNotAccessible
	}
	used := int64(int32(bo.Uint32(b[8:12])))
	entryOff := int64(int32(bo.Uint32(b[24:28])))
	numEntries := int64(int32(bo.Uint32(b[28:32])))
	// The used size bounds the entries; a file shorter than "used" is
	// truncated and parsing stops at its end.
	end := int64(len(b))
	if used > 0 && used < end {
		end = used
	}
	if entryOff < prologueSize || entryOff > end {
		return nil, fmt.Errorf("%w: entry offset %d outside [%d, %d]", ErrFormat, entryOff, prologueSize, end)
	}
	if numEntries < 0 || numEntries > (end-entryOff)/entryHeaderLen {
		return nil, fmt.Errorf("%w: %d entries cannot fit in %d bytes", ErrFormat, numEntries, end-entryOff)
	}
	s.Longs = make(map[string]int64, numEntries)
	s.Strings = make(map[string]string, 16)
	off := entryOff
	for i := int64(0); i < numEntries; i++ {
		n, err := parseEntry(b[:end], off, bo, s)
		if err != nil {
			return nil, fmt.Errorf("%w (entry %d at offset %d)", err, i, off)
		}
		off += n
	}
	return s, nil
}

// parseEntry parses the entry at off in b and returns its length.
func parseEntry(b []byte, off int64, bo binary.ByteOrder, s *Snapshot) (int64, error) {
	size := int64(len(b))
	if off < 0 || off+entryHeaderLen > size {
		return 0, fmt.Errorf("%w: entry header past the end (%d bytes)", ErrFormat, size)
	}
	h := b[off : off+entryHeaderLen]
	entryLen := int64(int32(bo.Uint32(h[0:4])))
	nameOff := int64(int32(bo.Uint32(h[4:8])))
	vecLen := int64(int32(bo.Uint32(h[8:12])))
	dataType := h[12]
	dataOff := int64(int32(bo.Uint32(h[16:20])))
	if entryLen < entryHeaderLen || entryLen > size-off {
		return 0, fmt.Errorf("%w: entry length %d", ErrFormat, entryLen)
	}
	e := b[off : off+entryLen]
	if nameOff < entryHeaderLen || nameOff >= entryLen {
		return 0, fmt.Errorf("%w: name offset %d outside the %d-byte entry", ErrFormat, nameOff, entryLen)
	}
	if dataOff <= nameOff || dataOff > entryLen || vecLen < 0 {
		return 0, fmt.Errorf("%w: data offset %d or vector length %d (name at %d, entry length %d)", ErrFormat, dataOff, vecLen, nameOff, entryLen)
	}
	name, ok := cString(e[nameOff:dataOff])
	if !ok || name == "" {
		return 0, fmt.Errorf("%w: name not NUL-terminated before the data", ErrFormat)
	}
	name = strings.ToValidUTF8(name, "\uFFFD")
	data := e[dataOff:]
	switch {
	case vecLen == 0 && dataType == typeLong:
		if len(data) < 8 {
			return 0, fmt.Errorf("%w: %s: 8-byte value past the entry end", ErrFormat, name)
		}
		s.Longs[name] = int64(bo.Uint64(data[:8]))
	case vecLen > 0 && dataType == typeByte:
		if vecLen > int64(len(data)) {
			return 0, fmt.Errorf("%w: %s: %d-byte vector past the entry end", ErrFormat, name, vecLen)
		}
		v, _ := cString(data[:vecLen])
		s.Strings[name] = strings.ToValidUTF8(v, "\uFFFD")
	default:
		// Other types (int, boolean, char vectors...) are not used by
		// the counters we export; skip them.
	}
	return entryLen, nil
}

// cString returns b up to its first NUL; ok is false when there is none.
func cString(b []byte) (string, bool) {
	for i, c := range b {
		if c == 0 {
			return string(b[:i]), true
		}
	}
	return string(b), false
}
