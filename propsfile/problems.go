package propsfile

import (
	"fmt"

	"otter-entrypoint/internal/exit"
)

// problems collects the reasons a configuration cannot be rendered. Each is
// one sentence that names the key or variable, where the value came from and
// what to do; none holds a secret value.
type problems []string

func (ps *problems) add(format string, args ...any) {
	*ps = append(*ps, fmt.Sprintf(format, args...))
}

// renderError is the error Render returns: every problem at once, exit code
// 78 (EX_CONFIG).
func renderError(role string, ps problems) *exit.Error {
	return &exit.Error{
		Code:     exit.Config,
		Summary:  "cannot render otter.properties for the " + role,
		Problems: ps,
	}
}
