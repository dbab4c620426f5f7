package jvm

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Warning reports one JAVA_OPTIONS argument the entrypoint changed or dropped
// (or a setting that is risky), naming what replaced it.
type Warning struct {
	Flag        string // the user's argument
	Replacement string // what it became ("" = dropped)
	Message     string
}

func (w Warning) String() string { return w.Message }

// action is what happens to a legacy flag on a JDK that no longer takes it.
type action int

const (
	drop     action = iota
	rename          // -XX:Old... → -XX:New... with the same sign or value
	fraction        // -XX:XxxRAMFraction=N → -XX:XxxRAMPercentage=100/N
	gcLog           // folded into one -Xlog option
	replace         // the whole argument becomes rule.to
	jdwp            // -Xrunjdwp:opts → -agentlib:jdwp=opts, address=*:port
)

// legacyRule describes one flag of old startup scripts. From JDK major gone
// on, the JDK rejects or ignores it (or, for the gc-log family, only converts
// it with a warning), so the entrypoint drops or translates it.
type legacyRule struct {
	name    string // -XX option name; or, for other arguments, the exact argument or prefix ending in ':' or '='
	gone    int
	act     action
	to      string // rename: the new -XX name; fraction: the new -XX percentage name; replace: the new argument
	history string // what JDKs do with it (for the warning)
	instead string // advice for a dropped flag
	// fold (act gcLog) records what the flag asks of the GC log; nil for
	// flags whose effect -Xlog always has (PrintGCCause, PrintGCID).
	fold func(g *gcLogFlags, o xxOption, arg string)

	// For the table test only:
	// quietUntil: below this major the JDK takes the flag without a word
	// although it has no effect (e.g. -Xdebug), so the table test can only
	// check that it starts.
	quietUntil int
	example    string // an argument for the table test; "{dir}" is a temporary directory
}

// quietOnEveryJDK is quietUntil for a flag every JDK takes without a word.
const quietOnEveryJDK = math.MaxInt

// legacyXX (the -XX options, by name) and legacyOther (other arguments,
// exact like "-Xincgc" or by prefix like "-Xloggc:") index legacyTable; both
// are read-only after package initialisation.
var legacyXX, legacyOther = indexRules(legacyTable)

// Histories several rows share.
const (
	cmsRemoved     = "CMS was removed: ignored in JDK 14, rejected since 15"
	foldedIntoXlog = "folded into the -Xlog option that replaces the JDK 8 GC-log flags"
)

// legacyTable is the whole table, in a stable order (for documentation and tests).
var legacyTable = []legacyRule{
	{name: "PermSize", gone: 8, act: rename, to: "MetaspaceSize", history: "ignored since JDK 8, rejected since 17", example: "-XX:PermSize=96m"},
	{name: "MaxPermSize", gone: 8, act: rename, to: "MaxMetaspaceSize", history: "ignored since JDK 8, rejected since 17", example: "-XX:MaxPermSize=256m"},
	{name: "UseStringCache", gone: 8, history: "ignored since JDK 8, rejected later", example: "-XX:+UseStringCache"},
	{name: "UseSplitVerifier", gone: 8, history: "ignored since JDK 8, rejected later", example: "-XX:+UseSplitVerifier"},
	{name: "UseCompressedStrings", gone: 8, history: "ignored since JDK 7, rejected later", example: "-XX:+UseCompressedStrings"},
	{name: "UseConcMarkSweepGC", gone: 14, act: rename, to: "UseG1GC", history: cmsRemoved, example: "-XX:+UseConcMarkSweepGC"},
	{name: "UseCMSCompactAtFullCollection", gone: 9, history: "rejected since JDK 9", instead: "nothing", example: "-XX:+UseCMSCompactAtFullCollection"},
	{name: "CMSIncrementalMode", gone: 9, history: "incremental CMS was removed in JDK 9", instead: "nothing", example: "-XX:+CMSIncrementalMode"},
	{name: "CMSIncrementalPacing", gone: 9, history: "incremental CMS was removed in JDK 9", instead: "nothing", example: "-XX:+CMSIncrementalPacing"},
	{name: "CMSInitiatingOccupancyFraction", gone: 14, history: cmsRemoved, instead: "G1 adapts -XX:InitiatingHeapOccupancyPercent by itself", example: "-XX:CMSInitiatingOccupancyFraction=70"},
	{name: "UseCMSInitiatingOccupancyOnly", gone: 14, history: cmsRemoved, instead: "-XX:-G1UseAdaptiveIHOP if a fixed threshold is really wanted", example: "-XX:+UseCMSInitiatingOccupancyOnly"},
	{name: "CMSParallelRemarkEnabled", gone: 14, history: cmsRemoved, instead: "nothing: G1's remark is parallel", example: "-XX:+CMSParallelRemarkEnabled"},
	{name: "CMSClassUnloadingEnabled", gone: 14, history: cmsRemoved, instead: "nothing: G1 unloads classes concurrently by default", example: "-XX:+CMSClassUnloadingEnabled"},
	{name: "CMSScavengeBeforeRemark", gone: 14, history: cmsRemoved, instead: "nothing", example: "-XX:+CMSScavengeBeforeRemark"},
	{name: "UseParNewGC", gone: 10, history: "deprecated in JDK 9, rejected since 10", instead: "nothing: the collector's young generation is parallel already", example: "-XX:+UseParNewGC"},
	{name: "UseFastAccessorMethods", gone: 9, history: "ignored in JDK 9, rejected since 10", instead: "nothing", example: "-XX:+UseFastAccessorMethods"},
	{name: "AggressiveOpts", gone: 12, history: "ignored in JDK 12, rejected since 13", instead: "nothing", example: "-XX:+AggressiveOpts"},
	{name: "UseBiasedLocking", gone: 18, history: "deprecated in JDK 15, ignored in 18, rejected since 19", instead: "nothing: biased locking is gone", example: "-XX:+UseBiasedLocking"},
	{name: "BiasedLockingStartupDelay", gone: 18, history: "deprecated in JDK 15, ignored in 18, rejected since 19", instead: "nothing: biased locking is gone", example: "-XX:BiasedLockingStartupDelay=0"},
	{name: "UseCGroupMemoryLimitForHeap", gone: 11, history: "deprecated in JDK 10, rejected since 11", instead: "JAVA_MAX_MEM_RATIO (-XX:MaxRAMPercentage): the JVM reads the container's limit by itself", example: "-XX:+UseCGroupMemoryLimitForHeap"},
	{name: "MaxRAMFraction", gone: 23, act: fraction, to: "MaxRAMPercentage", history: "deprecated in JDK 10, ignored since 23", example: "-XX:MaxRAMFraction=2"},
	{name: "DefaultMaxRAMFraction", gone: 23, act: fraction, to: "MaxRAMPercentage", history: "deprecated in JDK 8, ignored since 23", example: "-XX:DefaultMaxRAMFraction=2"},
	{name: "MinRAMFraction", gone: 23, act: fraction, to: "MinRAMPercentage", history: "deprecated in JDK 10, ignored since 23", example: "-XX:MinRAMFraction=2"},
	{name: "InitialRAMFraction", gone: 23, act: fraction, to: "InitialRAMPercentage", history: "deprecated in JDK 10, ignored since 23", example: "-XX:InitialRAMFraction=4"},
	{name: "UseParallelOldGC", gone: 15, act: rename, to: "UseParallelGC", history: "deprecated in JDK 14, ignored in 15, rejected since 16", example: "-XX:+UseParallelOldGC"},
	{name: "UseMembar", gone: 11, history: "deprecated in JDK 10, removed later", instead: "nothing", example: "-XX:+UseMembar"},
	{name: "PrintSafepointStatistics", gone: 11, history: "replaced by unified logging, removed later", instead: "-Xlog:safepoint+stats", example: "-XX:+PrintSafepointStatistics"},
	{name: "UseLargePagesInMetaspace", gone: 16, history: "deprecated in JDK 15, removed later", instead: "nothing", example: "-XX:+UseLargePagesInMetaspace"},
	{name: "UseContainerCpuShares", gone: 20, history: "deprecated in JDK 19, removed later", instead: "-XX:ActiveProcessorCount if the CPU count must be forced", example: "-XX:+UseContainerCpuShares"},
	{name: "PreferContainerQuotaForCPUCount", gone: 20, history: "deprecated in JDK 19, removed later", instead: "-XX:ActiveProcessorCount if the CPU count must be forced", example: "-XX:+PreferContainerQuotaForCPUCount"},
	{name: "TraceClassLoading", gone: 17, act: replace, to: "-Xlog:class+load=info", history: "replaced by unified logging in JDK 9, rejected since 17", example: "-XX:+TraceClassLoading"},
	{name: "TraceClassUnloading", gone: 17, act: replace, to: "-Xlog:class+unload=info", history: "replaced by unified logging in JDK 9, rejected since 17", example: "-XX:+TraceClassUnloading"},

	// The GC-log family: JDK 9 replaced it with unified logging (-Xlog).
	{name: "PrintGC", gone: 9, act: gcLog, fold: (*gcLogFlags).setBasic, history: "converted with a warning since JDK 9", example: "-XX:+PrintGC"},
	{name: "PrintGCDetails", gone: 9, act: gcLog, fold: (*gcLogFlags).setDetails, history: "converted with a warning since JDK 9", example: "-XX:+PrintGCDetails"},
	{name: "PrintGCDateStamps", gone: 9, act: gcLog, fold: (*gcLogFlags).setDate, history: "rejected since JDK 9", example: "-XX:+PrintGCDateStamps"},
	{name: "PrintGCTimeStamps", gone: 9, act: gcLog, fold: (*gcLogFlags).setUptime, history: "rejected since JDK 9", example: "-XX:+PrintGCTimeStamps"},
	{name: "PrintGCCause", gone: 9, act: gcLog, history: "rejected since JDK 9 (the cause is always logged)", example: "-XX:+PrintGCCause"},
	{name: "PrintGCID", gone: 9, act: gcLog, history: "rejected since JDK 9 (the id is always logged)", example: "-XX:+PrintGCID"},
	{name: "UseGCLogFileRotation", gone: 9, act: gcLog, fold: (*gcLogFlags).setRotate, history: "rejected since JDK 9", example: "-XX:+UseGCLogFileRotation"},
	{name: "NumberOfGCLogFiles", gone: 9, act: gcLog, fold: (*gcLogFlags).setCount, history: "rejected since JDK 9", example: "-XX:NumberOfGCLogFiles=5"},
	{name: "GCLogFileSize", gone: 9, act: gcLog, fold: (*gcLogFlags).setSize, history: "rejected since JDK 9", example: "-XX:GCLogFileSize=10m"},
	{name: "PrintTenuringDistribution", gone: 9, act: gcLog, fold: tag("gc+age=trace"), history: "rejected since JDK 9", example: "-XX:+PrintTenuringDistribution"},
	{name: "PrintGCApplicationStoppedTime", gone: 9, act: gcLog, fold: tag("safepoint"), history: "rejected since JDK 9", example: "-XX:+PrintGCApplicationStoppedTime"},
	{name: "PrintGCApplicationConcurrentTime", gone: 9, act: gcLog, fold: tag("safepoint"), history: "rejected since JDK 9", example: "-XX:+PrintGCApplicationConcurrentTime"},
	{name: "PrintHeapAtGC", gone: 9, act: gcLog, fold: tag("gc+heap=debug"), history: "rejected since JDK 9", example: "-XX:+PrintHeapAtGC"},
	{name: "PrintAdaptiveSizePolicy", gone: 9, act: gcLog, fold: tag("gc+ergo*=debug"), history: "rejected since JDK 9", example: "-XX:+PrintAdaptiveSizePolicy"},
	{name: "PrintReferenceGC", gone: 9, act: gcLog, fold: tag("gc+ref=debug"), history: "rejected since JDK 9", example: "-XX:+PrintReferenceGC"},
	{name: "-Xloggc:", gone: 9, act: gcLog, fold: (*gcLogFlags).setFile, history: "converted with a warning since JDK 9", example: "-Xloggc:{dir}/gc.log"},

	// Other arguments.
	{name: "-Xincgc", gone: 9, history: "rejected since JDK 9", instead: "nothing", example: "-Xincgc"},
	{name: "-Djava.ext.dirs=", gone: 9, history: "rejected since JDK 9", instead: "put the jars in OTTER_HOME/lib (the classpath)", example: "-Djava.ext.dirs={dir}"},
	{name: "-Djava.endorsed.dirs=", gone: 9, history: "rejected since JDK 9", instead: "put the jars in OTTER_HOME/lib (the classpath) or use --upgrade-module-path", example: "-Djava.endorsed.dirs={dir}"},
	{name: "-Xbootclasspath/p:", gone: 9, history: "rejected since JDK 9", instead: "--patch-module", example: "-Xbootclasspath/p:{dir}"},
	// startup.sh's debug mode: -Xdebug -Xnoagent -Djava.compiler=NONE -Xrunjdwp:...
	{name: "-Xdebug", gone: 9, history: "a no-op, deprecated in JDK 22", instead: "JAVA_DEBUG=true (a -agentlib:jdwp agent)", quietUntil: 22, example: "-Xdebug"},
	{name: "-Xnoagent", gone: 9, history: "a no-op, rejected by recent JDKs (25)", instead: "JAVA_DEBUG=true (a -agentlib:jdwp agent)", quietUntil: 22, example: "-Xnoagent"},
	{name: "-Djava.compiler=", gone: 21, history: "obsolete since JDK 21", instead: "-Xint if the interpreter is really wanted", example: "-Djava.compiler=NONE"},
	{name: "-Xrunjdwp:", gone: 9, act: jdwp, history: "the old agent syntax; its address=<port> listens on localhost only since JDK 9", quietUntil: quietOnEveryJDK, example: "-Xrunjdwp:transport=dt_socket,address=127.0.0.1:0,server=y,suspend=n"},
}

func indexRules(table []legacyRule) (map[string]legacyRule, []legacyRule) {
	xx := make(map[string]legacyRule, len(table))
	var other []legacyRule
	for _, r := range table {
		if strings.HasPrefix(r.name, "-") {
			other = append(other, r)
		} else {
			xx[r.name] = r
		}
	}
	return xx, other
}

// xxOption is a parsed -XX option: -XX:+Name, -XX:-Name or -XX:Name=value.
type xxOption struct {
	sign  byte // '+', '-' or 0
	name  string
	value string
	eq    bool
}

func parseXX(arg string) (xxOption, bool) {
	s, ok := strings.CutPrefix(arg, "-XX:")
	if !ok || s == "" {
		return xxOption{}, false
	}
	var o xxOption
	if s[0] == '+' || s[0] == '-' {
		o.sign, s = s[0], s[1:]
	}
	o.name, o.value, o.eq = strings.Cut(s, "=")
	return o, o.name != ""
}

func (o xxOption) String() string {
	s := "-XX:"
	if o.sign != 0 {
		s += string(o.sign)
	}
	s += o.name
	if o.eq {
		s += "=" + o.value
	}
	return s
}

// lookupRule finds the legacy rule for a user argument, if any.
func lookupRule(arg string) (legacyRule, xxOption, bool) {
	if o, ok := parseXX(arg); ok {
		if r, ok := legacyXX[o.name]; ok {
			return r, o, true
		}
		// Every other CMS flag went with CMS in JDK 14.
		if strings.HasPrefix(o.name, "CMS") || strings.HasPrefix(o.name, "UseCMS") {
			return legacyRule{name: o.name, gone: 14, history: "CMS was removed: ignored or rejected since JDK 14", instead: "nothing"}, o, true
		}
		return legacyRule{}, o, false
	}
	for _, r := range legacyOther {
		if arg == r.name || (strings.HasSuffix(r.name, ":") || strings.HasSuffix(r.name, "=")) && strings.HasPrefix(arg, r.name) {
			return r, xxOption{}, true
		}
	}
	return legacyRule{}, xxOption{}, false
}

// collectors maps -XX:+Use...GC names to the collector they select.
var collectors = map[string]string{
	"UseSerialGC":        "Serial",
	"UseParallelGC":      "Parallel",
	"UseParallelOldGC":   "Parallel",
	"UseConcMarkSweepGC": "CMS",
	"UseParNewGC":        "CMS",
	"UseG1GC":            "G1",
	"UseZGC":             "Z",
	"UseShenandoahGC":    "Shenandoah",
	"UseEpsilonGC":       "Epsilon",
}

// gcLogFlags gathers the GC-log family to fold into one -Xlog option.
type gcLogFlags struct {
	details, basic, verbose bool
	file                    string
	date, uptime            bool
	rotate                  bool
	count, size             string
	extra                   []string
}

// The folds of the GC-log family's rows: a flag's sign turns its setting
// on or off.
func (g *gcLogFlags) setBasic(o xxOption, _ string)   { g.basic = o.sign != '-' }
func (g *gcLogFlags) setDetails(o xxOption, _ string) { g.details = o.sign != '-' }
func (g *gcLogFlags) setDate(o xxOption, _ string)    { g.date = o.sign != '-' }
func (g *gcLogFlags) setUptime(o xxOption, _ string)  { g.uptime = o.sign != '-' }
func (g *gcLogFlags) setRotate(o xxOption, _ string)  { g.rotate = o.sign != '-' }
func (g *gcLogFlags) setCount(o xxOption, _ string)   { g.count = o.value }
func (g *gcLogFlags) setSize(o xxOption, _ string)    { g.size = o.value }
func (g *gcLogFlags) setFile(_ xxOption, arg string)  { g.file = strings.TrimPrefix(arg, "-Xloggc:") }
func (g *gcLogFlags) setVerbose(xxOption, string)     { g.verbose = true }

// tag is the fold of a flag that adds a tag set to the -Xlog option when on.
func tag(tags string) func(*gcLogFlags, xxOption, string) {
	return func(g *gcLogFlags, o xxOption, _ string) {
		if o.sign != '-' && !slices.Contains(g.extra, tags) {
			g.extra = append(g.extra, tags)
		}
	}
}

// verboseGC is the rule for -verbose:gc, which is fine on every JDK but
// joins the GC-log family when any of it is folded (one -Xlog for all).
var verboseGC = legacyRule{name: "-verbose:gc", gone: 9, act: gcLog, fold: (*gcLogFlags).setVerbose, history: foldedIntoXlog}

// xlog returns the -Xlog option equivalent to the gathered JDK 8 flags, or ""
// when they log nothing.
func (g *gcLogFlags) xlog() string {
	var tags []string
	switch {
	case g.details:
		tags = append(tags, "gc*")
	case g.basic || g.verbose || g.file != "":
		tags = append(tags, "gc")
	}
	tags = append(tags, g.extra...)
	if len(tags) == 0 {
		return ""
	}
	var deco []string
	if g.date {
		deco = append(deco, "time")
	}
	if g.uptime || !g.date {
		deco = append(deco, "uptime")
	}
	deco = append(deco, "level", "tags")
	s := "-Xlog:" + strings.Join(tags, ",")
	if g.file == "" {
		return s + ":stdout:" + strings.Join(deco, ",")
	}
	opts := "filecount=0" // JDK 8 kept one growing file unless rotation was on
	if g.rotate {
		count := g.count
		if n, err := strconv.Atoi(count); err != nil || n < 1 {
			count = "5"
		}
		opts = "filecount=" + count + ",filesize=" + xlogSize(g.size)
	}
	return s + ":file=" + xlogFile(g.file) + ":" + strings.Join(deco, ",") + ":" + opts
}

// xlogSize turns a JDK 8 GCLogFileSize ("10m", "8192", "1G") into -Xlog's form.
func xlogSize(v string) string {
	if v == "" {
		return "20M"
	}
	if n := len(v); n > 0 && strings.ContainsRune("kmgtKMGT", rune(v[n-1])) {
		return v[:n-1] + strings.ToUpper(v[n-1:])
	}
	return v
}

// xlogFile quotes a file name for -Xlog when it holds the option's separators.
func xlogFile(p string) string {
	if strings.ContainsAny(p, ":,") {
		return `"` + p + `"`
	}
	return p
}

// translated is the result of running the user's arguments through the table.
type translated struct {
	args     []string
	warnings []Warning
	dirs     []string // directories the arguments write into (GC logs)
	hasJDWP  bool
}

// translate drops or rewrites every argument the JDK of the given major
// rejects or ignores, folds the GC-log family into one -Xlog (where the
// family's first argument was), keeps the last collector the user
// selected, and warns once per changed argument.
func translate(args []string, major int) translated {
	var t translated
	withVerbose := foldsGCLog(args, major)
	out := make([]string, 0, len(args))
	var (
		g      gcLogFlags
		gcAt   = -1 // where the -Xlog goes in out
		folded []Warning
	)
	for _, a := range args {
		r, o, ok := ruleFor(a, major, withVerbose)
		if !ok {
			out = append(out, a)
			continue
		}
		why := fmt.Sprintf("JAVA_OPTIONS: %s is obsolete on JDK %d (%s); ", a, major, r.history)
		if r.act == gcLog {
			if r.fold != nil {
				r.fold(&g, o, a)
			}
			folded = append(folded, Warning{Flag: a, Message: why})
			if gcAt < 0 {
				gcAt = len(out)
			}
			continue
		}
		w := translateOne(r, o, a, why)
		if w.Replacement != "" {
			out = append(out, w.Replacement)
		}
		t.warnings = append(t.warnings, w)
	}
	if gcAt >= 0 {
		x := g.xlog()
		t.warnings = append(t.warnings, foldGCLog(folded, x)...)
		if x != "" {
			out = slices.Insert(out, gcAt, x)
			if g.file != "" {
				t.dirs = append(t.dirs, dirOf(g.file))
			}
		}
	}
	out, dropped := keepLastCollector(out)
	t.warnings = append(t.warnings, dropped...)
	t.dirs = append(t.dirs, writableDirs(out, major)...)
	t.hasJDWP = slices.ContainsFunc(out, func(a string) bool {
		return strings.HasPrefix(a, "-agentlib:jdwp") || strings.HasPrefix(a, "-Xrunjdwp")
	})
	t.args = out
	return t
}

// ruleFor finds the rule that changes arg on JDK major, if any; with
// withVerbose, -verbose:gc joins the GC-log family.
func ruleFor(arg string, major int, withVerbose bool) (legacyRule, xxOption, bool) {
	r, o, ok := lookupRule(arg)
	if arg == "-verbose:gc" && withVerbose {
		r, ok = verboseGC, true
	}
	if !ok || major < r.gone {
		return legacyRule{}, o, false
	}
	return r, o, true
}

// foldsGCLog reports whether args hold a GC-log flag that JDK major needs
// folded into -Xlog.
func foldsGCLog(args []string, major int) bool {
	return slices.ContainsFunc(args, func(a string) bool {
		r, _, ok := ruleFor(a, major, false)
		return ok && r.act == gcLog
	})
}

// translateOne applies a rule other than gcLog to arg: the warning's
// Replacement is what replaces arg ("" = dropped). why starts the message.
func translateOne(r legacyRule, o xxOption, arg, why string) Warning {
	replaced := func(n string) Warning { return Warning{Flag: arg, Replacement: n, Message: why + "replaced by " + n} }
	dropped := func(how string) Warning { return Warning{Flag: arg, Message: why + how} }
	switch r.act {
	case rename:
		// "Don't use the old collector" says nothing about the new one:
		// turning a collector off is dropped, not renamed.
		if o.sign == '-' && collectors[r.to] != "" {
			return dropped("dropped")
		}
		n := o
		n.name = r.to
		return replaced(n.String())
	case fraction:
		d, err := strconv.ParseFloat(o.value, 64)
		if err != nil || d <= 0 {
			return dropped("dropped (its value is not a positive number); use -XX:" + r.to + " instead")
		}
		return replaced("-XX:" + r.to + "=" + strconv.FormatFloat(100/d, 'f', -1, 64))
	case replace:
		if o.sign == '-' {
			return dropped("dropped")
		}
		return replaced(r.to)
	case jdwp:
		return replaced(jdwpAgent(strings.TrimPrefix(arg, "-Xrunjdwp:")))
	}
	return dropped("dropped (replacement: " + r.instead + ")")
}

// foldGCLog completes the warnings of the folded GC-log arguments (each
// holding the start of its message) now that their -Xlog x is known; ""
// means they log nothing and are dropped.
func foldGCLog(folded []Warning, x string) []Warning {
	for i := range folded {
		if x == "" {
			folded[i].Message += "dropped (the GC-log flags given log nothing)"
		} else {
			folded[i].Replacement = x
			folded[i].Message += "replaced by " + x
		}
	}
	return folded
}

// writableDirs lists the directories that args write files into and the
// JVM does not create (it finds out only when it writes, e.g. at the
// crash): -Xloggc's below JDK 9, -XX:HeapDumpPath's and -XX:ErrorFile's.
func writableDirs(args []string, major int) []string {
	var dirs []string
	for _, a := range args {
		if p, ok := strings.CutPrefix(a, "-Xloggc:"); ok && major < 9 {
			dirs = append(dirs, dirOf(p))
		}
		if p, ok := strings.CutPrefix(a, "-XX:HeapDumpPath="); ok && p != "" {
			if strings.HasSuffix(p, ".hprof") {
				p = dirOf(p)
			}
			dirs = append(dirs, p)
		}
		if p, ok := strings.CutPrefix(a, "-XX:ErrorFile="); ok && p != "" {
			dirs = append(dirs, dirOf(p))
		}
	}
	return dirs
}

// keepLastCollector drops every collector selection but those of the
// collector the user selected last: two collectors stop the JVM.
func keepLastCollector(args []string) ([]string, []Warning) {
	last := ""
	for _, a := range args {
		if o, ok := parseXX(a); ok && o.sign == '+' && collectors[o.name] != "" {
			last = collectors[o.name]
		}
	}
	if last == "" {
		return args, nil
	}
	var out []string
	var warnings []Warning
	for _, a := range args {
		if o, ok := parseXX(a); ok && o.sign == '+' && collectors[o.name] != "" && collectors[o.name] != last {
			warnings = append(warnings, Warning{Flag: a, Message: fmt.Sprintf(
				"JAVA_OPTIONS: %s selects a second garbage collector, which stops the JVM; dropped, keeping the last one selected (%s)", a, last)})
			continue
		}
		out = append(out, a)
	}
	return out, warnings
}

// jdwpAgent rewrites -Xrunjdwp options as -agentlib:jdwp, listening on all
// interfaces when the address is a bare port (JDK 9+ reads a bare port as
// localhost only, so a debugger outside the container could not connect).
func jdwpAgent(opts string) string {
	parts := strings.Split(opts, ",")
	for i, p := range parts {
		if v, ok := strings.CutPrefix(p, "address="); ok && v != "" && !strings.Contains(v, ":") {
			parts[i] = "address=*:" + v
		}
	}
	return "-agentlib:jdwp=" + strings.Join(parts, ",")
}

// dirOf is the directory part of a file name, as written. Unlike
// filepath.Dir it does not clean the result: the kernel resolves
// /a/b/../gc.log only when /a/b exists, so MakeDirs must create /a/b/..
// (and with it /a/b), not the lexically cleaned /a.
func dirOf(p string) string {
	i := strings.LastIndexByte(p, '/')
	switch {
	case i < 0:
		return "."
	case i == 0:
		return "/"
	}
	return p[:i]
}
