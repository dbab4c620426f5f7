package hsperf

import (
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

// poolNames gives the MXBean pool names per collector family: eden,
// survivor, old.
func poolNames(policy string, collector0 string) (eden, survivor, old string, ok bool) {
	switch {
	case policy == "GarbageFirst":
		return "G1 Eden Space", "G1 Survivor Space", "G1 Old Gen", true
	case strings.HasPrefix(policy, "Copy:"):
		return "Eden Space", "Survivor Space", "Tenured Gen", true
	case strings.HasPrefix(policy, "ParScav:"):
		return "PS Eden Space", "PS Survivor Space", "PS Old Gen", true
	case strings.HasPrefix(collector0, "ZGC "):
		return "ZGC Young Generation", "ZGC Young Generation", "ZGC Old Generation", true
	}
	return "", "", "", false
}

// Summarize computes the exported figures from a snapshot. Missing
// counters count as absent, never as an error.
func Summarize(s *Snapshot) JVM {
	var j JVM
	policy, _ := s.String("sun.gc.policy.name")
	c0, _ := s.String("sun.gc.collector.0.name")
	eden, survivor, old, known := poolNames(policy, c0)
	zgc17 := strings.HasPrefix(collectorName(s, 2), "Z ") // JDK 17's ZGC: one space, in generation 1

	// Heap pools: every space of every generation, named like the MXBeans.
	pools := map[string]*Pool{}
	var order []string
	add := func(name string, u Usage) {
		p, ok := pools[name]
		if !ok {
			p = &Pool{Name: name}
			pools[name] = p
			order = append(order, name)
		}
		p.Used += u.Used
		p.Committed += u.Committed
		if p.Max < u.Max {
			p.Max = u.Max
		}
	}
	var genMaxSum, genMaxMax, oldMax int64
	for g := 0; g < 8; g++ {
		gp := "sun.gc.generation." + strconv.Itoa(g) + "."
		gname, ok := s.String(gp + "name")
		if !ok {
			continue
		}
		if m, ok := s.Long(gp + "maxCapacity"); ok {
			genMaxSum += m
			genMaxMax = max(genMaxMax, m)
			if g == 1 {
				oldMax = m
			}
		}
		spaces, _ := s.Long(gp + "spaces")
		for sp := int64(0); sp < spaces && sp < 16; sp++ {
			pp := gp + "space." + strconv.FormatInt(sp, 10) + "."
			sname, _ := s.String(pp + "name")
			used, ok := s.Long(pp + "used")
			if !ok {
				continue
			}
			capacity, _ := s.Long(pp + "capacity")
			maxc, _ := s.Long(pp + "maxCapacity")
			j.Heap.Used += used
			j.Heap.Committed += capacity
			add(poolName(known, g, sname, gname, eden, survivor, old, zgc17), Usage{used, capacity, maxc})
		}
	}
	// Serial and Parallel generations are disjoint: the heap's maximum is
	// their sum. G1, ZGC and Shenandoah report the whole heap's maximum
	// in each generation (G1 pads the young one); take the old one's.
	switch {
	case strings.HasPrefix(policy, "Copy:") || strings.HasPrefix(policy, "ParScav:"):
		j.Heap.Max = genMaxSum
	case policy == "GarbageFirst" && oldMax > 1<<20:
		// JDK 17's G1 pads its counters by a word (jstat shows 8 bytes
		// too many); the heap's maximum is a multiple of the region size
		// (at least 1 MiB).
		j.Heap.Max = oldMax &^ (1<<20 - 1)
	case oldMax > 0:
		j.Heap.Max = oldMax
	default:
		j.Heap.Max = genMaxMax
	}
	for _, n := range order {
		j.Pools = append(j.Pools, *pools[n])
	}

	// Non-heap: Metaspace includes the compressed class space.
	j.NonHeap.Max = -1
	if used, ok := s.Long("sun.gc.metaspace.used"); ok {
		capacity, _ := s.Long("sun.gc.metaspace.capacity")
		maxc, ok := s.Long("sun.gc.metaspace.maxCapacity")
		if !ok {
			maxc = -1
		}
		j.NonHeap = Usage{used, capacity, maxc}
		j.Pools = append(j.Pools, Pool{"Metaspace", Usage{used, capacity, maxc}})
	}
	if used, ok := s.Long("sun.gc.compressedclassspace.used"); ok {
		capacity, _ := s.Long("sun.gc.compressedclassspace.capacity")
		maxc, _ := s.Long("sun.gc.compressedclassspace.maxCapacity")
		j.Pools = append(j.Pools, Pool{"Compressed Class Space", Usage{used, capacity, maxc}})
	}

	// Collectors: invocations and time in ticks, as jstat's YGC/YGCT...
	freq, _ := s.Long("sun.os.hrt.frequency")
	for c := 0; c < 8; c++ {
		cp := "sun.gc.collector." + strconv.Itoa(c) + "."
		cname, ok := s.String(cp + "name")
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
		j.GCs = append(j.GCs, GC{Name: name, Count: n, Seconds: secs})
	}

	// Threads.
	var ok1, ok2, ok3 bool
	j.ThreadsLive, ok1 = s.Long("java.threads.live")
	j.ThreadsDaemon, ok2 = s.Long("java.threads.daemon")
	j.ThreadsPeak, ok3 = s.Long("java.threads.livePeak")
	j.ThreadsStarted, _ = s.Long("java.threads.started")
	j.HasThreads = ok1 && ok2 && ok3

	// Classes, as jstat -class: loaded = loaded + shared loaded.
	loaded, okL := s.Long("java.cls.loadedClasses")
	sharedLoaded, _ := s.Long("java.cls.sharedLoadedClasses")
	unloaded, _ := s.Long("java.cls.unloadedClasses")
	sharedUnloaded, _ := s.Long("java.cls.sharedUnloadedClasses")
	j.HasClasses = okL
	j.ClassesLoadedTotal = loaded + sharedLoaded
	j.ClassesUnloadedTotal = unloaded + sharedUnloaded
	j.ClassesLoaded = j.ClassesLoadedTotal - j.ClassesUnloadedTotal

	j.Version, _ = s.String("java.property.java.vm.version")
	j.Vendor, _ = s.String("java.property.java.vm.vendor")
	j.Runtime, _ = s.String("java.property.java.vm.name")
	return j
}

func poolName(known bool, gen int, space, genName, eden, survivor, old string, zgc17 bool) string {
	if known {
		switch {
		case gen == 0 && space == "eden":
			return eden
		case gen == 0 && (space == "s0" || space == "s1"):
			return survivor
		case gen == 1:
			return old
		}
	}
	switch {
	case genName == "Heap": // Shenandoah
		return "Shenandoah"
	case gen == 1 && zgc17: // ZGC, JDK 17
		return "ZHeap"
	}
	if space == "" {
		return genName
	}
	return genName + " " + space
}

func collectorName(s *Snapshot, i int) string {
	n, _ := s.String("sun.gc.collector." + strconv.Itoa(i) + ".name")
	return n
}
