package supervisor

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzParseStatPPID: any /proc/<pid>/stat text, whatever the command name
// holds, never panics, and a parsed parent is the 2nd field after the last ')'.
func FuzzParseStatPPID(f *testing.F) {
	f.Add("42 (sleep) S 7 42 42 0 -1 4194304")
	f.Add("1 (a) b) c) Z 9 1 1")
	f.Add("(")
	f.Add("")
	f.Fuzz(func(t *testing.T, stat string) {
		ppid, ok := parseStatPPID(stat)
		if !ok {
			return
		}
		rest := strings.Fields(stat[strings.LastIndexByte(stat, ')')+1:])
		if want, err := strconv.Atoi(rest[1]); err != nil || want != ppid {
			t.Fatalf("parseStatPPID(%q) = %d, field says %q", stat, ppid, rest[1])
		}
	})
}
