// Command otter-entrypoint is PID 1 for Alibaba Otter's containers: it renders
// otter.properties, builds the java command line, runs java in the foreground
// as its child (forwarding signals, reaping orphans, stopping within a grace
// period) and serves health probes and Prometheus metrics.
//
// This file holds the wiring and the command-line dispatch only; each
// subcommand lives in a cmd_*.go file beside it.
package main

import (
	_ "embed"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"otter-entrypoint/internal/exit"
	"otter-entrypoint/supervisor"
)

// version is set at build time with -ldflags "-X main.version=..." (make
// build stamps `git describe --always --dirty`).
var version = "dev"

// readme is README.md, built in so that the documentation of this very
// binary is always at hand: `help readme` prints it, and the images keep a
// copy at docPath.
//
//go:embed README.md
var readme string

// docPath is where the images hold README.md.
const docPath = "/usr/share/doc/otter-entrypoint/README.md"

// gcPercent is the Go garbage collector's target unless GOGC is set. The
// entrypoint's live heap is tiny while every /metrics scrape allocates;
// Go's default target lets the garbage grow to several times the live heap
// before collecting, and that private memory is charged to the pod. A
// lower target keeps it small at the cost of collecting a tiny heap more
// often (README, Performance, has the figures).
const gcPercent = 25

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
	os.Exit(run(&app{
		stdin:   os.Stdin,
		stdout:  os.Stdout,
		stderr:  os.Stderr,
		environ: os.Environ(),
		signals: sync.OnceValue(supervisor.Notify),
		now:     time.Now,
	}, os.Args[1:]))
}

// app is what every subcommand gets from main: its streams, its environment,
// the signal source and the clock.
type app struct {
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	environ []string
	// signals starts signal handling (once) and returns its source. The
	// commands that supervise call it first thing; the others (render,
	// --dry-run, healthcheck, version) never pay for some 50 handlers.
	signals func() *supervisor.Signals
	now     func() time.Time
}

// getenv looks a variable up in the app's environment.
func (a *app) getenv(name string) (string, bool) {
	for i := len(a.environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(a.environ[i], "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// envMap returns the environment as a map (later entries win), the form
// caarlos0/env takes.
func (a *app) envMap() map[string]string {
	m := make(map[string]string, len(a.environ))
	for _, kv := range a.environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

type command struct {
	name     string
	synopsis string
	// text says what the command does; its lines starting with "-" name
	// a flag.
	text []string
	run  func(a *app, args []string) int
}

func commands() []command {
	return []command{
		{"manager", "manager [--dry-run]", []string{
			"render otter.properties, wait for MySQL and ZooKeeper, run Otter's manager",
			"--dry-run        check every setting, print where otter.properties would be written",
			"                 and the java command line (secrets masked); write and start nothing",
		}, cmdManager},
		{"node", "node [--dry-run]", []string{
			"render otter.properties, wait for the manager, run an Otter node",
			"(nid from OTTER_NID or the host name's ordinal + OTTER_NID_OFFSET)",
			"--dry-run        as for the manager",
		}, cmdNode},
		{"run", "run -- CMD [ARGS...]", []string{
			"run any command as the container's main process: signals, reaping, a bounded",
			"stop, probes; everything after -- is the command",
		}, cmdRun},
		{"render", "render manager|node [--explain] [--show-secrets]", []string{
			"print the otter.properties the role would start with, secrets as ******",
			"--explain        one line per key instead: its value and where it came from",
			"--show-secrets   print secret values",
		}, cmdRender},
		{"healthcheck", "healthcheck [livez|readyz]", []string{
			"ask the running entrypoint's /livez (the default) or /readyz on ENTRYPOINT_LISTEN;",
			"exit 0 when it answers 200, else 1 (a Docker HEALTHCHECK without curl)",
		}, cmdHealthcheck},
		{"version", "version", []string{"print the version"}, cmdVersion},
		{"help", "help [readme]", []string{"print this help; help readme prints README.md, the full documentation"}, cmdHelp},
	}
}

func run(a *app, args []string) int {
	if len(args) == 0 {
		usage(a.stderr)
		return exit.Usage
	}
	name := args[0]
	if name == "--help" || name == "-h" || name == "-help" {
		name = "help"
	}
	if name == "--version" || name == "-version" {
		name = "version"
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(a, args[1:])
		}
	}
	fmt.Fprintf(a.stderr, "otter-entrypoint: unknown command %q\n\n", args[0])
	usage(a.stderr)
	return exit.Usage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: otter-entrypoint COMMAND [ARGS...]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %s\n", c.synopsis)
		for _, l := range c.text {
			fmt.Fprintf(w, "      %s\n", l)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Settings are environment variables (OTTER_*, otter.*, *_FILE, JAVA_*, ENTRYPOINT_*).")
	fmt.Fprintln(w, "Documentation: README.md, built into this binary (otter-entrypoint help readme prints it);")
	fmt.Fprintln(w, "the otter-manager and otter-node images hold it at "+docPath+".")
}

func cmdHelp(a *app, args []string) int {
	switch {
	case len(args) == 0:
		usage(a.stdout)
		return exit.OK
	case len(args) == 1 && args[0] == "readme":
		fmt.Fprint(a.stdout, readme)
		return exit.OK
	}
	fmt.Fprintf(a.stderr, "otter-entrypoint help: unknown argument %q; use help or help readme\n", strings.Join(args, " "))
	return exit.Usage
}

func cmdVersion(a *app, args []string) int {
	goVersion := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
	}
	fmt.Fprintf(a.stdout, "otter-entrypoint %s (%s)\n", version, goVersion)
	return exit.OK
}
