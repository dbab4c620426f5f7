package otterstats

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParsers(t *testing.T) {
	for in, want := range map[string]string{`"START"`: "START", `"PAUSE"`: "PAUSE", "STOP": "STOP", ` "STOP" `: "STOP"} {
		if got, ok := ParseChannelStatus([]byte(in)); !ok || got != want {
			t.Errorf("ParseChannelStatus(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", `"start"`, `"RUN"`, `{}`} {
		if got, ok := ParseChannelStatus([]byte(in)); ok {
			t.Errorf("ParseChannelStatus(%q) = %q, want not ok", in, got)
		}
	}
	for in, want := range map[string]Mainstem{
		`{"active":true,"nid":3,"pipelineId":5,"status":"OVERTAKE"}`: {Status: MainstemWorking, Nid: 3},
		`{"active":true,"nid":4,"pipelineId":5,"status":"TAKEING"}`:  {Status: MainstemPositioning, Nid: 4},
		`{"nid":7}`: {Status: MainstemWorking, Nid: 7},
	} {
		if got, ok := ParseMainstem([]byte(in)); !ok || got != want {
			t.Errorf("ParseMainstem(%s) = %+v, %v", in, got, ok)
		}
	}
	if _, ok := ParseMainstem([]byte("not json")); ok {
		t.Error("ParseMainstem took garbage")
	}
	for in, want := range map[string]string{
		`{"destinationName":"dest-a","home":false}`: "dest-a",
		`{"home":true}`:             "",
		`{"destinationName":"a/b"}`: "",
		`{"destinationName":".."}`:  "",
		`nonsense`:                  "",
	} {
		if got := ParseDestination(in); got != want {
			t.Errorf("ParseDestination(%s) = %q, want %q", in, got, want)
		}
	}
	if got := CursorPath("d", 32768); got != "/otter/canal/destinations/d/-32768/cursor" {
		t.Errorf("CursorPath wraps as a Java short: %s", got)
	}
	if logID(" 05") != "5" || logID("x") != "other" || logTitle("EXCEPTION") != "EXCEPTION" || logTitle("boom") != "OTHER" {
		t.Error("log labels")
	}
}

// The parsers of ZooKeeper's and the database's data never panic, and
// what they return is usable as a label or a path element.
func FuzzParsers(f *testing.F) {
	for _, s := range []string{`"START"`, `{"active":true,"nid":3,"pipelineId":5,"status":"OVERTAKE"}`,
		`{"destinationName":"dest-a","home":false}`, `{"nid":1e400}`, "\xff", `{"destinationName":"\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if st, ok := ParseChannelStatus(b); ok && st != "START" && st != "PAUSE" && st != "STOP" {
			t.Fatalf("status %q", st)
		}
		if m, ok := ParseMainstem(b); ok && m.Status != MainstemWorking && m.Status != MainstemPositioning {
			t.Fatalf("mainstem %+v", m)
		}
		if d := ParseDestination(string(b)); d != "" {
			if strings.Contains(d, "/") || !utf8.ValidString(d) || d == "." || d == ".." {
				t.Fatalf("destination %q", d)
			}
		}
		if l := label(string(b)); !utf8.ValidString(l) {
			t.Fatalf("label %q", l)
		}
		if id := logID(string(b)); id != "other" && strings.ContainsAny(id, " \t") {
			t.Fatalf("log id %q", id)
		}
	})
}
