package hsperf

import "github.com/prometheus/client_golang/prometheus"

// Metrics turns a JVM summary into Prometheus metrics named as Prometheus'
// Java client names them (jvm_memory_used_bytes{area}, jvm_gc_collection_seconds{gc}...).
// It holds only immutable descriptors; one value serves every scrape.
type Metrics struct {
	memUsed, memCommitted, memMax           *prometheus.Desc
	poolUsed, poolCommitted, poolMax        *prometheus.Desc
	gc                                      *prometheus.Desc
	threads, daemon, peak, started          *prometheus.Desc
	classes, classesLoaded, classesUnloaded *prometheus.Desc
	info                                    *prometheus.Desc
}

// NewMetrics creates the descriptors.
func NewMetrics() *Metrics {
	d := prometheus.NewDesc
	area, pool := []string{"area"}, []string{"pool"}
	return &Metrics{
		memUsed:         d("jvm_memory_used_bytes", "Used bytes of a given JVM memory area (from hsperfdata).", area, nil),
		memCommitted:    d("jvm_memory_committed_bytes", "Committed bytes of a given JVM memory area (from hsperfdata).", area, nil),
		memMax:          d("jvm_memory_max_bytes", "Max bytes of a given JVM memory area (from hsperfdata; -1 if undefined).", area, nil),
		poolUsed:        d("jvm_memory_pool_used_bytes", "Used bytes of a given JVM memory pool (from hsperfdata).", pool, nil),
		poolCommitted:   d("jvm_memory_pool_committed_bytes", "Committed bytes of a given JVM memory pool (from hsperfdata).", pool, nil),
		poolMax:         d("jvm_memory_pool_max_bytes", "Max bytes of a given JVM memory pool (from hsperfdata).", pool, nil),
		gc:              d("jvm_gc_collection_seconds", "Time spent in a given JVM garbage collector in seconds (pauses, from hsperfdata).", []string{"gc"}, nil),
		threads:         d("jvm_threads_current", "Current thread count of a JVM.", nil, nil),
		daemon:          d("jvm_threads_daemon", "Daemon thread count of a JVM.", nil, nil),
		peak:            d("jvm_threads_peak", "Peak thread count of a JVM.", nil, nil),
		started:         d("jvm_threads_started_total", "Started thread count of a JVM.", nil, nil),
		classes:         d("jvm_classes_currently_loaded", "The number of classes that are currently loaded in the JVM.", nil, nil),
		classesLoaded:   d("jvm_classes_loaded_total", "The total number of classes that have been loaded since the JVM has started execution.", nil, nil),
		classesUnloaded: d("jvm_classes_unloaded_total", "The total number of classes that have been unloaded since the JVM has started execution.", nil, nil),
		info:            d("jvm_info", "JVM version info.", []string{"version", "vendor", "runtime"}, nil),
	}
}

// Describe sends every descriptor.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.memUsed, m.memCommitted, m.memMax, m.poolUsed, m.poolCommitted,
		m.poolMax, m.gc, m.threads, m.daemon, m.peak, m.started, m.classes, m.classesLoaded, m.classesUnloaded, m.info} {
		ch <- d
	}
}

// Emit sends the metrics of j.
func (m *Metrics) Emit(j JVM, ch chan<- prometheus.Metric) {
	// A metric that cannot be built (a label the JVM garbled) is dropped,
	// never a panic.
	send := func(m prometheus.Metric, err error) {
		if err == nil {
			ch <- m
		}
	}
	g := func(d *prometheus.Desc, v int64, labels ...string) {
		send(prometheus.NewConstMetric(d, prometheus.GaugeValue, float64(v), labels...))
	}
	c := func(d *prometheus.Desc, v int64) {
		send(prometheus.NewConstMetric(d, prometheus.CounterValue, float64(v)))
	}
	for _, a := range []struct {
		name string
		u    Usage
	}{{"heap", j.Heap}, {"nonheap", j.NonHeap}} {
		g(m.memUsed, a.u.Used, a.name)
		g(m.memCommitted, a.u.Committed, a.name)
		g(m.memMax, a.u.Max, a.name)
	}
	for _, p := range j.Pools {
		g(m.poolUsed, p.Used, p.Name)
		g(m.poolCommitted, p.Committed, p.Name)
		g(m.poolMax, p.Max, p.Name)
	}
	for _, gc := range j.GCs {
		send(prometheus.NewConstSummary(m.gc, uint64(max(gc.Count, 0)), gc.Seconds, nil, gc.Name))
	}
	if j.HasThreads {
		g(m.threads, j.ThreadsLive)
		g(m.daemon, j.ThreadsDaemon)
		g(m.peak, j.ThreadsPeak)
		c(m.started, j.ThreadsStarted)
	}
	if j.HasClasses {
		g(m.classes, j.ClassesLoaded)
		c(m.classesLoaded, j.ClassesLoadedTotal)
		c(m.classesUnloaded, j.ClassesUnloadedTotal)
	}
	send(prometheus.NewConstMetric(m.info, prometheus.GaugeValue, 1, j.Version, j.Vendor, j.Runtime))
}
