package prestart

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"otter-entrypoint/internal/exit"
	"otter-entrypoint/internal/otter"
	"otter-entrypoint/internal/testkit"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"
)

func TestParseWaitFor(t *testing.T) {
	cases := []struct {
		spec string
		want []string
		err  string
	}{
		{"none", nil, ""},
		{"", nil, ""},
		{"tcp://db:3306, zk:2181 ,http://manager:8080/monitor/ok.htm", []string{"tcp://db:3306", "tcp://zk:2181", "http://manager:8080/monitor/ok.htm"}, ""},
		{"[::1]:1099", []string{"tcp://[::1]:1099"}, ""},
		{"db", nil, "not host:port"},
		{"udp://x:1", nil, "unknown scheme"},
		{"tcp://x:0", nil, "port"},
		{"http://user:hunter2@:80/", nil, "not a valid URL"},
		{",", nil, "names no target"},
	}
	for _, c := range cases {
		got, err := ParseWaitFor(c.spec)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "ENTRYPOINT_WAIT_FOR") || strings.Contains(err.Error(), "hunter2") {
				t.Errorf("ParseWaitFor(%q) = %q, %v; want an error about %q naming the setting, no password", c.spec, got, err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ParseWaitFor(%q) = %q, %v; want %q", c.spec, got, err, c.want)
		}
	}
}

func TestWaitForSucceedsOnceEveryTargetAnswers(t *testing.T) {
	// A port that opens later, and an HTTP server answering 503 (up).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer web.Close()
	core, logs := observer.New(zap.InfoLevel)
	log := zaptest.NewLogger(t, zaptest.WrapOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return zapcore.NewTee(c, core) })))
	done := make(chan error, 1)
	go func() {
		done <- WaitForChecks(context.Background(), []string{"tcp://" + addr, web.URL + "/monitor/ok.htm"}, nil, time.Minute, log, time.Now)
	}()
	// The closed port has been tried and found closed (logged at the
	// first failure): WaitFor must still be waiting.
	testkit.Eventually(t, "a failed attempt on the closed port", 20*time.Second, func() bool {
		return logs.FilterMessage("still waiting for dependencies").Len() > 0
	}, nil)
	select {
	case err := <-done:
		t.Fatalf("WaitFor returned %v while a port was closed", err)
	default:
	}
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("could not reopen %s: %v", addr, err)
	}
	defer ln.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("WaitFor = %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("WaitFor did not notice the port opening")
	}
}

func TestWaitForTimesOutWithExitCode69(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	up, _ := net.Listen("tcp", "127.0.0.1:0")
	defer up.Close()
	core, logs := observer.New(zap.InfoLevel)
	err := WaitForChecks(context.Background(), []string{"tcp://" + closed, "tcp://" + up.Addr().String()}, nil, 700*time.Millisecond, zap.New(core), time.Now)
	if exit.Code(err) != exit.Unavailable {
		t.Fatalf("WaitFor = %v (exit code %d); want exit code 69", err, exit.Code(err))
	}
	if !strings.Contains(err.Error(), closed) || strings.Contains(err.Error(), up.Addr().String()) {
		t.Errorf("error %q must name only the unreachable target", err)
	}
	if logs.FilterMessage("still waiting for dependencies").Len() == 0 {
		t.Error("no progress was logged")
	}
}

func TestWaitForReturnsAtOnceOnCancel(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- WaitForChecks(ctx, []string{"tcp://" + closed}, nil, time.Hour, zap.NewNop(), time.Now)
	}()
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("WaitFor after cancel = %v", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %s to return after cancel", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WaitFor ignored the cancellation")
	}
}

// TestWaitForTargetsKeepSecrets: a password in a wait target (user info,
// a secret-named query value) appears in no error and no log line, valid
// or malformed, reachable or not.
func TestWaitForTargetsKeepSecrets(t *testing.T) {
	for _, spec := range []string{
		"http://u:hunter2@h:port/",
		"http://u:hunter2@h:1/%zz",
		"tcp://u:hunter2@db:3306",
		"u:hunter2@db:3306",
		"ftp://u:hunter2@h/",
		"http://h:port/?token=hunter2",
	} {
		if _, err := ParseWaitFor(spec); err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseWaitFor(%q) = %v: want an error without the password", spec, err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	targets, err := ParseWaitFor("http://u:hunter2@" + closed + "/x?token=hunter2&a=b")
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.DebugLevel)
	err = WaitForChecks(context.Background(), targets, nil, 300*time.Millisecond, zap.New(core), time.Now)
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), closed) {
		t.Errorf("WaitFor error %v: want the target named without the password", err)
	}
	for _, e := range logs.All() {
		line := e.Message
		for k, v := range e.ContextMap() {
			line += fmt.Sprintf(" %s=%v", k, v)
		}
		if strings.Contains(line, "hunter2") {
			t.Errorf("log line shows the password: %s", line)
		}
	}
	if logs.Len() == 0 {
		t.Error("no log lines to check")
	}
	if _, err := newWaitProbe("http://u:hunter2@h:port/", zap.NewNop()); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("newWaitProbe(malformed) = %v: want an error without the password", err)
	}
}

func TestWaitForNothingAndBadTargets(t *testing.T) {
	if err := WaitForChecks(context.Background(), nil, nil, time.Second, zap.NewNop(), time.Now); err != nil {
		t.Errorf("WaitFor(nothing) = %v", err)
	}
	if err := WaitForChecks(context.Background(), []string{"ftp://x:1"}, nil, time.Second, zap.NewNop(), time.Now); err == nil {
		t.Error("WaitFor accepted ftp://")
	}
}

func FuzzParseWaitFor(f *testing.F) {
	for _, s := range []string{"none", "tcp://db:3306,zk:2181", "http://u:p@h:1/x", "[::1]:1", ",", "tcp://[:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := ParseWaitFor(spec)
		if err != nil {
			return
		}
		for _, g := range got {
			if _, err := newWaitProbe(g, zap.NewNop()); err != nil {
				t.Fatalf("ParseWaitFor(%q) gave %q which WaitFor rejects: %v", spec, g, err)
			}
		}
	})
}

func FuzzMySQLTargets(f *testing.F) {
	for _, s := range []string{"jdbc:mysql://db:3306/otter?x=1", "jdbc:mysql://a,b:1/x", "jdbc:mysql://address=(host=a)(port=1)", "jdbc:mariadb://[::1]/", "jdbc:mysql://(", "jdbc:mysql://u:p@h/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		got, err := otter.MySQLTargets(u)
		if err != nil {
			if strings.Contains(u, "?") && strings.Contains(err.Error(), u[strings.Index(u, "?"):]) && len(u[strings.Index(u, "?"):]) > 3 {
				t.Fatalf("error %q repeats the URL's query", err)
			}
			return
		}
		for _, g := range got {
			if _, err := ParseWaitFor(g); err != nil {
				t.Fatalf("MySQLTargets(%q) gave %q that ParseWaitFor rejects: %v", u, g, err)
			}
		}
	})
}

func FuzzHostPortTargets(f *testing.F) {
	for _, s := range []string{"a:1,b:2;c:3/x", "[::1]:2181", ";;", "a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := otter.HostPortTargets(s)
		if err != nil {
			return
		}
		for _, g := range got {
			if _, err := ParseWaitFor(g); err != nil {
				t.Fatalf("HostPortTargets(%q) gave %q that ParseWaitFor rejects: %v", s, g, err)
			}
		}
	})
}
