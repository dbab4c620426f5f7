package docker

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// FuzzParseStatus: any text parses or fails without panicking, and a
// status built from parsed fields parses back to the same fields.
func FuzzParseStatus(f *testing.F) {
	f.Add("Name:\tjava\nState:\tS (sleeping)\nPPid:\t7\nUid:\t1000\t1000\t1000\t1000\nNSpid:\t99\t2\n")
	f.Add("Name:\nState:\t\nPPid:\t-1\nUid:\nNSpid:\n")
	f.Add("State:\tZ\n\x00:\n")
	f.Fuzz(func(t *testing.T, text string) {
		st, err := parseStatus(text)
		if err != nil {
			return
		}
		if len(st.NSpid) == 0 {
			return // an empty NSpid line parses; inPid needs one
		}
		var b strings.Builder
		fmt.Fprintf(&b, "Name:\t%s\nState:\t%c\nPPid:\t%d\nUid:", st.Name, st.State, st.PPid)
		for _, u := range st.Uids {
			fmt.Fprintf(&b, "\t%d", u)
		}
		b.WriteString("\nNSpid:")
		for _, p := range st.NSpid {
			fmt.Fprintf(&b, "\t%d", p)
		}
		b.WriteString("\n")
		if strings.ContainsAny(st.Name, "\n\r") || strings.TrimSpace(st.Name) != st.Name || st.State == ' ' || st.State == '\t' || st.State == '\n' || st.State == '\r' {
			return // not representable on one status line
		}
		again, err := parseStatus(b.String())
		if err != nil {
			t.Fatalf("re-parse of %q: %v", b.String(), err)
		}
		if again.Name != st.Name || again.State != st.State || again.PPid != st.PPid || again.inPid() != st.inPid() || len(again.Uids) != len(st.Uids) {
			t.Fatalf("round trip %+v -> %+v", st, again)
		}
	})
}

// FuzzDemuxLogs: any stream demuxes or fails without panicking, and never
// yields more payload than it was given.
func FuzzDemuxLogs(f *testing.F) {
	f.Add(append(frame(1, "out\n"), frame(2, "err\n")...))
	f.Add([]byte{1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		var out bytes.Buffer
		err := demuxLogs(bytes.NewReader(in), &out)
		if out.Len() > len(in) {
			t.Fatalf("%d bytes out of %d in", out.Len(), len(in))
		}
		if err == nil && (len(in)-out.Len())%8 != 0 {
			t.Fatalf("a clean stream of %d bytes gave %d payload bytes: not whole 8-byte headers", len(in), out.Len())
		}
	})
}

// FuzzBuildScriptMirror: build.sh's reader of apt sources, on any text,
// ends well and prints nothing or one word of the text that is no
// security archive.
func FuzzBuildScriptMirror(f *testing.F) {
	f.Add("Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\n")
	f.Add("deb [arch=amd64 http://x bookworm main\n")
	f.Add("deb [ ] http://x bookworm\n\nURIs:\nSuites: bookworm\n")
	f.Add("Suites: bookworm\nURIs: http://y/debian\n")
	f.Fuzz(func(t *testing.T, text string) {
		if strings.ContainsRune(text, 0) {
			return // not a text file
		}
		u := mirrorInSources(t, text)
		if u == "" {
			return
		}
		if !strings.Contains(text, u) || strings.Contains(u, "security") || strings.ContainsAny(u, " \t\n") {
			t.Fatalf("mirror %q from %q", u, text)
		}
	})
}
