package main

import (
	"fmt"

	"go.uber.org/zap"

	"otter-entrypoint/supervisor"
)

// cmdRun implements `run [--] CMD [ARGS...]`: any command as the main child.
func cmdRun(a *app, args []string) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	} else if len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' {
		fmt.Fprintf(a.stderr, "otter-entrypoint run: unknown flag %q (put the command after --)\n", args[0])
		fmt.Fprintln(a.stderr, "Usage: otter-entrypoint run -- CMD [ARGS...]")
		return exitUsage
	}
	if len(args) == 0 {
		fmt.Fprintln(a.stderr, "otter-entrypoint run: no command given")
		fmt.Fprintln(a.stderr, "Usage: otter-entrypoint run -- CMD [ARGS...]")
		return exitUsage
	}
	var (
		ls logSettings
		ss supervisorSettings
	)
	problems := parseSettings(a, &ls, &ss)
	problems = append(problems, ls.validate()...)
	problems = append(problems, ss.validate()...)
	if len(problems) > 0 {
		return reportSettings(a, problems)
	}
	log, err := newLogger(a.stderr, ls)
	if err != nil {
		fmt.Fprintf(a.stderr, "otter-entrypoint: %v\n", err)
		return exitConfig
	}
	defer log.Sync() //nolint:errcheck // nothing to do about a failed flush of stderr

	cfg := supervisorConfig(a, ss, args[0], args[1:])
	return runSupervised(a, log, cfg)
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

// runSupervised runs cfg under the supervisor and returns the exit code.
func runSupervised(a *app, log *zap.Logger, cfg supervisor.Config) int {
	res, err := supervisor.New(cfg, log, a.now).Run(a.signals)
	if err != nil {
		log.Error("cannot run the command", zap.Error(err))
		return exitCodeOf(err)
	}
	log.Info("exiting", zap.Int("code", res.Code))
	return res.Code
}

// reportSettings prints every settings problem and returns exit code 78.
func reportSettings(a *app, problems []string) int {
	fmt.Fprintln(a.stderr, (&settingsError{problems: problems}).Error())
	return exitConfig
}
