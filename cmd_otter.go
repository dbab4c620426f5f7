package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"

	"otter-entrypoint/jvm"
	"otter-entrypoint/probes"
	"otter-entrypoint/propsfile"
)

// cmdManager runs Otter's manager (the web console).
func cmdManager(a *app, args []string) int { return runOtter(a, "manager", args) }

// cmdNode runs an Otter node (a sync worker).
func cmdNode(a *app, args []string) int { return runOtter(a, "node", args) }

// launchSettings are the settings of the manager and node commands that no
// package reads for itself.
type launchSettings struct {
	WaitFor     string        `env:"ENTRYPOINT_WAIT_FOR"`
	WaitTimeout time.Duration `env:"ENTRYPOINT_WAIT_TIMEOUT" envDefault:"5m"`
}

// defaultOtterHome is where the release is unpacked in the images.
func defaultOtterHome(role string) string { return "/home/admin/" + role }

func runOtter(a *app, role string, args []string) int {
	fs := flag.NewFlagSet(role, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	dryRun := fs.Bool("dry-run", false, "print the rendered file's path and the java command line, one argument per line, and exit")
	fs.Usage = func() {
		fmt.Fprintf(a.stderr, "Usage: otter-entrypoint %s [--dry-run]\n", role)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(a.stderr, "otter-entrypoint %s: unexpected argument %q\n", role, fs.Arg(0))
		fs.Usage()
		return exitUsage
	}
	if !*dryRun {
		a.signals() // handlers are installed in the background meanwhile
	}

	// Settings: every problem is reported at once.
	var (
		ls logSettings
		ss supervisorSettings
		ts launchSettings
		rs renderSettings
		js jvm.Settings
	)
	problems := parseSettings(a, &ls, &ss, &ts, &rs, &js)
	problems = append(problems, rs.resolve(role)...)
	if ts.WaitTimeout <= 0 {
		problems = append(problems, fmt.Sprintf("ENTRYPOINT_WAIT_TIMEOUT=%q: must be a positive duration such as 5m", ts.WaitTimeout))
	}
	otterHome := rs.OtterHome
	log, code := loggerFor(a, ls, problems)
	if log == nil {
		return code
	}
	defer log.Sync() //nolint:errcheck // nothing to do about a failed flush of stderr

	// 1. otter.properties.
	rendered, err := propsfile.Render(rs.propsOptions(a, role), log)
	if err != nil {
		fmt.Fprintf(a.stderr, "otter-entrypoint %s: %v\n", role, err)
		return exitCodeOf(err)
	}

	// 2. The java command line.
	jdk, err := jvm.Detect(a.getenv, log)
	if err != nil {
		fmt.Fprintf(a.stderr, "otter-entrypoint %s: %v\n", role, err)
		return exitCodeOf(err)
	}
	opts := jvm.Options{
		Role:         role,
		OtterHome:    otterHome,
		RenderDir:    rs.RenderDir,
		RenderedFile: filepath.Join(rs.RenderDir, "otter.properties"),
	}
	js.Apply(&opts)
	if jars, err := jvm.LibJars(otterHome); err == nil {
		opts.Jars = jars
	} else {
		log.Warn("cannot list the release's jars; using the lib/* wildcard", zap.Error(err))
	}
	if jvm.NeedsMemoryLimit(jdk, opts) {
		if limit, err := jvm.ContainerMemoryLimit("/proc", "/"); err == nil {
			opts.MemoryLimit = limit
		} else {
			log.Debug("no container memory limit found", zap.Error(err))
		}
	}
	if role == "node" {
		host, _ := os.Hostname()
		nid, err := jvm.Nid(a.getenv, host)
		if err != nil {
			fmt.Fprintf(a.stderr, "otter-entrypoint node: %v\n", err)
			return exitCodeOf(err)
		}
		opts.Nid = nid
		if opts.AdvertiseHost, err = jvm.AdvertiseHost(a.getenv); err != nil {
			fmt.Fprintf(a.stderr, "otter-entrypoint node: %v\n", err)
			return exitCodeOf(err)
		}
	}
	cmd, warnings, err := jvm.Build(jdk, opts)
	if err != nil {
		fmt.Fprintf(a.stderr, "otter-entrypoint %s: %v\n", role, err)
		return exitCodeOf(err)
	}
	for _, w := range warnings {
		log.Warn(w.String())
	}

	// Where to wait for, and how the child is judged ready.
	targets, problems := waitTargets(role, ts.WaitFor, rendered)
	readyDefault := probes.DefaultReadyCheck(role, otterHome, getOr(rendered, "otter.port", "8080"))
	ps, more := readProbeSettings(a, role, otterHome, readyDefault)
	problems = append(problems, more...)
	if len(problems) > 0 {
		return reportSettings(a, problems)
	}

	// 3. Write the file; the base file in the release is never touched.
	path, err := rendered.WriteFile(rs.RenderDir)
	if err != nil {
		fmt.Fprintf(a.stderr, "otter-entrypoint %s: ENTRYPOINT_RENDER_DIR=%q: %v; point it at a writable directory (an emptyDir or /tmp)\n",
			role, rs.RenderDir, err)
		return exitConfig
	}
	if *dryRun {
		var b strings.Builder
		b.WriteString(path + "\n")
		b.WriteString(cmd.Path + "\n")
		for _, arg := range cmd.Redacted() {
			b.WriteString(arg + "\n")
		}
		io.WriteString(a.stdout, b.String())
		return exitOK
	}
	if err := cmd.MakeDirs(); err != nil {
		fmt.Fprintf(a.stderr, "otter-entrypoint %s: OTTER_HOME=%q: %v; the release directory must be writable where Otter writes (logs/, htdocs/, download/)\n",
			role, otterHome, err)
		return exitConfig
	}
	log.Info("starting Otter", zap.String("java", cmd.Path), zap.Int("jdk", jdk.Major),
		zap.String("otter_home", otterHome), zap.String("config", path), zap.Strings("wait_for", targets))

	// 4. Wait for the dependencies (TERM ends the wait), then run java.
	cfg := supervisorConfig(a, ss, cmd.Path, cmd.Args)
	cfg.Dir = cmd.Dir
	if len(targets) > 0 {
		cfg.BeforeStart = func(ctx context.Context) error {
			return probes.WaitFor(ctx, targets, ts.WaitTimeout, log, a.now)
		}
	}
	res, code := superviseWithProbes(a, log, cfg, ps)
	if res.Started && !res.StopRequested {
		// Otter's servers never exit on their own when healthy, and the
		// manager calls System.exit(0) when it fails to start.
		mainLog := jvm.MainLog(otterHome, role)
		log.Error("Otter exited although nothing asked it to stop",
			zap.String("status", res.Status.String()),
			zap.String("log", mainLog),
			zap.Strings("last_log_lines", lastLines(mainLog, 20)))
		code = exitSoftware
	}
	log.Info("exiting", zap.Int("code", code))
	return code
}

// waitTargets lists what to wait for: ENTRYPOINT_WAIT_FOR, or what the
// rendered configuration names (the manager's MySQL and ZooKeeper, the
// node's manager).
func waitTargets(role, spec string, r *propsfile.Result) ([]string, []string) {
	if strings.TrimSpace(spec) != "" {
		t, err := probes.ParseWaitFor(spec)
		if err != nil {
			return nil, []string{err.Error()}
		}
		return t, nil
	}
	var (
		targets  []string
		problems []string
	)
	add := func(key string, derive func(string) ([]string, error)) {
		v, ok := r.Resolved(key) // ${otter.domainName}:${...port} as Otter will read it
		if !ok || strings.TrimSpace(v) == "" {
			return
		}
		t, err := derive(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("cannot derive ENTRYPOINT_WAIT_FOR from %s: %v; set ENTRYPOINT_WAIT_FOR (or none)", key, err))
			return
		}
		targets = append(targets, t...)
	}
	if role == "manager" {
		add("otter.database.driver.url", probes.MySQLTargets)
		add("otter.zookeeper.cluster.default", probes.HostPortTargets)
	} else {
		add("otter.manager.address", probes.HostPortTargets)
	}
	return targets, problems
}

func getOr(r *propsfile.Result, key, def string) string {
	if v, ok := r.Get(key); ok && strings.TrimSpace(v) != "" {
		return strings.TrimSpace(v)
	}
	return def
}

// lastLines returns up to n last lines of a file (nil when unreadable),
// reading at most the last 64 KiB.
func lastLines(path string, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	const window = 64 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > window {
		if _, err := f.Seek(fi.Size()-window, io.SeekStart); err != nil {
			return nil
		}
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, window), window)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}
