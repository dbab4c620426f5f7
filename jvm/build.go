package jvm

import (
	"fmt"
	"os"
	"otter-entrypoint/internal/exit"
	"otter-entrypoint/internal/otter"
	"otter-entrypoint/internal/secret"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Options are the inputs of the java command line.
type Options struct {
	Role         otter.Role
	OtterHome    string // the release: bin/ conf/ lib/ (webapp/)
	RenderDir    string // holds the rendered otter.properties; first on the classpath
	RenderedFile string // <RenderDir>/otter.properties; the manager's -Dotter.conf
	// Jars are lib/'s files in startup.sh's order (LibJars). nil means the
	// classpath wildcard $OTTER_HOME/lib/* (the JVM lists the directory).
	Jars          []string
	Nid           int    // node only (Nid)
	AdvertiseHost string // node only: -Djava.rmi.server.hostname ("" = not set)
	// Settings are the user's: JAVA_OPTIONS (unsplit), the heap's share of
	// the container's memory (0 leaves the flag out) and JAVA_DEBUG.
	Settings
	// MemoryLimit is the container's memory limit in bytes
	// (ContainerMemoryLimit; 0 = none). It sizes -Xmx on a JDK 8 older than
	// 8u191 and is checked against the user's -Xmx.
	MemoryLimit int64
}

// Command is the java process to start.
type Command struct {
	Path string   // the java binary
	Args []string // without argv[0]
	Dir  string   // $OTTER_HOME/bin: Otter's log paths and otter.nodeHome are relative to it
	Dirs []string // directories the command line writes into; MakeDirs creates them
}

// MakeDirs creates every directory in c.Dirs (relative ones under c.Dir)
// and checks that each can be written to: a JVM that cannot open its GC
// log refuses to start, and one that cannot write its heap dump loses it,
// so a read-only logs/ is reported before java starts, naming the
// directory.
func (c Command) MakeDirs() error {
	for _, d := range c.Dirs {
		if !filepath.IsAbs(d) {
			d = filepath.Join(c.Dir, d)
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("create %s for the java command line: %w", d, err)
		}
		// access(2) answers for the real user, who is java's too; for root
		// it still reports a read-only file system (EROFS).
		if err := syscall.Access(d, 2|1); err != nil { // W_OK|X_OK: create files in it
			return fmt.Errorf("%s, where java writes (its GC log, heap dumps, Otter's logs), is not writable: %w", d, err)
		}
	}
	return nil
}

// gcLogFiles and gcLogSize bound the entrypoint's GC log: 10 files of 10 MiB.
const (
	gcLogFiles = 10
	gcLogSize  = "10M"
)

// Build returns the java command line startup.sh built, fitted to the JDK
// and the container: the entrypoint's defaults first and the user's
// JAVA_OPTIONS after them (so the user's win), legacy flags translated, one
// Warning per change. Build is pure; its error is an *exit.Error with code 78
// listing every problem.
func Build(jdk JDK, o Options) (Command, []Warning, error) {
	user, err := o.check(jdk)
	if err != nil {
		return Command{}, nil, err
	}
	home := o.OtterHome
	logs := filepath.Join(home, "logs")

	args, warnings := heapArgs(jdk, o)
	args = append(args, oomArgs(jdk, logs)...)
	args = append(args, gcLogArgs(jdk.Major, filepath.Join(logs, "gc", "gc.log"))...)

	t := translate(user, jdk.Major)
	args = append(args, collectorArgs(jdk.Major, t.args)...)
	args = append(args, systemProps(o)...)
	warnings = append(warnings, t.warnings...)
	if o.Debug {
		if t.hasJDWP {
			warnings = append(warnings, Warning{Message: "JAVA_DEBUG=true: JAVA_OPTIONS already loads the jdwp agent, which cannot be loaded twice; JAVA_DEBUG_PORT is not used"})
		} else {
			args = append(args, debugAgent(jdk.Major, o.DebugPort))
		}
	}
	args = append(args, t.args...)
	if w, ok := heapAboveLimit(t.args, o); ok {
		warnings = append(warnings, w)
	}

	args = append(args, "-classpath", classpath(o), o.Role.MainClass())
	dirs := append(o.Role.Dirs(home), t.dirs...)
	return Command{Path: jdk.Java, Args: args, Dir: filepath.Join(home, "bin"), Dirs: dirs}, warnings, nil
}

// check lists every problem of o at once, and returns the user's
// JAVA_OPTIONS split into arguments.
func (o Options) check(jdk JDK) ([]string, error) {
	var problems []string
	switch o.Role {
	case otter.Manager:
		if o.RenderedFile == "" {
			problems = append(problems, "the manager needs the rendered otter.properties (-Dotter.conf); none was given")
		}
	case otter.Node:
		if o.Nid < 1 {
			problems = append(problems, fmt.Sprintf("nid %d: the node needs a positive id; set OTTER_NID or run it as a StatefulSet pod", o.Nid))
		}
	default:
		problems = append(problems, fmt.Sprintf("role %q: want manager or node", o.Role))
	}
	if jdk.Java == "" || jdk.Major < 1 {
		problems = append(problems, fmt.Sprintf("no JDK (java %q, major version %d): call Detect first", jdk.Java, jdk.Major))
	}
	if o.OtterHome == "" {
		problems = append(problems, "OTTER_HOME is empty: set it to the directory holding Otter's bin/ conf/ lib/")
	}
	// The port matters only with JAVA_DEBUG.
	problems = append(problems, o.numberProblems(o.Debug)...)
	user, err := SplitOptions(o.JavaOptions)
	if err != nil {
		problems = append(problems, "JAVA_OPTIONS (environment): "+err.Error()+"; quote as in a POSIX shell, nothing is expanded")
	}
	if len(problems) > 0 {
		return nil, exit.ConfigError(problems...)
	}
	return user, nil
}

// heapArgs sizes the heap from JAVA_MAX_MEM_RATIO and
// JAVA_INITIAL_MEM_RATIO: as percentages on a JDK that sees the
// container's limit itself, else from MemoryLimit; with neither it warns
// that the JDK sizes the heap from the host's memory.
func heapArgs(jdk JDK, o Options) ([]string, []Warning) {
	var args []string
	switch {
	case containerAware(jdk):
		if o.MaxMemRatio > 0 {
			args = append(args, "-XX:MaxRAMPercentage="+formatRatio(o.MaxMemRatio))
		}
		if o.InitialMemRatio > 0 {
			args = append(args, "-XX:InitialRAMPercentage="+formatRatio(o.InitialMemRatio))
		}
	case o.MemoryLimit > 0:
		if o.MaxMemRatio > 0 {
			args = append(args, "-Xmx"+strconv.FormatInt(percentMiB(o.MemoryLimit, o.MaxMemRatio), 10)+"m")
		}
		if o.InitialMemRatio > 0 {
			args = append(args, "-Xms"+strconv.FormatInt(percentMiB(o.MemoryLimit, o.InitialMemRatio), 10)+"m")
		}
	default:
		return nil, []Warning{{Message: fmt.Sprintf(
			"JDK %s cannot see container limits (that came in 8u191) and no container memory limit was found; the heap is sized from the host's memory. Use a newer JDK 8 or set -Xmx in JAVA_OPTIONS", jdk.Version)}}
	}
	return args, nil
}

// oomArgs make the JVM exit on OutOfMemoryError (8u92+), so that the
// container restarts, and dump the heap into logs first.
func oomArgs(jdk JDK, logs string) []string {
	var args []string
	if jdk.Major >= 9 || jdk.Update() >= 92 {
		args = append(args, "-XX:+ExitOnOutOfMemoryError")
	}
	return append(args, "-XX:+HeapDumpOnOutOfMemoryError", "-XX:HeapDumpPath="+logs)
}

// gcLogArgs log the GC to file, rotated over gcLogFiles files of gcLogSize:
// with -Xlog on JDK 9+, with JDK 8's flags before.
func gcLogArgs(major int, file string) []string {
	if major >= 9 {
		return []string{"-Xlog:gc*:file=" + xlogFile(file) + ":time,uptime,level,tags:filecount=" + strconv.Itoa(gcLogFiles) + ",filesize=" + gcLogSize}
	}
	return []string{"-Xloggc:" + file, "-XX:+PrintGCDetails", "-XX:+PrintGCDateStamps",
		"-XX:+UseGCLogFileRotation", "-XX:NumberOfGCLogFiles=" + strconv.Itoa(gcLogFiles), "-XX:GCLogFileSize=" + gcLogSize}
}

// rmiGCInterval is the interval of RMI's distributed GC, which otherwise
// calls System.gc() every hour in every JVM that exports or holds a remote
// object (the node's JMX, the manager's JMX client): Long.MAX_VALUE-1 ms,
// the customary "never". Long.getLong reads the hexadecimal form.
const rmiGCInterval = "0x7FFFFFFFFFFFFFFE"

// collectorArgs choose the garbage collector, unless the user's (translated)
// JAVA_OPTIONS name one: the JVM's ergonomics would pick Serial in a
// container with under 2 CPUs or under ~1.8 GiB. G1 on JDK 9+; Parallel on
// JDK 8, whose G1 still falls back to a single-threaded full GC (parallel
// only since JDK 10) and which fabric8's and Red Hat's container scripts
// also give Parallel. Where the collector is G1, an explicit System.gc()
// (NIO's reclaiming of direct buffers, libraries) starts a concurrent
// cycle instead of a stop-the-world full GC; RMI's hourly System.gc() is
// turned off on every JDK. startup.sh's -XX:+DisableExplicitGC is not used:
// it also disables the System.gc() with which the JDK frees direct
// memory before failing with "OutOfMemoryError: Direct buffer memory".
func collectorArgs(major int, user []string) []string {
	named, last := userCollector(user)
	var args []string
	switch {
	case !named && major >= 9:
		args = append(args, "-XX:+UseG1GC", "-XX:+ExplicitGCInvokesConcurrent")
	case !named:
		args = append(args, "-XX:+UseParallelGC")
	case last == "G1":
		args = append(args, "-XX:+ExplicitGCInvokesConcurrent")
	}
	return append(args, "-Dsun.rmi.dgc.server.gcInterval="+rmiGCInterval, "-Dsun.rmi.dgc.client.gcInterval="+rmiGCInterval)
}

// userCollector reports whether args name a collector at all (selecting or
// deselecting one) and which one they select last ("" = none).
func userCollector(args []string) (named bool, last string) {
	for _, a := range args {
		o, ok := parseXX(a)
		if !ok || collectors[o.name] == "" || o.eq {
			continue
		}
		named = true
		if o.sign == '+' {
			last = collectors[o.name]
		}
	}
	return named, last
}

// systemProps are startup.sh's -D properties and the role's: the
// manager's rendered file, the node's id and advertised RMI host.
func systemProps(o Options) []string {
	var props []string
	if o.Role == otter.Node && o.AdvertiseHost != "" {
		props = append(props, "-Djava.rmi.server.hostname="+o.AdvertiseHost)
	}
	props = append(props,
		"-DappName=otter-"+string(o.Role),
		"-Ddubbo.application.logger=slf4j",
		"-Dlogback.configurationFile="+filepath.Join(o.OtterHome, "conf", "logback.xml"),
		"-Djava.awt.headless=true",
		"-Djava.net.preferIPv4Stack=true",
		"-Dfile.encoding=UTF-8",
	)
	if o.Role == otter.Manager {
		return append(props, "-Dotter.conf="+o.RenderedFile)
	}
	return append(props, "-Dnid="+strconv.Itoa(o.Nid))
}

// heapAboveLimit warns when the user's last -Xmx (or -XX:MaxHeapSize)
// asks for more than the container's memory limit.
func heapAboveLimit(user []string, o Options) (Warning, bool) {
	if o.MemoryLimit <= 0 {
		return Warning{}, false
	}
	flag, size, ok := lastMaxHeap(user)
	if !ok || size <= o.MemoryLimit {
		return Warning{}, false
	}
	return Warning{Flag: flag, Message: fmt.Sprintf(
		"JAVA_OPTIONS: %s asks for a heap of %s but the container's memory limit is %s; the kernel will kill the JVM (exit 137) when the heap grows. Remove it to size the heap as JAVA_MAX_MEM_RATIO=%v%% of the limit",
		flag, formatBytes(size), formatBytes(o.MemoryLimit), o.MaxMemRatio)}, true
}

// classpath is startup.sh's classpath behind the render directory (so
// that classpath:otter.properties finds the rendered file first).
func classpath(o Options) string {
	var cp []string
	if o.RenderDir != "" {
		cp = append(cp, o.RenderDir)
	}
	if o.Role == otter.Manager {
		cp = append(cp, o.OtterHome) // JettyEmbedServer finds webapp/ through the classpath
	}
	cp = append(cp, filepath.Join(o.OtterHome, "conf"))
	if o.Jars == nil {
		cp = append(cp, filepath.Join(o.OtterHome, "lib", "*"))
	} else {
		cp = append(cp, o.Jars...)
	}
	return strings.Join(cp, ":")
}

// debugAgent is JAVA_DEBUG's JDWP agent: on JDK 9+ a bare port listens on
// localhost only, so the address is *:<port>.
func debugAgent(major, port int) string {
	addr := strconv.Itoa(port)
	if major >= 9 {
		addr = "*:" + addr
	}
	return "-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=" + addr
}

func formatRatio(r float64) string {
	return strconv.FormatFloat(r, 'f', -1, 64)
}

func percentMiB(limit int64, ratio float64) int64 {
	return int64(float64(limit) * ratio / 100 / (1 << 20))
}

// containerAware reports whether the JDK sizes its heap from the
// container's limit by itself and knows *RAMPercentage (10+, 8u191+).
func containerAware(jdk JDK) bool {
	return jdk.Major >= 10 || jdk.Major == 8 && jdk.Update() >= 191
}

// lastMaxHeap finds the user's effective -Xmx / -XX:MaxHeapSize (the last one).
func lastMaxHeap(args []string) (flag string, size int64, ok bool) {
	for _, a := range args {
		v, found := strings.CutPrefix(a, "-Xmx")
		if !found {
			v, found = strings.CutPrefix(a, "-XX:MaxHeapSize=")
		}
		if !found {
			continue
		}
		if n, err := ParseSize(v); err == nil {
			flag, size, ok = a, n, true
		}
	}
	return flag, size, ok
}

// ParseSize parses a JVM memory size: digits with an optional k, m, g or t
// suffix (either case), in bytes.
func ParseSize(v string) (int64, error) {
	if v == "" {
		return 0, fmt.Errorf("empty size")
	}
	mult := int64(1)
	switch v[len(v)-1] {
	case 'k', 'K':
		mult = 1 << 10
	case 'm', 'M':
		mult = 1 << 20
	case 'g', 'G':
		mult = 1 << 30
	case 't', 'T':
		mult = 1 << 40
	}
	if mult > 1 {
		v = v[:len(v)-1]
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("size %q: want digits with an optional k, m, g or t", v)
	}
	if n > (1<<63-1)/mult {
		return 0, fmt.Errorf("size %q is too large", v)
	}
	return n * mult, nil
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// LibJars lists OTTER_HOME/lib as startup.sh did: every entry of lib/* in
// reverse name order (it prepended each to CLASSPATH). A missing lib/ is an
// *exit.Error with code 78 naming OTTER_HOME.
func LibJars(otterHome string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(otterHome, "lib"))
	if err != nil {
		return nil, &exit.Error{Code: exit.Config, Err: err, Problems: []string{fmt.Sprintf(
			"OTTER_HOME=%q: cannot list its lib/ (%v); point OTTER_HOME at an unpacked Otter release (bin/ conf/ lib/)", otterHome, err)}}
	}
	jars := make([]string, 0, len(entries))
	for i := len(entries) - 1; i >= 0; i-- {
		if strings.HasPrefix(entries[i].Name(), ".") {
			continue // the shell's * skips hidden files
		}
		jars = append(jars, filepath.Join(otterHome, "lib", entries[i].Name()))
	}
	return jars, nil
}

// Redacted returns the arguments with every -Dkey=value's value as
// secret.Shown has it (masked when the key names a secret, a URL's secrets
// redacted), for logs and --dry-run output.
func (c Command) Redacted() []string {
	out := make([]string, len(c.Args))
	for i, a := range c.Args {
		out[i] = a
		kv, ok := strings.CutPrefix(a, "-D")
		if !ok {
			continue
		}
		k, _, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		out[i] = "-D" + k + "=" + secret.Shown(kv[len(k)+1:], secret.IsKey(k))
	}
	return out
}

// String is the command as one shell-quoted line, secrets redacted.
func (c Command) String() string {
	parts := make([]string, 0, 1+len(c.Args))
	parts = append(parts, QuoteArg(c.Path))
	for _, a := range c.Redacted() {
		parts = append(parts, QuoteArg(a))
	}
	return strings.Join(parts, " ")
}
