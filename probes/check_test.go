package probes

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"otter-entrypoint/internal/exit"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseCheck(t *testing.T) {
	cases := []struct {
		spec, name string
		err        bool
	}{
		{"none", "none", false},
		{"", "none", false},
		{"NONE", "none", false},
		{"http://127.0.0.1:8080/monitor/ok.htm", "http://127.0.0.1:8080/monitor/ok.htm", false},
		{"https://localhost/x", "https://localhost/x", false},
		{"http://user:secret@127.0.0.1:8080/?token=t0k", "http://user:******@127.0.0.1:8080/?token=******", false},
		{"tcp://127.0.0.1:2088", "tcp://127.0.0.1:2088", false},
		{"tcp://[::1]:2088", "tcp://[::1]:2088", false},
		{"log:logs/node/node.log:the otter server is running now", "log:/home/admin/node/logs/node/node.log:the otter server is running now", false},
		{"log:/var/log/x.log:a:b", "log:/var/log/x.log:a:b", false},
		{"tcp://127.0.0.1", "", true},
		{"tcp://:80", "", true},
		{"tcp://host:99999", "", true},
		{"http://", "", true},
		{"http://h:port/", "", true},
		{"log:file-only", "", true},
		{"log::text", "", true},
		{"log:file:", "", true},
		{"exec:true", "", true},
		{"http://u:hunter2@h:0/", "", true},
		{"http://u:hunter2@h:port/", "", true}, // url.Parse fails: the password is masked all the same
		{"http://h:port/?password=hunter2", "", true},
		{"tcp://u:hunter2@h:1", "", true},
		{"tcp://hunter2@h:1", "", true},
	}
	for _, c := range cases {
		chk, err := ParseCheck(c.spec, "/home/admin/node")
		if c.err {
			if err == nil {
				t.Errorf("ParseCheck(%q) = %v; want an error", c.spec, chk.Name())
				continue
			}
			if !strings.Contains(err.Error(), "ENTRYPOINT_READY_CHECK") || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("ParseCheck(%q) error %q: must name the setting and hide passwords", c.spec, err)
			}
			if exit.Code(err) != exit.Config {
				t.Errorf("ParseCheck(%q) error's exit code is %d, want 78", c.spec, exit.Code(err))
			}
			continue
		}
		if err != nil || chk.Name() != c.name {
			t.Errorf("ParseCheck(%q) = %v, %v; want name %q", c.spec, nameOf(chk), err, c.name)
		}
	}
}

func nameOf(c Check) string {
	if c == nil {
		return "<nil>"
	}
	return c.Name()
}

func TestHTTPCheck(t *testing.T) {
	codes := map[string]int{"/ok": 200, "/redirect": 302, "/broken": 503, "/missing": 404}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			w.Header().Set("Location", "/broken") // must not be followed
		}
		w.WriteHeader(codes[r.URL.Path])
		_, _ = w.Write([]byte(strings.Repeat("x", maxBody))) // read whole, up to the bound
	}))
	defer srv.Close()
	for path, code := range codes {
		chk, err := ParseCheck(srv.URL+path, "")
		if err != nil {
			t.Fatal(err)
		}
		err = chk.Check(context.Background())
		if ok := code < 400; ok != (err == nil) {
			t.Errorf("check %s (status %d) = %v", path, code, err)
		}
	}
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer tls.Close()
	chk, _ := ParseCheck(tls.URL+"/", "")
	if err := chk.Check(context.Background()); err != nil {
		t.Errorf("https check with a self-signed certificate: %v", err)
	}
}

func TestHTTPCheckHonoursTheTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	chk, _ := ParseCheck(srv.URL, "")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := chk.Check(ctx); err == nil {
		t.Fatal("a hanging server passed")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("check took %s with a 100ms deadline", d)
	}
}

// TestHTTPCheckNeedsTheWholeAnswer: a status line is not enough; the body
// must arrive, whole, within the check's timeout, and be no longer than
// maxBody.
func TestHTTPCheckNeedsTheWholeAnswer(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/trickle": // the status and a first byte, then the rest never comes
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(200)
			_, _ = w.Write([]byte("x"))
			w.(http.Flusher).Flush()
			<-release
		case "/chunked": // chunked: a first chunk, then nothing
			w.WriteHeader(200)
			_, _ = w.Write([]byte("server is"))
			w.(http.Flusher).Flush()
			<-release
		case "/huge":
			_, _ = w.Write([]byte(strings.Repeat("x", maxBody+1)))
		}
	}))
	defer srv.Close()
	defer close(release)
	for path, want := range map[string]string{"/trickle": "did not arrive whole", "/chunked": "did not arrive whole", "/huge": "longer than"} {
		chk, err := ParseCheck(srv.URL+path, "")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		start := time.Now()
		err = chk.Check(ctx)
		cancel()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: check = %v, want an error containing %q", path, err, want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: check took %s with a 200ms deadline", path, d)
		}
	}
}

func TestTCPCheck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	chk, _ := ParseCheck("tcp://"+addr, "")
	if err := chk.Check(context.Background()); err != nil {
		t.Errorf("open port: %v", err)
	}
	ln.Close()
	if err := chk.Check(context.Background()); err == nil {
		t.Error("closed port passed")
	}
}

func TestLogCheckOnlyCountsLinesWrittenAfterBegin(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "logs", "node", "node.log")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	appendFile(t, p, "INFO ## the otter server is running now ......\n") // from the last run
	chk, err := ParseCheck("log:logs/node/node.log:the otter server is running now", dir)
	if err != nil {
		t.Fatal(err)
	}
	chk.(baseliner).Begin()
	ctx := context.Background()
	if err := chk.Check(ctx); err == nil {
		t.Fatal("an old line made the check pass")
	}
	appendFile(t, p, "INFO starting\nINFO ## the otter server is run")
	if err := chk.Check(ctx); err == nil || !strings.Contains(err.Error(), "not seen yet") {
		t.Fatalf("check = %v; want not seen yet", err)
	}
	appendFile(t, p, "ning now ......\n")
	if err := chk.Check(ctx); err != nil {
		t.Fatalf("check after the line = %v", err)
	}
	if err := os.Truncate(p, 0); err != nil {
		t.Fatal(err)
	}
	if err := chk.Check(ctx); err != nil {
		t.Error("once seen, the check stays passed")
	}
}

func TestLogCheckFileCreatedLaterAndRotated(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "node.log")
	chk, _ := ParseCheck("log:"+p+":running now", "")
	chk.(baseliner).Begin()
	if err := chk.Check(context.Background()); err == nil {
		t.Fatal("passed with no file")
	}
	appendFile(t, p, "a\n")
	if err := chk.Check(context.Background()); err == nil {
		t.Fatal("passed without the text")
	}
	if err := os.Rename(p, p+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, p, "x running now\n")
	if err := chk.Check(context.Background()); err != nil {
		t.Fatalf("text in the file after rotation: %v", err)
	}
}

func appendFile(t *testing.T, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func FuzzParseCheck(f *testing.F) {
	for _, s := range []string{"none", "http://127.0.0.1:8080/monitor/ok.htm", "tcp://[::1]:1", "log:a:b", "log:::", "https://u:p@h:1/x?y#z", "tcp://h:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		c, err := ParseCheck(spec, "/home")
		if err != nil {
			if c != nil {
				t.Fatal("check with error")
			}
			return
		}
		if c.Name() == "" {
			t.Fatalf("ParseCheck(%q): empty name", spec)
		}
	})
}
