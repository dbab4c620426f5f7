package hsperf

import (
	"slices"
	"strconv"
	"strings"
)

// JVM is what the exported jvm_* metrics say, computed from a Snapshot with
// the same counters and arithmetic jstat uses. Sizes are bytes, times
// seconds. Names follow Prometheus' Java client (client_java), whose labels
// come from the JVM's MXBean names, so existing JVM dashboards work.
type JVM struct {
	// Heap and NonHeap: used, committed and max bytes. NonHeap covers
	// Metaspace (which includes the compressed class space); hsperfdata
	// has no code-cache sizes, so they are not in it. A max of -1 means
	// the counter is missing.
	Heap, NonHeap Usage
	// Pools lists the memory pools (G1 Eden Space, Metaspace...).
	Pools []Pool
	// GCs lists the collectors with their pause counts and total seconds.
	GCs []GC
	// Threads.
	ThreadsLive, ThreadsDaemon, ThreadsPeak, ThreadsStarted int64
	// Classes: currently loaded, loaded since start, unloaded since start.
	ClassesLoaded, ClassesLoadedTotal, ClassesUnloadedTotal int64
	// HasThreads and HasClasses say whether those counters were present.
	HasThreads, HasClasses bool
	// Version, Vendor and Runtime label jvm_info.
	Version, Vendor, Runtime string
}

// Usage is a memory area's or pool's size.
type Usage struct{ Used, Committed, Max int64 }

// Pool is one memory pool.
type Pool struct {
	Name string
	Usage
}

// GC is one collector.
type GC struct {
	Name    string
	Count   int64
	Seconds float64
}

// gcNames maps hsperfdata collector names to the GarbageCollectorMXBean
// names client_java uses for its gc label.
var gcNames = map[string]string{
	"G1 young collection pauses":       "G1 Young Generation",
	"G1 full collection pauses":        "G1 Old Generation",
	"G1 concurrent cycle pauses":       "G1 Concurrent GC",
	"Serial young collection pauses":   "Copy",
	"Serial full collection pauses":    "MarkSweepCompact",
	"Parallel young collection pauses": "PS Scavenge",
	"Parallel full collection pauses":  "PS MarkSweep",
	"Z concurrent cycle pauses":        "ZGC Pauses",
	"ZGC minor collection pauses":      "ZGC Minor Pauses",
	"ZGC major collection pauses":      "ZGC Major Pauses",
	// JDK 8 names.
	"Copy":                               "Copy",
	"MSC":                                "MarkSweepCompact",
	"PSScavenge":                         "PS Scavenge",
	"PSParallelCompact":                  "PS MarkSweep",
	"G1 incremental collections":         "G1 Young Generation",
	"G1 stop-the-world full collections": "G1 Old Generation",
}

// Bounds of the numbered counters Summarize looks for. HotSpot publishes a
// few generations with a few spaces each, and a few collectors; the bound
// on spaces also keeps a malformed file's space count from making
// Summarize loop for long.
const (
	maxGenerations = 8  // sun.gc.generation.<n>
	maxSpaces      = 16 // sun.gc.generation.<n>.space.<m>
	maxCollectors  = 8  // sun.gc.collector.<n>
)

// heapLayout is what the collector family says about its heap: the MXBean
// names of its pools and how its generations add up to the heap's maximum.
type heapLayout struct {
	// eden, survivor and old name generation 0's eden, generation 0's
	// survivor spaces and generation 1, as the MXBeans do; all "" when
	// the family is not one of those named in layoutOf.
	eden, survivor, old string
	// disjointGenerations: the heap's maximum is the sum of the
	// generations' (Serial, Parallel). Otherwise each generation reports
	// the whole heap's maximum (G1, ZGC, Shenandoah).
	disjointGenerations bool
	g1                  bool
	// zgc17: JDK 17's ZGC, whose one space (in generation 1) is "ZHeap".
	zgc17 bool
}

// layoutOf tells the collector family from the GC policy's and the
// collectors' names.
func layoutOf(s *Snapshot) heapLayout {
	policy, _ := s.Text("sun.gc.policy.name")
	c0 := collectorName(s, 0)
	l := heapLayout{zgc17: strings.HasPrefix(collectorName(s, 2), "Z ")}
	switch {
	case policy == "GarbageFirst":
		l.eden, l.survivor, l.old = "G1 Eden Space", "G1 Survivor Space", "G1 Old Gen"
		l.g1 = true
	case strings.HasPrefix(policy, "Copy:"):
		l.eden, l.survivor, l.old = "Eden Space", "Survivor Space", "Tenured Gen"
		l.disjointGenerations = true
	case strings.HasPrefix(policy, "ParScav:"):
		l.eden, l.survivor, l.old = "PS Eden Space", "PS Survivor Space", "PS Old Gen"
		l.disjointGenerations = true
	case strings.HasPrefix(c0, "ZGC "):
		l.eden, l.survivor, l.old = "ZGC Young Generation", "ZGC Young Generation", "ZGC Old Generation"
	}
	return l
}

// poolName names the pool of space (of generation gen, named genName)
// like the MXBeans do.
func (l heapLayout) poolName(gen int, genName, space string) string {
	if l.old != "" {
		switch {
		case gen == 0 && space == "eden":
			return l.eden
		case gen == 0 && (space == "s0" || space == "s1"):
			return l.survivor
		case gen == 1:
			return l.old
		}
	}
	switch {
	case genName == "Heap": // Shenandoah
		return "Shenandoah"
	case gen == 1 && l.zgc17:
		return "ZHeap"
	}
	if space == "" {
		return genName
	}
	return genName + " " + space
}

// Summarize computes the exported figures from a snapshot. Missing
// counters count as absent, never as an error.
func Summarize(s *Snapshot) JVM {
	var j JVM
	l := layoutOf(s)
	j.Pools, j.Heap = heapPools(s, l)
	j.Heap.Max = heapMax(s, l)
	var metaspace []Pool
	j.NonHeap, metaspace = nonHeap(s)
	j.Pools = append(j.Pools, metaspace...)
	j.GCs = collectors(s)
	threads(s, &j)
	classes(s, &j)
	j.Version, _ = s.Text("java.property.java.vm.version")
	j.Vendor, _ = s.Text("java.property.java.vm.vendor")
	j.Runtime, _ = s.Text("java.property.java.vm.name")
	return j
}

// heapPools returns every space of every generation as a pool named like
// the MXBeans (spaces of one name, such as G1's or ZGC's young ones, add
// up into one pool), and the heap's used and committed bytes.
func heapPools(s *Snapshot, l heapLayout) ([]Pool, Usage) {
	var pools []Pool
	var heap Usage
	for g := range maxGenerations {
		gp := "sun.gc.generation." + strconv.Itoa(g) + "."
		gname, ok := s.Text(gp + "name")
		if !ok {
			continue
		}
		spaces, _ := s.Long(gp + "spaces")
		for sp := int64(0); sp < spaces && sp < maxSpaces; sp++ {
			pp := gp + "space." + strconv.FormatInt(sp, 10) + "."
			sname, _ := s.Text(pp + "name")
			used, ok := s.Long(pp + "used")
			if !ok {
				continue
			}
			capacity, _ := s.Long(pp + "capacity")
			maxc, _ := s.Long(pp + "maxCapacity")
			heap.Used += used
			heap.Committed += capacity
			pools = addToPool(pools, l.poolName(g, gname, sname), Usage{used, capacity, maxc})
		}
	}
	return pools, heap
}

// addToPool adds u to the pool called name, appending the pool if it is
// new. A pool's maximum is the largest of its spaces' (and at least 0).
func addToPool(pools []Pool, name string, u Usage) []Pool {
	i := slices.IndexFunc(pools, func(p Pool) bool { return p.Name == name })
	if i < 0 {
		pools = append(pools, Pool{Name: name})
		i = len(pools) - 1
	}
	p := &pools[i]
	p.Used += u.Used
	p.Committed += u.Committed
	p.Max = max(p.Max, u.Max)
	return pools
}

// heapMax is the heap's maximum: the sum of the generations' when they are
// disjoint, otherwise the old generation's (G1 pads the young one's), or
// failing that the largest generation's.
func heapMax(s *Snapshot, l heapLayout) int64 {
	var sum, largest, old int64
	for g := range maxGenerations {
		gp := "sun.gc.generation." + strconv.Itoa(g) + "."
		if _, ok := s.Text(gp + "name"); !ok {
			continue
		}
		if m, ok := s.Long(gp + "maxCapacity"); ok {
			sum += m
			largest = max(largest, m)
			if g == 1 {
				old = m
			}
		}
	}
	switch {
	case l.disjointGenerations:
		return sum
	case l.g1 && old > 1<<20:
		return g1HeapMax(old)
	case old > 0:
		return old
	}
	return largest
}

// g1HeapMax undoes JDK 17's G1 padding its counters by a word (jstat shows
// 8 bytes too many): the heap's maximum is a multiple of the region size,
// which is at least 1 MiB.
func g1HeapMax(oldMax int64) int64 {
	return oldMax &^ (1<<20 - 1)
}

// nonHeap is Metaspace (which includes the compressed class space; its Max
// is -1 when the counter is missing), and the Metaspace and Compressed
// Class Space pools. hsperfdata has no code-cache sizes.
func nonHeap(s *Snapshot) (Usage, []Pool) {
	area := Usage{Max: -1}
	var pools []Pool
	if used, ok := s.Long("sun.gc.metaspace.used"); ok {
		capacity, _ := s.Long("sun.gc.metaspace.capacity")
		maxc, ok := s.Long("sun.gc.metaspace.maxCapacity")
		if !ok {
			maxc = -1
		}
		area = Usage{used, capacity, maxc}
		pools = append(pools, Pool{"Metaspace", area})
	}
	if used, ok := s.Long("sun.gc.compressedclassspace.used"); ok {
		capacity, _ := s.Long("sun.gc.compressedclassspace.capacity")
		maxc, _ := s.Long("sun.gc.compressedclassspace.maxCapacity")
		pools = append(pools, Pool{"Compressed Class Space", Usage{used, capacity, maxc}})
	}
	return area, pools
}

// collectors lists the collectors with their invocations and time (in
// ticks of sun.os.hrt.frequency), as jstat's YGC/YGCT... do, named like the
// GarbageCollectorMXBeans where the name is known.
func collectors(s *Snapshot) []GC {
	var gcs []GC
	freq, _ := s.Long("sun.os.hrt.frequency")
	for c := range maxCollectors {
		cp := "sun.gc.collector." + strconv.Itoa(c) + "."
		cname, ok := s.Text(cp + "name")
		if !ok {
			continue
		}
		n, _ := s.Long(cp + "invocations")
		ticks, _ := s.Long(cp + "time")
		name := gcNames[cname]
		if name == "" {
			name = cname
		}
		var secs float64
		if freq > 0 {
			secs = float64(ticks) / float64(freq)
		}
		gcs = append(gcs, GC{Name: name, Count: n, Seconds: secs})
	}
	return gcs
}

// threads fills j's thread counts.
func threads(s *Snapshot, j *JVM) {
	var ok1, ok2, ok3 bool
	j.ThreadsLive, ok1 = s.Long("java.threads.live")
	j.ThreadsDaemon, ok2 = s.Long("java.threads.daemon")
	j.ThreadsPeak, ok3 = s.Long("java.threads.livePeak")
	j.ThreadsStarted, _ = s.Long("java.threads.started")
	j.HasThreads = ok1 && ok2 && ok3
}

// classes fills j's class counts as jstat -class does: loaded counts the
// classes loaded from the shared archive too.
func classes(s *Snapshot, j *JVM) {
	loaded, ok := s.Long("java.cls.loadedClasses")
	sharedLoaded, _ := s.Long("java.cls.sharedLoadedClasses")
	unloaded, _ := s.Long("java.cls.unloadedClasses")
	sharedUnloaded, _ := s.Long("java.cls.sharedUnloadedClasses")
	j.HasClasses = ok
	j.ClassesLoadedTotal = loaded + sharedLoaded
	j.ClassesUnloadedTotal = unloaded + sharedUnloaded
	j.ClassesLoaded = j.ClassesLoadedTotal - j.ClassesUnloadedTotal
}

func collectorName(s *Snapshot, i int) string {
	n, _ := s.Text("sun.gc.collector." + strconv.Itoa(i) + ".name")
	return n
}
