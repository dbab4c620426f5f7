package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"otter-entrypoint/internal/exit"
	"otter-entrypoint/internal/logtail"
	"otter-entrypoint/probes"
	"otter-entrypoint/supervisor"
)

// cmdRun implements `run [--] CMD [ARGS...]`: any command as the main child.
func cmdRun(a *app, args []string) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	} else if len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' {
		fmt.Fprintf(a.stderr, "otter-entrypoint run: unknown flag %q (put the command after --)\n", args[0])
		fmt.Fprintln(a.stderr, "Usage: otter-entrypoint run -- CMD [ARGS...]")
		return exit.Usage
	}
	if len(args) == 0 {
		fmt.Fprintln(a.stderr, "otter-entrypoint run: no command given")
		fmt.Fprintln(a.stderr, "Usage: otter-entrypoint run -- CMD [ARGS...]")
		return exit.Usage
	}
	a.signals() // handlers are installed in the background meanwhile
	var (
		ls logSettings
		ss supervisorSettings
	)
	problems := parseSettings(a, &ls, &ss)
	base, ok := a.getenv("OTTER_HOME")
	if !ok || base == "" {
		base, _ = os.Getwd()
	}
	ps, more := readProbeSettings(a, base, "off")
	problems = append(problems, more...)
	log, err := loggerFor(a, ls, problems)
	if err != nil {
		fmt.Fprintf(a.stderr, "otter-entrypoint run: %v\n", err)
		return exit.Code(err)
	}
	defer log.Sync() //nolint:errcheck // nothing to do about a failed flush of stderr

	cfg := supervisorConfig(a, ss, args[0], args[1:])
	cfg.Foreground = true // an interactive command gets the terminal, if any
	_, code := superviseWithProbes(a, log, cfg, ps)
	log.Info("exiting", zap.Int("code", code))
	return code
}

// supervisorConfig is the supervisor configuration shared by every command.
func supervisorConfig(a *app, ss supervisorSettings, path string, args []string) supervisor.Config {
	return supervisor.Config{
		Path:         path,
		Args:         args,
		Env:          a.environ,
		StopTimeout:  ss.StopTimeout,
		DrainTimeout: ss.DrainTimeout,
		SignalGroup:  ss.SignalGroup,
		SuccessCodes: ss.SuccessExitCodes,
		Stdin:        a.stdin,
		Stdout:       a.stdout,
		Stderr:       a.stderr,
	}
}

// probeSettings are the probes server's and the log tailer's settings,
// already parsed.
type probeSettings struct {
	listen        string
	readyCheck    probes.Check
	readyInterval time.Duration
	livenessStall time.Duration // 0: off
	tail          []string
	collectors    []prometheus.Collector // more /metrics (the manager's Otter statistics)
}

// readProbeSettings reads ENTRYPOINT_LISTEN, ENTRYPOINT_READY_CHECK,
// ENTRYPOINT_READY_INTERVAL, ENTRYPOINT_LIVENESS_STALL and
// ENTRYPOINT_TAIL_LOGS (defaultTail when
// unset). readyCheck stays nil when ENTRYPOINT_READY_CHECK is unset: its
// default depends on the command.
func readProbeSettings(a *app, otterHome, defaultTail string) (probeSettings, []string) {
	var problems []string
	ps := probeSettings{listen: listenSetting(a), readyInterval: probes.DefaultReadyInterval}
	if err := probes.CheckListen(ps.listen); err != nil {
		problems = append(problems, err.Error())
	}
	if v, ok := a.getenv("ENTRYPOINT_READY_CHECK"); ok && strings.TrimSpace(v) != "" {
		check, err := probes.ParseCheck(v, otterHome)
		if err != nil {
			problems = append(problems, err.Error())
		}
		ps.readyCheck = check
	}
	if v, ok := a.getenv("ENTRYPOINT_READY_INTERVAL"); ok && v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			problems = append(problems, fmt.Sprintf("ENTRYPOINT_READY_INTERVAL=%q: not a positive duration; use e.g. 5s", v))
		} else {
			ps.readyInterval = d
		}
	}
	if v, _ := a.getenv("ENTRYPOINT_LIVENESS_STALL"); strings.TrimSpace(v) != "" && !strings.EqualFold(strings.TrimSpace(v), "off") {
		if d, err := time.ParseDuration(strings.TrimSpace(v)); err != nil || d <= 0 {
			problems = append(problems, fmt.Sprintf("ENTRYPOINT_LIVENESS_STALL=%q: not a positive duration; use off (the default) or e.g. 5m", v))
		} else if err := probes.CheckLivenessStall(d, ps.readyInterval); err != nil {
			problems = append(problems, err.Error())
		} else {
			ps.livenessStall = d
		}
	}
	tailSpec := defaultTail
	if v, ok := a.getenv("ENTRYPOINT_TAIL_LOGS"); ok && v != "" {
		tailSpec = v
	}
	tail, err := logtail.ParseSpec(tailSpec, otterHome)
	if err != nil {
		problems = append(problems, err.Error())
	}
	ps.tail = tail
	return ps, problems
}

// listenSetting is ENTRYPOINT_LISTEN: unset means the default address, set
// but empty (or off) turns the server off, which is why it is read by hand
// (the env library would replace an empty value by the default).
func listenSetting(a *app) string {
	if v, ok := a.getenv("ENTRYPOINT_LISTEN"); ok {
		return v
	}
	return probes.DefaultListen
}

// superviseWithProbes runs cfg under the supervisor with the probes server
// and the log tailer around it, and returns the result and the exit code.
func superviseWithProbes(a *app, log *zap.Logger, cfg supervisor.Config, ps probeSettings) (supervisor.Result, int) {
	srv, err := probes.NewServer(probes.Config{
		Listen:        ps.listen,
		Ready:         ps.readyCheck,
		ReadyInterval: ps.readyInterval,
		LivenessStall: ps.livenessStall,
		Version:       version,
		Collectors:    ps.collectors,
	}, log, a.now)
	if err != nil {
		log.Error("invalid probes settings", zap.Error(err))
		return supervisor.Result{}, exit.Code(err)
	}
	if err := srv.Start(); err != nil {
		log.Error("cannot start the probes server", zap.Error(err))
		return supervisor.Result{}, exit.Config
	}
	defer func() {
		// A scrape in flight gets a moment; a slow client never holds up
		// the exit for longer.
		ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	cfg.Observer = srv
	if len(ps.tail) > 0 {
		t := logtail.New(ps.tail, a.stdout, 0, log)
		t.Start() // before the child starts, so that none of its lines is missed
		defer t.Stop()
	}
	res, err := supervisor.New(cfg, log, a.now).Run(a.signals())
	if err != nil {
		log.Error("cannot run the command", zap.Error(err))
		return res, exit.Code(err)
	}
	return res, res.Code
}
