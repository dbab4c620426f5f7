package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"go.uber.org/zap"

	"otter-entrypoint/internal/exit"
	"otter-entrypoint/internal/otter"
	"otter-entrypoint/propsfile"
)

// renderSettings are the settings that say where otter.properties comes
// from and where the rendered file goes (the same variables cmdManager and
// cmdNode read).
type renderSettings struct {
	OtterHome string `env:"OTTER_HOME"`
	ConfigDir string `env:"OTTER_CONFIG_DIR" envDefault:"/etc/otter"`
	RenderDir string `env:"ENTRYPOINT_RENDER_DIR" envDefault:"/tmp/otter-entrypoint"`
}

// resolve fills OTTER_HOME's default for role and returns every problem:
// the three paths must be absolute; OTTER_HOME and ENTRYPOINT_RENDER_DIR
// go on java's classpath, so they cannot hold its separator ':'; and the
// render directory must be neither the release's conf/ (the file written
// would replace the base file it is rendered from) nor OTTER_CONFIG_DIR
// (the next start would read the last render back as configuration).
func (s *renderSettings) resolve(role otter.Role) []string {
	if s.OtterHome == "" {
		s.OtterHome = role.DefaultHome()
	}
	var p []string
	for _, c := range []struct{ name, value string }{
		{"OTTER_HOME", s.OtterHome},
		{"OTTER_CONFIG_DIR", s.ConfigDir},
		{"ENTRYPOINT_RENDER_DIR", s.RenderDir},
	} {
		if !filepath.IsAbs(c.value) {
			p = append(p, fmt.Sprintf("%s=%q: must be an absolute path", c.name, c.value))
		}
	}
	for _, c := range []struct{ name, value string }{
		{"OTTER_HOME", s.OtterHome},
		{"ENTRYPOINT_RENDER_DIR", s.RenderDir},
	} {
		if strings.Contains(c.value, ":") {
			p = append(p, fmt.Sprintf("%s=%q: contains ':', which separates java's classpath entries (the path would be split in two); use a path without ':'", c.name, c.value))
		}
	}
	if len(p) > 0 {
		return p
	}
	render, conf := realPath(s.RenderDir), realPath(filepath.Join(s.OtterHome, "conf"))
	if render == conf || strings.HasPrefix(render, conf+string(filepath.Separator)) {
		p = append(p, fmt.Sprintf("ENTRYPOINT_RENDER_DIR=%q is inside the release's configuration directory %s: the rendered otter.properties would replace (or shadow) the file it is rendered from; use a directory of its own, such as the default /tmp/otter-entrypoint", s.RenderDir, filepath.Join(s.OtterHome, "conf")))
	}
	if render == realPath(s.ConfigDir) {
		p = append(p, fmt.Sprintf("ENTRYPOINT_RENDER_DIR=%q is OTTER_CONFIG_DIR: the next start would read the last rendered otter.properties back as configuration; use a directory of its own, such as the default /tmp/otter-entrypoint", s.RenderDir))
	}
	return p
}

// explicitlySet reports a variable set to a non-empty value.
func explicitlySet(a *app, name string) bool {
	v, ok := a.getenv(name)
	return ok && v != ""
}

// realPath is path with its symbolic links resolved as far as it exists.
func realPath(path string) string {
	path = filepath.Clean(path)
	if r, err := filepath.EvalSymlinks(path); err == nil {
		return r
	}
	if dir := filepath.Dir(path); dir != path {
		return filepath.Join(realPath(dir), filepath.Base(path))
	}
	return path
}

// propsOptions are the propsfile options for role.
func (s renderSettings) propsOptions(a *app, role otter.Role) propsfile.Options {
	return propsfile.Options{
		Role:         string(role),
		OtterHome:    s.OtterHome,
		ConfigDir:    s.ConfigDir,
		ConfigDirSet: explicitlySet(a, "OTTER_CONFIG_DIR"), // then it must exist; the default may not
		Environ:      a.environ,
		Reserved:     reservedEnv(),
	}
}

const renderUsage = `Usage: otter-entrypoint render manager|node [--show-secrets] [--explain]

Prints the otter.properties the manager or node would start with: the
release's conf/otter.properties, then every *.properties file of
OTTER_CONFIG_DIR, then environment variables and *_FILE secret files.
Secret values are printed as ****** unless --show-secrets is given.
--explain prints one line per key instead: key, value and its source.`

// cmdRender implements `render manager|node [--show-secrets] [--explain]`.
func cmdRender(a *app, args []string) int {
	var role otter.Role
	var showSecrets, explain bool
	for _, arg := range args {
		switch arg {
		case "--show-secrets", "-show-secrets":
			showSecrets = true
		case "--explain", "-explain":
			explain = true
		case "-h", "--help", "-help":
			fmt.Fprintln(a.stdout, renderUsage)
			return exit.OK
		case string(otter.Manager), string(otter.Node):
			if role != "" {
				fmt.Fprintf(a.stderr, "otter-entrypoint render: give one role, not %q and %q\n%s\n", role, arg, renderUsage)
				return exit.Usage
			}
			role = otter.Role(arg)
		default:
			fmt.Fprintf(a.stderr, "otter-entrypoint render: unknown argument %q\n%s\n", arg, renderUsage)
			return exit.Usage
		}
	}
	if role == "" {
		fmt.Fprintf(a.stderr, "otter-entrypoint render: say which role, manager or node\n%s\n", renderUsage)
		return exit.Usage
	}

	var (
		ls logSettings
		rs renderSettings
	)
	problems := parseSettings(a, &ls, &rs)
	problems = append(problems, rs.resolve(role)...)
	log, err := loggerFor(a, ls, problems)
	if err != nil {
		fmt.Fprintf(a.stderr, "otter-entrypoint render: %v\n", err)
		return exit.Code(err)
	}
	defer log.Sync() //nolint:errcheck // nothing to do about a failed flush of stderr

	res, err := propsfile.Render(rs.propsOptions(a, role), log.With(zap.String("command", "render")))
	if err != nil {
		fmt.Fprintf(a.stderr, "otter-entrypoint render: %v\n", err)
		return exit.Code(err)
	}
	if explain {
		err = res.Explain(a.stdout, showSecrets)
	} else {
		_, err = a.stdout.Write(res.Bytes(showSecrets))
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "otter-entrypoint render: write to stdout: %v\n", err)
		return exit.Failure
	}
	return exit.OK
}
