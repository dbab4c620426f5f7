// Package jvm finds the JDK and builds the java command line that Otter's
// startup.sh built, fitted to containers and to every JDK from 8 to 25:
// container-aware heap sizing, OOM handling, rotated GC logs, and the
// translation of legacy flags that users paste from startup.sh into
// JAVA_OPTIONS.
//
// Pure logic (splitting JAVA_OPTIONS, the legacy-flag table, the command line,
// parsing release files, cgroup files and host names) is separate from the
// few functions that touch the system (Detect, ContainerMemoryLimit,
// Command.MakeDirs, LibJars, DefaultAdvertiseHost).
package jvm

import "strings"

// Exit codes carried by this package's errors (sysexits.h, and the shell's
// "command not found").
const (
	ExitConfig   = 78  // EX_CONFIG: an invalid setting
	ExitNotFound = 127 // no java
)

// Error is an error with the exit code the entrypoint should end with.
type Error struct {
	Code     int
	Problems []string // each names the setting, the value's source and what to do
	Err      error    // the underlying cause, if any
}

func (e *Error) Error() string {
	if len(e.Problems) == 1 {
		return e.Problems[0]
	}
	return "invalid settings:\n  " + strings.Join(e.Problems, "\n  ")
}

// ExitCode is the code the entrypoint exits with (78 or 127).
func (e *Error) ExitCode() int { return e.Code }

func (e *Error) Unwrap() error { return e.Err }

func configError(problems ...string) *Error {
	return &Error{Code: ExitConfig, Problems: problems}
}
