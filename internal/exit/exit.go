// Package exit holds the entrypoint's exit codes and the one error type that
// carries them: configuration problems (78) and dependencies that never came
// (69) are both *Error values, and Code is the one place an error becomes an
// exit code.
package exit

import (
	"errors"
	"fmt"
	"strings"
)

// Exit codes of the entrypoint itself (sysexits.h where one fits, the
// shell's for a command that cannot run).
const (
	OK            = 0
	Failure       = 1
	Usage         = 2   // bad command line
	Unavailable   = 69  // EX_UNAVAILABLE: a dependency never became reachable
	Software      = 70  // EX_SOFTWARE: Otter's JVM exited although nothing asked it to stop
	Config        = 78  // EX_CONFIG: invalid settings or configuration
	NotExecutable = 126 // the command was found but cannot run
	NotFound      = 127 // the command (or java) was not found
)

// Error is an error that decides the process's exit code. Each problem is
// one sentence that names the setting, where its value came from and what
// to do; none holds a secret value.
type Error struct {
	Code     int
	Summary  string   // what could not be done, e.g. "cannot render otter.properties for the manager" ("" for none)
	Problems []string // one or more
	Err      error    // the underlying cause, if any
}

func (e *Error) Error() string {
	if len(e.Problems) == 1 {
		if e.Summary == "" {
			return e.Problems[0]
		}
		return e.Summary + ": " + e.Problems[0]
	}
	head := e.Summary
	if head == "" {
		head = "invalid settings"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problems:", head, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  - " + p)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// ConfigError is an invalid setting or configuration: exit code 78.
func ConfigError(problems ...string) *Error {
	return &Error{Code: Config, Problems: problems}
}

// UnavailableError is a dependency that never became reachable: exit code 69.
func UnavailableError(problem string) *Error {
	return &Error{Code: Unavailable, Problems: []string{problem}}
}

// Code is the exit code for err: OK for nil, the code of an *Error (or of
// any error with an ExitCode method, such as the supervisor's start
// errors), Failure otherwise.
func Code(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var ec interface{ ExitCode() int }
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return Failure
}
