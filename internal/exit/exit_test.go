package exit

import (
	"errors"
	"fmt"
	"testing"
)

type coded struct{}

func (coded) Error() string { return "coded" }
func (coded) ExitCode() int { return 126 }

func TestCode(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, OK},
		{errors.New("plain"), Failure},
		{ConfigError("a"), Config},
		{fmt.Errorf("wrapped: %w", UnavailableError("db")), Unavailable},
		{&Error{Code: NotFound, Problems: []string{"no java"}}, NotFound},
		{fmt.Errorf("start: %w", coded{}), 126},
	} {
		if got := Code(c.err); got != c.want {
			t.Errorf("Code(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

func TestErrorText(t *testing.T) {
	for _, c := range []struct {
		err  *Error
		want string
	}{
		{ConfigError("A=1: bad"), "A=1: bad"},
		{ConfigError("A=1: bad", "B=2: worse"), "invalid settings: 2 problems:\n  - A=1: bad\n  - B=2: worse"},
		{&Error{Code: Config, Summary: "cannot render", Problems: []string{"x"}}, "cannot render: x"},
		{&Error{Code: Config, Summary: "cannot render", Problems: []string{"x", "y"}}, "cannot render: 2 problems:\n  - x\n  - y"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("Error() = %q, want %q", got, c.want)
		}
	}
}
