package propsfile

import (
	"fmt"
	"strings"
)

// exitConfig is EX_CONFIG from sysexits.h, the exit code of a bad configuration.
const exitConfig = 78

// Problem is one reason the configuration cannot be rendered. Its message
// names the key or variable, where the value came from and what to do; it
// never holds a secret value.
type Problem struct {
	Key     string // the property key or variable concerned
	Source  string // where the value came from: a path, "env:NAME", "file:NAME_FILE", "base", ...
	Message string // the whole sentence, ready to print
}

func (p Problem) String() string { return p.Message }

// Problems lists every problem found in one render; it is the error Render
// returns, and its exit code is 78 (EX_CONFIG).
type Problems struct {
	Role string
	List []Problem
}

func (p *Problems) Error() string {
	var b strings.Builder
	n := len(p.List)
	if n == 1 {
		fmt.Fprintf(&b, "cannot render otter.properties for the %s: 1 problem:", p.Role)
	} else {
		fmt.Fprintf(&b, "cannot render otter.properties for the %s: %d problems:", p.Role, n)
	}
	for _, pr := range p.List {
		b.WriteString("\n  - ")
		b.WriteString(pr.Message)
	}
	return b.String()
}

// ExitCode is 78, EX_CONFIG.
func (p *Problems) ExitCode() int { return exitConfig }

// problems collects Problem values.
type problems []Problem

func (ps *problems) add(key, source, format string, args ...any) {
	*ps = append(*ps, Problem{Key: key, Source: source, Message: fmt.Sprintf(format, args...)})
}
