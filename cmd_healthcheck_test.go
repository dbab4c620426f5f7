package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"otter-entrypoint/internal/exit"
	"otter-entrypoint/internal/testkit"
	"otter-entrypoint/probes"
	"otter-entrypoint/supervisor"
)

func healthcheckApp(env ...string) (*app, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &app{stdout: &out, stderr: &errb, environ: env, now: time.Now}, &out, &errb
}

// TestHealthcheckAgainstARunningServer runs the real probes server on
// 127.0.0.1 and asks it the way a Docker HEALTHCHECK does.
func TestHealthcheckAgainstARunningServer(t *testing.T) {
	s, err := probes.NewServer(probes.Config{Listen: "127.0.0.1:0", ReadyInterval: time.Hour}, zap.NewNop(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	listen := "ENTRYPOINT_LISTEN=" + s.Addr()

	run := func(args ...string) (int, string) {
		a, out, errb := healthcheckApp(listen)
		code := cmdHealthcheck(a, args)
		return code, out.String() + errb.String()
	}
	if code, out := run(); code != exit.OK || !strings.Contains(out, "livez ok") {
		t.Errorf("healthcheck (livez, child not started yet) = %d %q; want 0", code, out)
	}
	if code, out := run("readyz"); code != exit.Failure || !strings.Contains(out, "503") {
		t.Errorf("healthcheck readyz before the child runs = %d %q; want 1 with the 503", code, out)
	}
	s.ChildStarted(1, time.Now()) // runs the check (none) at once
	testkit.Eventually(t, "healthcheck readyz to exit 0 once the child runs", 15*time.Second, func() bool {
		code, _ := run("readyz")
		return code == exit.OK
	}, nil)
	s.StopRequested(15, time.Now())
	if code, _ := run("readyz"); code != exit.Failure {
		t.Errorf("healthcheck readyz while stopping = %d; want 1", code)
	}
	s.ChildExited(supervisor.ExitStatus{Code: 143}, time.Now())
	if code, out := run("livez"); code != exit.Failure || !strings.Contains(out, "exited") {
		t.Errorf("healthcheck livez after exit = %d %q; want 1", code, out)
	}
}

func TestHealthcheckUsageAndSettings(t *testing.T) {
	a, _, errb := healthcheckApp()
	if code := cmdHealthcheck(a, []string{"startupz"}); code != exit.Usage || !strings.Contains(errb.String(), "livez or readyz") {
		t.Errorf("unknown endpoint = %d %q", code, errb.String())
	}
	a, _, _ = healthcheckApp()
	if code := cmdHealthcheck(a, []string{"livez", "readyz"}); code != exit.Usage {
		t.Errorf("two endpoints = %d", code)
	}
	a, _, errb = healthcheckApp("ENTRYPOINT_LISTEN=off")
	if code := cmdHealthcheck(a, nil); code != exit.Failure || !strings.Contains(errb.String(), "off") {
		t.Errorf("server off = %d %q", code, errb.String())
	}
	// Nothing listens on a closed port: fails fast, exit 1.
	a, _, errb = healthcheckApp("ENTRYPOINT_LISTEN=127.0.0.1:1")
	start := time.Now()
	if code := cmdHealthcheck(a, nil); code != exit.Failure {
		t.Errorf("nothing listening = %d %q", code, errb.String())
	}
	if d := time.Since(start); d > healthcheckTimeout+time.Second {
		t.Errorf("took %s", d)
	}
}

func TestClientAddress(t *testing.T) {
	for in, want := range map[string]string{":9779": "127.0.0.1:9779", "0.0.0.0:80": "127.0.0.1:80", "[::]:9779": "127.0.0.1:9779",
		"10.0.0.5:9779": "10.0.0.5:9779", "[::1]:9779": "[::1]:9779"} {
		if got, err := probes.ClientAddress(in); err != nil || got != want {
			t.Errorf("ClientAddress(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
