package hsperf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// entry describes one counter for build.
type entry struct {
	name  string
	long  int64
	str   string // used when isStr
	isStr bool
}

// build writes a version-2 hsperfdata file in the given byte order, laid
// out as HotSpot lays it out (name after the header, 8-byte aligned data).
func build(bo binary.ByteOrder, entries []entry) []byte {
	var body bytes.Buffer
	for _, e := range entries {
		name := append([]byte(e.name), 0)
		nameOff := 20
		dataOff := (nameOff + len(name) + 7) &^ 7
		var data []byte
		vec := 0
		typ := byte('J')
		if e.isStr {
			data = append([]byte(e.str), 0)
			vec = len(data)
			typ = 'B'
		} else {
			data = make([]byte, 8)
			bo.PutUint64(data, uint64(e.long))
		}
		length := (dataOff + len(data) + 7) &^ 7
		h := make([]byte, length)
		bo.PutUint32(h[0:], uint32(length))
		bo.PutUint32(h[4:], uint32(nameOff))
		bo.PutUint32(h[8:], uint32(vec))
		h[12], h[13], h[14], h[15] = typ, 0, 1, 3
		bo.PutUint32(h[16:], uint32(dataOff))
		copy(h[nameOff:], name)
		copy(h[dataOff:], data)
		body.Write(h)
	}
	p := make([]byte, 32)
	binary.BigEndian.PutUint32(p, magic)
	if bo == binary.LittleEndian {
		p[4] = 1
	}
	p[5], p[6], p[7] = 2, 0, 1
	bo.PutUint32(p[8:], uint32(32+body.Len()))
	bo.PutUint64(p[16:], 12345)
	bo.PutUint32(p[24:], 32)
	bo.PutUint32(p[28:], uint32(len(entries)))
	return append(p, body.Bytes()...)
}

// toBigEndian rewrites a little-endian file, field by field, big-endian.
func toBigEndian(t testing.TB, b []byte) []byte {
	t.Helper()
	out := slices.Clone(b)
	le, be := binary.LittleEndian, binary.BigEndian
	sw32 := func(off int) { be.PutUint32(out[off:], le.Uint32(b[off:])) }
	sw64 := func(off int) { be.PutUint64(out[off:], le.Uint64(b[off:])) }
	if b[4] != 1 {
		t.Fatal("fixture is not little-endian")
	}
	out[4] = 0
	sw32(8)
	sw32(12)
	sw64(16)
	sw32(24)
	sw32(28)
	off := int(le.Uint32(b[24:]))
	for range int(le.Uint32(b[28:])) {
		length := int(le.Uint32(b[off:]))
		vec := le.Uint32(b[off+8:])
		dataOff := int(le.Uint32(b[off+16:]))
		for _, f := range []int{0, 4, 8, 16} {
			sw32(off + f)
		}
		if vec == 0 && b[off+12] == 'J' {
			sw64(off + dataOff)
		}
		off += length
	}
	return out
}

func fixtures(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob("testdata/*.hsperf")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in testdata: %v", err)
	}
	m := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m[strings.TrimSuffix(filepath.Base(p), ".hsperf")] = b
	}
	return m
}

func TestParseSynthetic(t *testing.T) {
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		b := build(bo, []entry{
			{name: "a.long", long: -42},
			{name: "b.big", long: 1 << 40},
			{name: "c.string", str: "hello", isStr: true},
		})
		s, err := Parse(b)
		if err != nil {
			t.Fatalf("%v: Parse: %v", bo, err)
		}
		if v, ok := s.Long("a.long"); !ok || v != -42 {
			t.Errorf("%v: a.long = %d, %v; want -42", bo, v, ok)
		}
		if v, _ := s.Long("b.big"); v != 1<<40 {
			t.Errorf("%v: b.big = %d", bo, v)
		}
		if v, _ := s.Text("c.string"); v != "hello" {
			t.Errorf("%v: c.string = %q", bo, v)
		}
		if s.BigEndian != (bo == binary.BigEndian) || s.Major != 2 || s.ModTimeStamp != 12345 {
			t.Errorf("%v: prologue = %+v", bo, s)
		}
	}
}

func TestParseFixturesBothByteOrders(t *testing.T) {
	for name, b := range fixtures(t) {
		t.Run(name, func(t *testing.T) {
			le, err := Parse(b)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if len(le.Longs) < 100 || len(le.Strings) < 10 {
				t.Errorf("only %d longs and %d strings", len(le.Longs), len(le.Strings))
			}
			if v, _ := le.Long("sun.os.hrt.frequency"); v <= 0 {
				t.Errorf("sun.os.hrt.frequency = %d", v)
			}
			be, err := Parse(toBigEndian(t, b))
			if err != nil {
				t.Fatalf("Parse(big-endian): %v", err)
			}
			if !be.BigEndian {
				t.Error("BigEndian = false for the big-endian copy")
			}
			if !mapsEqual(le.Longs, be.Longs) || !mapsEqual(le.Strings, be.Strings) {
				t.Error("big-endian copy parses to different counters")
			}
		})
	}
}

func mapsEqual[V comparable](a, b map[string]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestParseErrors(t *testing.T) {
	good := build(binary.LittleEndian, []entry{{name: "x", long: 1}, {name: "s", str: "v", isStr: true}})
	mod := func(f func(b []byte) []byte) []byte { return f(slices.Clone(good)) }
	le := binary.LittleEndian
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrFormat},
		{"short prologue", good[:31], ErrFormat},
		{"bad magic", mod(func(b []byte) []byte { b[0] = 0; return b }), ErrFormat},
		{"bad byte order", mod(func(b []byte) []byte { b[4] = 7; return b }), ErrFormat},
		{"version 1", mod(func(b []byte) []byte { b[5] = 1; return b }), ErrFormat},
		{"not accessible", mod(func(b []byte) []byte { b[7] = 0; return b }), ErrNotAccessible},
		{"entry offset before prologue", mod(func(b []byte) []byte { le.PutUint32(b[24:], 4); return b }), ErrFormat},
		{"entry offset past end", mod(func(b []byte) []byte { le.PutUint32(b[24:], 1<<30); return b }), ErrFormat},
		{"negative entry count", mod(func(b []byte) []byte { le.PutUint32(b[28:], 0xffffffff); return b }), ErrFormat},
		{"too many entries", mod(func(b []byte) []byte { le.PutUint32(b[28:], 1000); return b }), ErrFormat},
		{"truncated entries", good[:len(good)-8], ErrFormat},
		{"zero entry length", mod(func(b []byte) []byte { le.PutUint32(b[32:], 0); return b }), ErrFormat},
		{"huge entry length", mod(func(b []byte) []byte { le.PutUint32(b[32:], 1<<31-1); return b }), ErrFormat},
		{"name offset outside", mod(func(b []byte) []byte { le.PutUint32(b[36:], 1000); return b }), ErrFormat},
		{"name offset inside header", mod(func(b []byte) []byte { le.PutUint32(b[36:], 3); return b }), ErrFormat},
		{"data offset outside", mod(func(b []byte) []byte { le.PutUint32(b[48:], 1000); return b }), ErrFormat},
		{"name not terminated", mod(func(b []byte) []byte {
			for i := 52; i < 56; i++ { // entry 0: name at +20, data at +24
				b[i] = 'x'
			}
			return b
		}), ErrFormat},
		{"negative vector length", mod(func(b []byte) []byte { le.PutUint32(b[32+32+8:], 0xffffff00); return b }), ErrFormat},
		{"vector past entry", mod(func(b []byte) []byte { le.PutUint32(b[32+32+8:], 500); return b }), ErrFormat},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Parse(c.in)
			if !errors.Is(err, c.want) {
				t.Fatalf("Parse = %v, %v; want error %v", s, err, c.want)
			}
		})
	}
	if _, err := Parse(good); err != nil {
		t.Fatalf("Parse(good) = %v", err)
	}
}

func TestParseReplacesInvalidUTF8(t *testing.T) {
	b := build(binary.LittleEndian, []entry{
		{name: "java.property.java.vm.vendor", str: "Eclipse A\x82optium", isStr: true},
		{name: "sun.gc.collector.0.name", str: "\xff\xfe", isStr: true},
		{name: "sun.gc.collector.0.invocations", long: 3},
	})
	s, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Text("java.property.java.vm.vendor"); v != "Eclipse A\uFFFDoptium" {
		t.Errorf("vendor = %q", v)
	}
	if v, _ := s.Text("sun.gc.collector.0.name"); v != "\uFFFD" {
		t.Errorf("collector name = %q", v)
	}
}

func TestReadFile(t *testing.T) {
	if _, err := ReadFile(filepath.Join(t.TempDir(), "12345")); !errors.Is(err, ErrRead) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile(missing) = %v; want ErrRead wrapping fs.ErrNotExist", err)
	}
	p := filepath.Join(t.TempDir(), "garbage")
	if err := os.WriteFile(p, []byte("not hsperfdata at all, just text that is long enough"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(p); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), p) {
		t.Errorf("ReadFile(garbage) = %v; want ErrFormat naming the path", err)
	}
	s, err := ReadFile("testdata/jdk17-g1.hsperf")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Text("sun.gc.policy.name"); v != "GarbageFirst" {
		t.Errorf("policy = %q", v)
	}
}

func TestReadFileTooLarge(t *testing.T) {
	p := filepath.Join(t.TempDir(), "huge")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, MaxFileSize+1); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(p); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("ReadFile(%d bytes) = %v; want ErrFormat saying it is too large", MaxFileSize+1, err)
	}
}

func TestSummarizeFixtures(t *testing.T) {
	all := fixtures(t)
	cases := []struct {
		fixture string
		pools   []string
		gcs     []string
		version string
	}{
		{"jdk17-g1", []string{"G1 Eden Space", "G1 Survivor Space", "G1 Old Gen", "Metaspace", "Compressed Class Space"},
			[]string{"G1 Young Generation", "G1 Old Generation", "G1 Concurrent GC"}, "17."},
		{"jdk25-g1", []string{"G1 Eden Space", "G1 Survivor Space", "G1 Old Gen", "Metaspace", "Compressed Class Space"},
			[]string{"G1 Young Generation", "G1 Old Generation", "G1 Concurrent GC"}, "25."},
		{"jdk17-serial", []string{"Eden Space", "Survivor Space", "Tenured Gen", "Metaspace", "Compressed Class Space"},
			[]string{"Copy", "MarkSweepCompact"}, "17."},
		{"jdk17-parallel", []string{"PS Eden Space", "PS Survivor Space", "PS Old Gen", "Metaspace", "Compressed Class Space"},
			[]string{"PS Scavenge", "PS MarkSweep"}, "17."},
		{"jdk17-zgc", []string{"ZHeap", "Metaspace"}, []string{"ZGC Pauses"}, "17."},
		{"jdk17-shenandoah", []string{"Shenandoah", "Metaspace", "Compressed Class Space"}, nil, "17."},
	}
	for _, c := range cases {
		t.Run(c.fixture, func(t *testing.T) {
			s, err := Parse(all[c.fixture])
			if err != nil {
				t.Fatal(err)
			}
			j := Summarize(s)
			var pools, gcs []string
			var poolSum int64
			for _, p := range j.Pools {
				pools = append(pools, p.Name)
				if p.Name != "Metaspace" && p.Name != "Compressed Class Space" {
					poolSum += p.Used
				}
			}
			for _, g := range j.GCs {
				gcs = append(gcs, g.Name)
			}
			for _, want := range c.pools {
				if !slices.Contains(pools, want) {
					t.Errorf("pools = %q; missing %q", pools, want)
				}
			}
			for _, want := range c.gcs {
				if !slices.Contains(gcs, want) {
					t.Errorf("gcs = %q; missing %q", gcs, want)
				}
			}
			if poolSum != j.Heap.Used || j.Heap.Used <= 0 {
				t.Errorf("heap used %d, sum of heap pools %d", j.Heap.Used, poolSum)
			}
			if j.Heap.Committed < j.Heap.Used || j.Heap.Max < j.Heap.Committed {
				t.Errorf("heap used %d committed %d max %d out of order", j.Heap.Used, j.Heap.Committed, j.Heap.Max)
			}
			// The test program holds 32 MiB of arrays; every heap is bigger.
			if j.Heap.Used < 32<<20 {
				t.Errorf("heap used %d < 32 MiB held by the program", j.Heap.Used)
			}
			if j.NonHeap.Used <= 0 || !j.HasThreads || j.ThreadsLive < 5 || j.ThreadsDaemon < 2 || j.ThreadsPeak < j.ThreadsLive {
				t.Errorf("nonheap %d threads %d/%d/%d", j.NonHeap.Used, j.ThreadsLive, j.ThreadsDaemon, j.ThreadsPeak)
			}
			if !j.HasClasses || j.ClassesLoaded < 400 {
				t.Errorf("classes loaded %d", j.ClassesLoaded)
			}
			if !strings.HasPrefix(j.Version, c.version) || j.Vendor == "" || j.Runtime == "" {
				t.Errorf("info = %q %q %q", j.Version, j.Vendor, j.Runtime)
			}
		})
	}
}

func TestSummarizeSerialHeapMaxIsSumOfGenerations(t *testing.T) {
	s, err := Parse(fixtures(t)["jdk17-serial"])
	if err != nil {
		t.Fatal(err)
	}
	g0, _ := s.Long("sun.gc.generation.0.maxCapacity")
	g1, _ := s.Long("sun.gc.generation.1.maxCapacity")
	if got := Summarize(s).Heap.Max; got != g0+g1 {
		t.Errorf("serial heap max = %d, want %d+%d", got, g0, g1)
	}
	s, err = Parse(fixtures(t)["jdk17-g1"])
	if err != nil {
		t.Fatal(err)
	}
	g1, _ = s.Long("sun.gc.generation.1.maxCapacity")
	if got := Summarize(s).Heap.Max; got != g1&^(1<<20-1) || g1-got > 8 {
		t.Errorf("G1 heap max = %d, want the old generation's %d (G1 reports the whole heap there)", got, g1)
	}
}

func TestSummarizeEmpty(t *testing.T) {
	j := Summarize(&Snapshot{})
	if j.HasThreads || j.HasClasses || len(j.Pools) != 0 || len(j.GCs) != 0 || j.NonHeap.Max != -1 {
		t.Errorf("Summarize(empty) = %+v", j)
	}
}

func FuzzParse(f *testing.F) {
	for _, b := range fixtures(f) {
		f.Add(b)
		f.Add(toBigEndian(f, b))
		f.Add(b[:len(b)/2])
		f.Add(b[:100])
	}
	f.Add(build(binary.BigEndian, []entry{{name: "x", long: 1}, {name: "s", str: "v", isStr: true}}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		if err != nil {
			if s != nil {
				t.Fatal("non-nil snapshot with an error")
			}
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrNotAccessible) {
				t.Fatalf("error %v is neither ErrFormat nor ErrNotAccessible", err)
			}
			return
		}
		_ = Summarize(s) // whatever the file holds, Summarize does not panic
	})
}
