package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.uber.org/zap"

	"otter-entrypoint/internal/exit"
	"otter-entrypoint/internal/otter"
	"otter-entrypoint/internal/otterzk"
	"otter-entrypoint/internal/safefile"
	"otter-entrypoint/internal/secret"
	"otter-entrypoint/jvm"
	"otter-entrypoint/otterstats"
	"otter-entrypoint/prestart"
	"otter-entrypoint/probes"
	"otter-entrypoint/propsfile"
	"otter-entrypoint/supervisor"
)

// cmdManager runs Otter's manager (the web console).
func cmdManager(a *app, args []string) int { return runOtter(a, otter.Manager, args) }

// cmdNode runs an Otter node (a sync worker).
func cmdNode(a *app, args []string) int { return runOtter(a, otter.Node, args) }

// runOtter is `manager` and `node`: read every setting, plan the launch
// (render otter.properties, build the java command line), then either print
// the plan (--dry-run) or write it, wait for the dependencies and supervise
// java.
//
// From the first moment a TERM, INT or HUP ends it within a second with
// 128+signal, whatever it is doing (reading files, running java -version,
// rendering): the preparation runs under Signals.Guard, and the
// supervisor's Run takes over the signals from there. --dry-run installs no
// handlers: the default dispositions end it at once.
func runOtter(a *app, role otter.Role, args []string) int {
	dryRun, code, ok := parseOtterFlags(a, role, args)
	if !ok {
		return code
	}
	if dryRun {
		_, p, log, err := prepare(context.Background(), a, role, false)
		if err != nil {
			return fail(a, role, err)
		}
		defer log.Sync() //nolint:errcheck // nothing to do about a failed flush of stderr
		return printDryRun(a, p)
	}
	var (
		s   otterSettings
		p   *launchPlan
		log *zap.Logger
	)
	stop, err := a.signals().Guard(true, func(ctx context.Context) error {
		var err error
		s, p, log, err = prepare(ctx, a, role, true)
		return err
	})
	if stop != 0 {
		// s, p and log belong to prepare, which may not have returned.
		return stoppedWhilePreparing(a, role, stop)
	}
	if err != nil {
		return fail(a, role, err)
	}
	defer log.Sync() //nolint:errcheck // nothing to do about a failed flush of stderr
	return launch(a, role, s, p, log)
}

// prepare reads the settings and plans the launch; with write, it also
// writes otter.properties and creates the directories java writes into.
// Cancelling ctx ends a java -version in progress.
func prepare(ctx context.Context, a *app, role otter.Role, write bool) (otterSettings, *launchPlan, *zap.Logger, error) {
	s, problems := loadOtterSettings(ctx, a, role)
	log, err := loggerFor(a, s.log, problems)
	if err != nil {
		return s, nil, nil, err
	}
	p, err := plan(a, role, s, log)
	if err == nil && write {
		err = writePlan(s, p)
	}
	return s, p, log, err
}

// stoppedWhilePreparing reports a stop that came before java was started
// and returns 128+signal: the same result as a stop during the wait for
// the dependencies, or at any later moment before java starts.
func stoppedWhilePreparing(a *app, role otter.Role, sig syscall.Signal) int {
	code := 128 + int(sig)
	var ls logSettings
	if problems := parseSettings(a, &ls); len(problems) == 0 {
		if log, err := newLogger(a.stderr, ls); err == nil {
			log.Info("stop requested before the child started", zap.String("signal", supervisor.SignalName(sig)))
			log.Info("exiting", zap.Int("code", code))
			_ = log.Sync()
			return code
		}
	}
	fmt.Fprintf(a.stderr, "otter-entrypoint %s: %s received before java started; exiting with %d\n", role, supervisor.SignalName(sig), code)
	return code
}

// parseOtterFlags parses `manager|node [--dry-run]`; ok is false when the
// command ends here with code.
func parseOtterFlags(a *app, role otter.Role, args []string) (dryRun bool, code int, ok bool) {
	fs := flag.NewFlagSet(string(role), flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	dry := fs.Bool("dry-run", false, "print where otter.properties is written and the java command line, one argument per line, and exit")
	fs.Usage = func() {
		fmt.Fprintf(a.stderr, "Usage: otter-entrypoint %s [--dry-run]\n", role)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return false, exit.OK, false
		}
		return false, exit.Usage, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(a.stderr, "otter-entrypoint %s: unexpected argument %q\n", role, fs.Arg(0))
		fs.Usage()
		return false, exit.Usage, false
	}
	return *dry, exit.OK, true
}

// launchSettings are the settings of the manager and node commands that no
// package reads for itself.
type launchSettings struct {
	WaitFor     string        `env:"ENTRYPOINT_WAIT_FOR"`
	WaitTimeout time.Duration `env:"ENTRYPOINT_WAIT_TIMEOUT" envDefault:"5m"`
}

func (s *launchSettings) validate() []string {
	if s.WaitTimeout <= 0 {
		return []string{fmt.Sprintf("ENTRYPOINT_WAIT_TIMEOUT=%q: must be a positive duration such as 5m", s.WaitTimeout)}
	}
	return nil
}

// otterSettings are every setting of the manager and node commands, read
// and checked together so that every invalid one is reported at once.
type otterSettings struct {
	log    logSettings
	sup    supervisorSettings
	launch launchSettings
	render renderSettings
	java   jvm.Settings
	probes probeSettings
	db     dbSettings // OTTER_DB_INIT (manager), OTTER_REGISTER (node)
	zk     zkSettings // node only
	stats  otterstats.Settings

	jdk           jvm.JDK
	jdkErr        error    // JAVA_HOME or PATH holds no usable java
	waitFor       []string // ENTRYPOINT_WAIT_FOR when set; nil: derived from otter.properties
	waitForSet    bool
	nid           int    // node only
	advertiseHost string // node only
}

// loadOtterSettings reads and checks every setting of role: the
// entrypoint's own, Java's (JAVA_HOME is resolved here, so a missing java is
// reported with the rest), the node's id and address, and the probes'.
// Only the defaults that depend on otter.properties are left for plan.
func loadOtterSettings(ctx context.Context, a *app, role otter.Role) (otterSettings, []string) {
	var s otterSettings
	problems := parseSettings(a, &s.log, &s.sup, &s.launch, &s.render, &s.java)
	problems = append(problems, s.render.resolve(role)...)
	home := s.render.OtterHome

	if spec := strings.TrimSpace(s.launch.WaitFor); spec != "" {
		t, err := prestart.ParseWaitFor(spec)
		if err != nil {
			problems = append(problems, err.Error())
		}
		s.waitFor, s.waitForSet = t, true
	}
	ps, more := readProbeSettings(a, home, role.MainLogRel())
	s.probes = ps
	problems = append(problems, more...)

	if role == otter.Node {
		host, _ := os.Hostname()
		var err error
		if s.nid, err = jvm.Nid(a.getenv, host, jvm.ReadConfNid(home)); err != nil {
			problems = append(problems, err.Error())
		}
		if s.advertiseHost, err = jvm.AdvertiseHost(a.getenv); err != nil {
			problems = append(problems, err.Error())
		}
		problems = append(problems, parseSettings(a, &s.zk)...)
	}
	problems = append(problems, loadDBSettings(a, role, &s)...)
	problems = append(problems, parseSettings(a, &s.stats)...)
	// java last: a missing java alone keeps its own exit code (127).
	s.jdk, s.jdkErr = jvm.Detect(ctx, a.getenv, nil)
	if s.jdkErr != nil && len(problems) > 0 {
		problems = append(problems, s.jdkErr.Error())
	}
	return s, problems
}

// launchPlan is what plan decided: the rendered file, the java command
// line, what to wait for and how java is judged ready.
type launchPlan struct {
	rendered     *propsfile.Result
	renderedPath string
	cmd          jvm.Command
	waitFor      []string
	waitChecks   []prestart.Check // waited for with waitFor (the manager's MySQL)
	before       []prestart.Step  // after the wait: preparing the database, registering the node
	probes       probeSettings
	rejoin       *otterzk.Rejoin // node with known ZooKeeper servers: the stale-registration check
	stats        *statsRun       // manager: Otter's statistics on /metrics
	// clusterServers is the connect string of the node's cluster as the
	// registration step read it from AUTOKEEPER_CLUSTER (set while the
	// steps run; "" when the node does not register).
	clusterServers string
	memoryLimit    int64 // the container's memory limit in bytes, 0 = none found
}

// plan renders otter.properties and builds the java command line; it
// writes nothing.
func plan(a *app, role otter.Role, s otterSettings, log *zap.Logger) (*launchPlan, error) {
	if s.jdkErr != nil {
		return nil, s.jdkErr
	}
	log.Debug("java found", zap.String("java", s.jdk.Java), zap.String("version", s.jdk.Version), zap.Int("major", s.jdk.Major))
	home := s.render.OtterHome
	rendered, err := propsfile.Render(s.render.propsOptions(a, role), log)
	if err != nil {
		return nil, err
	}
	p := &launchPlan{rendered: rendered, renderedPath: filepath.Join(s.render.RenderDir, "otter.properties"), probes: s.probes,
		rejoin: newRejoin(role, s, log)}

	opts := jvm.Options{Role: role, OtterHome: home, RenderDir: s.render.RenderDir, RenderedFile: p.renderedPath,
		Nid: s.nid, AdvertiseHost: s.advertiseHost, Settings: s.java}
	if jars, err := jvm.LibJars(home); err == nil {
		opts.Jars = jars
	} else {
		log.Warn("cannot list the release's jars; using the lib/* wildcard", zap.Error(err))
	}
	if limit, err := jvm.ContainerMemoryLimit("/proc", "/"); err == nil {
		opts.MemoryLimit, p.memoryLimit = limit, limit
	} else {
		log.Debug("no container memory limit found", zap.Error(err))
	}
	cmd, warnings, err := jvm.Build(s.jdk, opts)
	if err != nil {
		return nil, err
	}
	for _, w := range warnings {
		log.Warn(w.String())
	}
	p.cmd = cmd

	var problems []string
	p.waitFor = s.waitFor
	if !s.waitForSet {
		p.waitFor, problems = derivedWaitTargets(role, rendered)
	}
	problems = append(problems, planDatabase(role, s, rendered, p, log)...)
	problems = append(problems, portClashes(role, s, rendered)...)
	problems = append(problems, planStats(role, s, rendered, p, log, a.now)...)
	if p.probes.readyCheck == nil {
		spec := role.DefaultReadyCheck(home, valueOr(rendered, otter.KeyPort, ""))
		check, err := probes.ParseCheck(spec, home)
		if err != nil {
			problems = append(problems, fmt.Sprintf("the default readiness check %q from otter.properties: %v; set ENTRYPOINT_READY_CHECK", spec, err))
		}
		p.probes.readyCheck = withZNodeCheck(check, p.rejoin)
	}
	if len(problems) > 0 {
		return nil, exit.ConfigError(problems...)
	}
	return p, nil
}

// otterPort is a port Otter's JVM will listen on and the setting that says so.
type otterPort struct {
	name string // the setting to change
	desc string // the setting, its value and where it came from
	port int
}

// otterPorts lists the ports role's JVM will open, as far as the
// entrypoint knows them: the manager's otter.port and
// otter.communication.manager.port (their defaults when unset); the
// node's from OTTER_NODE_PORT, _DOWNLOAD_PORT and _MBEAN_PORT when
// OTTER_REGISTER=on (otherwise they live only in the manager's database);
// JAVA_DEBUG_PORT with JAVA_DEBUG=true.
func otterPorts(role otter.Role, s otterSettings, r *propsfile.Result) []otterPort {
	var ports []otterPort
	fromFile := func(key, def string) {
		v, src := def, "its default"
		if got, ok := r.Resolved(key); ok && strings.TrimSpace(got) != "" {
			v, src = strings.TrimSpace(got), "from "+keySource(r, key)
		}
		if n, err := strconv.Atoi(v); err == nil {
			ports = append(ports, otterPort{key, fmt.Sprintf("%s=%s (%s)", key, v, src), n})
		}
	}
	switch {
	case role == otter.Manager:
		fromFile(otter.KeyPort, otter.DefaultManagerPort)
		fromFile(otter.KeyManagerCommPort, otter.DefaultManagerCommPort)
	case s.db.register.On():
		n := s.db.node
		ports = append(ports,
			otterPort{"OTTER_NODE_PORT", fmt.Sprintf("OTTER_NODE_PORT (the node's port %d)", n.Port), n.Port},
			otterPort{"OTTER_NODE_DOWNLOAD_PORT", fmt.Sprintf("OTTER_NODE_DOWNLOAD_PORT (the node's download port %d)", n.DownloadPort), n.DownloadPort},
			otterPort{"OTTER_NODE_MBEAN_PORT", fmt.Sprintf("OTTER_NODE_MBEAN_PORT (the node's JMX port %d)", n.MbeanPort), n.MbeanPort})
	}
	if s.java.Debug {
		ports = append(ports, otterPort{"JAVA_DEBUG_PORT", fmt.Sprintf("JAVA_DEBUG_PORT=%d (JAVA_DEBUG=true)", s.java.DebugPort), s.java.DebugPort})
	}
	return ports
}

// portClashes reports ENTRYPOINT_LISTEN naming a port Otter's JVM will
// open: one of the two would fail to listen, whichever comes second.
func portClashes(role otter.Role, s otterSettings, r *propsfile.Result) []string {
	listen := s.probes.listen
	if probes.ListenDisabled(listen) {
		return nil
	}
	_, ps, err := net.SplitHostPort(strings.TrimSpace(listen))
	if err != nil {
		return nil // CheckListen reported it
	}
	port, err := strconv.Atoi(ps)
	if err != nil || port == 0 {
		return nil // a name or 0 (any free port) cannot clash
	}
	var problems []string
	for _, o := range otterPorts(role, s, r) {
		if o.port == port {
			problems = append(problems, fmt.Sprintf("ENTRYPOINT_LISTEN=%q and %s name the same port %d: the probes server and Otter cannot both listen on it; move the probes to another port (default %s) or change %s",
				listen, o.desc, port, probes.DefaultListen, o.name))
		}
	}
	return problems
}

// derivedWaitTargets lists what otter.properties names as the role's
// dependencies (the manager's MySQL and ZooKeeper, the node's manager).
func derivedWaitTargets(role otter.Role, r *propsfile.Result) ([]string, []string) {
	var targets, problems []string
	for _, d := range role.Dependencies() {
		v, ok := r.Resolved(d.Key) // ${otter.domainName}:${...port} as Otter will read it
		if !ok || strings.TrimSpace(v) == "" {
			continue
		}
		t, err := d.Targets(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("cannot derive ENTRYPOINT_WAIT_FOR from %s: %v; set ENTRYPOINT_WAIT_FOR (or none)", d.Key, err))
			continue
		}
		targets = append(targets, t...)
	}
	return targets, problems
}

// printDryRun prints where otter.properties would be written and the java
// command line (secrets masked), one argument per line. It writes no file.
func printDryRun(a *app, p *launchPlan) int {
	var b strings.Builder
	b.WriteString(p.renderedPath + "\n")
	b.WriteString(p.cmd.Path + "\n")
	for _, arg := range p.cmd.Redacted() {
		b.WriteString(arg + "\n")
	}
	if _, err := io.WriteString(a.stdout, b.String()); err != nil {
		fmt.Fprintf(a.stderr, "otter-entrypoint: write to stdout: %v\n", err)
		return exit.Failure
	}
	return exit.OK
}

// writePlan writes otter.properties and creates the directories java
// writes into, checking that java can write there.
func writePlan(s otterSettings, p *launchPlan) error {
	path, err := p.rendered.WriteFile(s.render.RenderDir)
	if err != nil {
		return exit.ConfigError(fmt.Sprintf(
			"ENTRYPOINT_RENDER_DIR=%q: %v; point it at a writable directory (an emptyDir or /tmp)", s.render.RenderDir, err))
	}
	p.renderedPath = path
	if err := p.cmd.MakeDirs(); err != nil {
		return exit.ConfigError(fmt.Sprintf(
			"OTTER_HOME=%q: %v; the release directory must be writable where Otter writes (logs/, htdocs/, download/)", s.render.OtterHome, err))
	}
	return nil
}

// launch waits for the dependencies (TERM ends the wait) and supervises
// java until it ends; writePlan has written what it needs.
func launch(a *app, role otter.Role, s otterSettings, p *launchPlan, log *zap.Logger) int {
	home := s.render.OtterHome
	log.Info("starting Otter", zap.String("java", p.cmd.Path), zap.Int("jdk", s.jdk.Major),
		zap.String("otter_home", home), zap.String("config", p.renderedPath), zap.Strings("wait_for", redactedAll(p.waitFor)))

	cfg := supervisorConfig(a, s.sup, p.cmd.Path, p.cmd.Args)
	cfg.Dir = p.cmd.Dir
	cfg.HangupStops = true // the JVM's answer to HUP is to shut down
	// The terminal, if any, stays the entrypoint's: Ctrl-C is then a stop
	// request like TERM (readiness first, the stop timeout applies) and
	// the exit code says the terminal asked (130).
	cfg.Foreground = false
	if p.rejoin != nil {
		defer p.rejoin.Close()
	}
	if steps := prestartSteps(a, role, s, p, log); len(steps) > 0 {
		cfg.BeforeStart = func(ctx context.Context) error { return prestart.Run(ctx, steps, log) }
	}
	defer func() {
		if p.stats != nil && p.stats.stop != nil {
			p.stats.stop()
		}
	}()
	mainLog := role.MainLog(home)
	mark := markLog(mainLog) // what java writes from here on is this start's
	oom := countOOMKills()
	res, code := superviseWithProbes(a, log, cfg, p.probes)
	if res.Started && !res.StopRequested {
		code = unaskedExit(log, res, code, mainLog, mark, oom.since(countOOMKills()), p.memoryLimit)
	}
	log.Info("exiting", zap.Int("code", code))
	return code
}

// unaskedExit logs why java ended although nothing asked the entrypoint to
// stop it, and returns the exit code: 128+N when a signal ended it (one
// sent to java directly, not through the entrypoint: the kernel's OOM
// killer, kill -9 of java, a terminal's Ctrl-C to java's process group),
// and 70 when java exited on its own, quoting the lines it wrote to its
// main log since it started. code is the supervisor's (SuccessCodes
// applied); oom says whether the container's OOM kill count grew while
// java ran; limit is the container's memory limit (0: none found).
func unaskedExit(log *zap.Logger, res supervisor.Result, code int, mainLog string, since logMark, oom oomVerdict, limit int64) int {
	st := res.Status
	switch {
	case st.Signal == syscall.SIGKILL && oom == oomKilled:
		fields := []zap.Field{zap.String("signal", supervisor.SignalName(st.Signal)), zap.String("status", st.String()), zap.Int("code", code)}
		if limit > 0 {
			fields = append(fields, zap.Int64("memory_limit_bytes", limit))
		}
		log.Error("the kernel's OOM killer killed java (it ended with KILL, and the container's OOM kill count grew while it ran): "+
			"the container ran out of memory. Raise its memory limit, or give the heap "+
			"a smaller share of it (JAVA_MAX_MEM_RATIO, or -Xmx in JAVA_OPTIONS): threads, metaspace, code cache and direct buffers "+
			"come on top of the heap", fields...)
		return code
	case st.Signal == syscall.SIGKILL && oom == oomNotKilled:
		log.Error("java was killed by a signal the entrypoint did not send, and not by the kernel's OOM killer (the container's OOM kill count did not change): someone ran kill -9",
			zap.String("signal", supervisor.SignalName(st.Signal)), zap.String("status", st.String()), zap.Int("code", code))
		return code
	case st.Signal != 0:
		log.Error("java was killed by a signal the entrypoint did not send (the kernel's OOM killer and kill -9 send KILL)",
			zap.String("signal", supervisor.SignalName(st.Signal)), zap.String("status", st.String()), zap.Int("code", code))
		return code
	}
	if sig := jvmShutdownSignal(st.Code); sig != 0 {
		log.Warn("java shut down on a signal sent to it directly, not through the entrypoint (a JVM exits with 128+N after the shutdown N asks for)",
			zap.String("signal", supervisor.SignalName(sig)), zap.String("status", st.String()), zap.Int("code", code))
		return code
	}
	// Otter's servers never exit on their own when healthy, and the
	// manager calls System.exit(0) when it fails to start.
	lines := lastLines(mainLog, since, 20)
	if len(lines) == 0 {
		log.Error("Otter exited although nothing asked it to stop; java wrote nothing to its log since it started",
			zap.String("status", st.String()), zap.String("log", mainLog))
	} else {
		log.Error("Otter exited although nothing asked it to stop",
			zap.String("status", st.String()), zap.String("log", mainLog), zap.Strings("last_log_lines", lines))
	}
	return exit.Software
}

// jvmShutdownSignal is the signal behind a JVM's exit code: a JVM that
// gets HUP, INT or TERM runs its shutdown hooks and exits with 128+N. 0
// for any other code.
func jvmShutdownSignal(code int) syscall.Signal {
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM} {
		if code == 128+int(sig) {
			return sig
		}
	}
	return 0
}

// prestartSteps are what runs before java, in order: waiting for the
// dependencies first, the background statistics last.
func prestartSteps(a *app, role otter.Role, s otterSettings, p *launchPlan, log *zap.Logger) []prestart.Step {
	var steps []prestart.Step
	if len(p.waitFor) > 0 || len(p.waitChecks) > 0 {
		steps = append(steps, prestart.Step{Name: "wait for dependencies", Run: func(ctx context.Context) error {
			return prestart.WaitForChecks(ctx, p.waitFor, p.waitChecks, s.launch.WaitTimeout, log, a.now)
		}})
	}
	steps = append(steps, p.before...)
	if p.rejoin != nil { // the last check before java
		steps = append(steps, rejoinStep(p.rejoin, func() string {
			if s.db.register.On() {
				return p.clusterServers
			}
			return s.zk.Servers
		}))
	}
	if p.stats != nil { // once the database and ZooKeeper were waited for
		steps = append(steps, prestart.Step{Name: "start Otter's statistics", Run: func(context.Context) error {
			p.stats.stop = p.stats.start()
			return nil
		}})
	}
	return steps
}

// redactedAll masks the secrets of every URL in urls (secret.RedactURL).
func redactedAll(urls []string) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = secret.RedactURL(u)
	}
	return out
}

// fail prints err for role's command and returns its exit code.
func fail(a *app, role otter.Role, err error) int {
	fmt.Fprintf(a.stderr, "otter-entrypoint %s: %v\n", role, err)
	return exit.Code(err)
}

// valueOr is the trimmed value of key in r, or def when it is unset or blank.
func valueOr(r *propsfile.Result, key, def string) string {
	if v, ok := r.Get(key); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	return def
}

// logMark is where a log file ended before java started: what follows it
// was written by this java. The zero mark (no file yet) means all of it.
type logMark struct {
	dev, ino uint64
	size     int64
}

// markLog returns the mark of path now.
func markLog(path string) logMark {
	fi, err := os.Stat(path)
	if err != nil {
		return logMark{}
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return logMark{}
	}
	return logMark{dev: uint64(st.Dev), ino: st.Ino, size: fi.Size()}
}

// lastLines returns up to n last lines of a file written after since (nil
// when unreadable or none), reading at most the last 64 KiB. A file
// replaced since (rotated: another inode) or truncated is all new.
func lastLines(path string, since logMark, n int) []string {
	f, fi, err := safefile.Open(path) // a FIFO or device there must not block or flood
	if err != nil {
		return nil
	}
	defer f.Close()
	const window = 64 << 10
	from := int64(0)
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && since.ino != 0 &&
		st.Ino == since.ino && uint64(st.Dev) == since.dev && fi.Size() >= since.size {
		from = since.size
	}
	partial := false // the window starts mid-line
	if fi.Size()-from > window {
		from, partial = fi.Size()-window, true
	}
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(f, window))
	if err != nil {
		return nil
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, window), window)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if partial && len(lines) > 0 {
		lines = lines[1:]
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// oomCount is the container's OOM kill count at one moment (ContainerOOMKills).
type oomCount struct {
	n     int64
	known bool
}

// countOOMKills reads how many processes of the entrypoint's memory cgroup,
// java's too, the kernel's OOM killer has killed.
func countOOMKills() oomCount {
	n, ok, err := jvm.ContainerOOMKills("/proc", "/")
	return oomCount{n, ok && err == nil}
}

// oomVerdict says whether the kernel's OOM killer killed a process of the
// container between two counts.
type oomVerdict int

const (
	oomUnknown   oomVerdict = iota // a count could not be read
	oomNotKilled                   // the count did not change
	oomKilled                      // the count grew
)

// since compares c, counted before java started, with now.
func (c oomCount) since(now oomCount) oomVerdict {
	switch {
	case !c.known || !now.known:
		return oomUnknown
	case now.n > c.n:
		return oomKilled
	}
	return oomNotKilled
}
