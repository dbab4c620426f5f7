package main

// Black-box tests of issue 12's stop classes: a stop at every moment, a
// stop that always stops, signals that cannot crash PID 1, and exit codes
// that tell the truth. Each runs the built entrypoint, as PID 1 of a new
// PID namespace where it matters, and as a plain process.

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"otter-entrypoint/internal/otterstub"
	"otter-entrypoint/internal/testkit"
)

// startAs starts the entrypoint, as PID 1 of a new PID namespace when pid1
// is set, and returns it with a function that signals the entrypoint itself
// (not unshare).
func startAs(t *testing.T, pid1 bool, env []string, args ...string) (*proc, func(syscall.Signal)) {
	t.Helper()
	if !pid1 {
		p := start(t, env, args...)
		return p, p.signal
	}
	requireUnshare(t)
	cmd := exec.Command("unshare", append([]string{"--fork", "--pid", "--mount-proc", entrypointBin}, args...)...)
	p := startCmd(t, cmd, env)
	target := findChild(t, cmd.Process.Pid)
	return p, func(sig syscall.Signal) {
		t.Helper()
		if err := syscall.Kill(target, sig); err != nil {
			t.Fatalf("signal %v: %v", sig, err)
		}
	}
}

func modeName(pid1 bool) string {
	if pid1 {
		return "pid1"
	}
	return "subreaper"
}

// scriptJDK makes a JAVA_HOME whose bin/java is a shell script. With
// version set it has a release file; without, the entrypoint must run
// `java -version` to learn the version.
func scriptJDK(t *testing.T, version, script string) string {
	t.Helper()
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if version != "" {
		if err := os.WriteFile(filepath.Join(home, "release"), []byte("JAVA_VERSION=\""+version+"\"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(home, "bin", "java"), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	return home
}

// pidGone reports whether the pid written in file has ended.
func pidGone(file string) func() bool {
	return func() bool {
		b, err := os.ReadFile(file)
		if err != nil {
			return false
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return true
		}
		f := statFields(string(st))
		return len(f) > 0 && (f[0] == "Z" || f[0] == "X")
	}
}

// §1: a TERM or INT while `java -version` runs (here it never answers)
// ends the entrypoint at once with 128+N, kills what java -version
// started, and gives the same result with and without ENTRYPOINT_WAIT_FOR.
func TestStopWhileJavaVersionRuns(t *testing.T) {
	home := otterstub.Home(t, "manager", filepath.Join(t.TempDir(), "manager"))
	closed := testkit.FreePorts(t, 1)[0]
	for _, pid1 := range []bool{false, true} {
		for _, waitFor := range []string{"none", fmt.Sprintf("tcp://127.0.0.1:%d", closed)} {
			for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
				name := fmt.Sprintf("%s/wait=%s/%s", modeName(pid1), waitFor, sig)
				t.Run(name, func(t *testing.T) {
					pidFile := filepath.Join(t.TempDir(), "java-version-child")
					jdk := scriptJDK(t, "", `sleep 60 & echo $! > "`+pidFile+`"; exec sleep 60`)
					p, signal := startAs(t, pid1, []string{"JAVA_HOME=" + jdk, "OTTER_HOME=" + home,
						"ENTRYPOINT_RENDER_DIR=" + t.TempDir(), "ENTRYPOINT_WAIT_FOR=" + waitFor}, "manager")
					testkit.Eventually(t, "java -version runs", 20*time.Second, func() bool {
						_, err := os.Stat(pidFile)
						return err == nil
					}, p.stderr.Bytes)
					sent := time.Now()
					signal(sig)
					if code := p.wait(15 * time.Second); code != 128+int(sig) {
						t.Fatalf("exit %d, want %d; stderr:\n%s", code, 128+int(sig), p.stderr.String())
					}
					if took := time.Since(sent); took > 2*time.Second {
						t.Errorf("%v took %v to end the entrypoint, want under a second", sig, took)
					}
					if s := p.stderr.String(); !strings.Contains(s, "stop requested before the child started") {
						t.Errorf("the stop is not logged:\n%s", s)
					}
					if !pid1 { // as PID 1, its namespace ended with it
						testkit.Eventually(t, "java -version's child is killed", 5*time.Second, pidGone(pidFile), nil)
					}
				})
			}
		}
	}
}

// §3: the stop timeout kills the child even when it has left the process
// group it was started in (so a KILL to that group reaches no one), and
// with ENTRYPOINT_SIGNAL_GROUP=true signals still reach it.
func TestStopTimeoutKillsChildThatLeftItsGroup(t *testing.T) {
	for _, pid1 := range []bool{false, true} {
		for _, group := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/group=%v", modeName(pid1), group), func(t *testing.T) {
				env := helperEnv("leavegroup", "ENTRYPOINT_STOP_TIMEOUT=300ms", "ENTRYPOINT_DRAIN_TIMEOUT=300ms",
					"ENTRYPOINT_LOG_LEVEL=debug")
				if group {
					env = append(env, "ENTRYPOINT_SIGNAL_GROUP=true")
				}
				p, signal := startAs(t, pid1, env, "run", "--", testBin(t))
				moved := p.expect(10*time.Second, "moved", func(l string) bool { return strings.HasPrefix(l, "moved ") }, nil)
				child := strings.TrimPrefix(moved, "moved ")
				signal(syscall.SIGUSR1)
				p.expect(5*time.Second, "USR1 reaches the child", func(l string) bool { return l == child+" 10" }, nil)
				sent := time.Now()
				signal(syscall.SIGTERM)
				if code := p.wait(10 * time.Second); code != 137 {
					t.Fatalf("exit %d, want 137 (killed after the stop timeout); stderr:\n%s", code, p.stderr.String())
				}
				if took := time.Since(sent); took > 5*time.Second {
					t.Errorf("took %v after TERM; the stop timeout is 300ms", took)
				}
				if s := p.stderr.String(); !strings.Contains(s, "stop requested; forwarded to the child") {
					t.Errorf("the delivered TERM is not logged as forwarded:\n%s", s)
				}
			})
		}
	}
}

// §3: no signal sent with kill crashes the entrypoint or orphans its
// child, as PID 1 or not: the fault signals (ABRT, SEGV, ...) which the Go
// runtime turns into a crash unless asked for, and every other one. The
// child never receives the fault signals, CHLD, URG, TTIN or TTOU.
func TestNoSignalCrashesTheEntrypoint(t *testing.T) {
	never := map[syscall.Signal]bool{syscall.SIGCHLD: true, syscall.SIGURG: true, syscall.SIGTTIN: true, syscall.SIGTTOU: true}
	for _, sig := range []syscall.Signal{syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGFPE, syscall.SIGILL,
		syscall.SIGTRAP, syscall.SIGSYS, syscall.SIGABRT, syscall.SIGSTKFLT} {
		never[sig] = true
	}
	for _, pid1 := range []bool{false, true} {
		t.Run(modeName(pid1), func(t *testing.T) {
			p, signal := startAs(t, pid1, helperEnv("recorder"), "run", "--", testBin(t))
			ready := p.expect(10*time.Second, "ready", func(l string) bool { return strings.HasPrefix(l, "ready ") }, nil)
			child := strings.TrimPrefix(ready, "ready ")
			received := map[string]bool{}
			seen := func(l string) { received[l] = true }
			// The fault signals first and alone: each must leave the
			// entrypoint forwarding (the USR1 after it arrives).
			for sig := range never {
				signal(sig)
				signal(syscall.SIGUSR1)
				p.expect(5*time.Second, "USR1 after "+sig.String(), func(l string) bool { return l == child+" 10" }, seen)
			}
			// Then every other signal but the ones that cannot be caught,
			// that stop it, and (not as PID 1) 32 and 34, which a static Go
			// program cannot catch (TestSignal32EndsJavaToo).
			for n := 1; n <= 64; n++ {
				switch sig := syscall.Signal(n); {
				case sig == syscall.SIGKILL, sig == syscall.SIGSTOP, sig == syscall.SIGTERM, sig == syscall.SIGINT:
				case !pid1 && (n == 32 || n == 34):
				default:
					signal(sig)
				}
			}
			signal(syscall.SIGUSR2)
			p.expect(5*time.Second, "USR2 after the sweep", func(l string) bool { return l == child+" 12" }, seen)
			signal(syscall.SIGTERM)
			p.expect(5*time.Second, "TERM", func(l string) bool { return l == child+" 15" }, seen)
			if code := p.wait(10 * time.Second); code != 0 {
				t.Fatalf("exit %d, want 0; stderr:\n%s", code, p.stderr.String())
			}
			for sig := range never {
				if received[fmt.Sprintf("%s %d", child, int(sig))] {
					t.Errorf("the child received %v", sig)
				}
			}
			if s := p.stderr.String(); !strings.Contains(s, "signal ignored: fault signals") {
				t.Errorf("the ignored fault signals are not logged:\n%s", s)
			}
		})
	}
}

// §3: not as PID 1, signals 32 and 34 end the entrypoint (the Go runtime
// leaves them at their default in a static binary, and os/signal cannot
// ask for them); java must then not be orphaned: it gets TERM.
func TestSignal32EndsJavaToo(t *testing.T) {
	for _, sig := range []syscall.Signal{32, 34} {
		t.Run(strconv.Itoa(int(sig)), func(t *testing.T) {
			p := start(t, helperEnv("recorder"), "run", "--", testBin(t))
			ready := p.expect(10*time.Second, "ready", func(l string) bool { return strings.HasPrefix(l, "ready ") }, nil)
			child := strings.TrimPrefix(ready, "ready ")
			p.signal(sig)
			// The recorder exits 0 on TERM; its stdout is the test's pipe.
			p.expect(10*time.Second, "the child's TERM", func(l string) bool { return l == child+" 15" }, nil)
		})
	}
}

// §3: with stdout and stderr closed by their reader, the entrypoint's own
// writes raise PIPE: it must neither die of it nor pass it on to the
// child, which nobody asked to get it.
func TestClosedStdioNeitherKillsNorForwardsPIPE(t *testing.T) {
	for _, pid1 := range []bool{false, true} {
		t.Run(modeName(pid1), func(t *testing.T) {
			if pid1 {
				requireUnshare(t)
			}
			record := filepath.Join(t.TempDir(), "record")
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			r.Close() // whatever the entrypoint writes raises PIPE
			args := []string{"run", "--", testBin(t)}
			cmd := exec.Command(entrypointBin, args...)
			if pid1 {
				cmd = exec.Command("unshare", append([]string{"--fork", "--pid", "--mount-proc", entrypointBin}, args...)...)
			}
			// Debug level: every forwarded signal is logged, so every one
			// makes the entrypoint write to the closed stderr.
			cmd.Env = append(os.Environ(), append(helperEnv("recorder", "RECORD_FILE="+record),
				"ENTRYPOINT_LISTEN=127.0.0.1:0", "ENTRYPOINT_LOG_LEVEL=debug")...)
			cmd.Stdout, cmd.Stderr = w, w
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			w.Close()
			done := waitOrKillTree(t, cmd)
			target := cmd.Process.Pid
			if pid1 {
				target = findChild(t, cmd.Process.Pid)
			}
			recorded := func(want string) func() bool {
				return func() bool {
					b, _ := os.ReadFile(record)
					return strings.Contains(string(b), want)
				}
			}
			testkit.Eventually(t, "the child is ready", 10*time.Second, recorded("ready "), nil)
			b, _ := os.ReadFile(record)
			child := strings.TrimSpace(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "ready "))
			// USR1's log line raises a PIPE before USR2 is handled, and
			// USR2's before TERM is sent.
			for _, sig := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGUSR2} {
				if err := syscall.Kill(target, sig); err != nil {
					t.Fatal(err)
				}
				testkit.Eventually(t, sig.String()+" reaches the child", 5*time.Second, recorded(fmt.Sprintf("%s %d\n", child, int(sig))), nil)
			}
			if err := syscall.Kill(target, syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("the entrypoint did not exit 0: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the entrypoint did not exit after TERM")
			}
			b, _ = os.ReadFile(record)
			if strings.Contains(string(b), fmt.Sprintf("%s %d\n", child, int(syscall.SIGPIPE))) {
				t.Errorf("the child received the PIPE raised by the entrypoint's own writes:\n%s", b)
			}
		})
	}
}

// managerEnv is a manager on the Otter stand-in and a real JDK with free
// ports, its probes on probePort.
func managerEnv(t *testing.T, jdk testkit.JDK, probePort int, extra ...string) []string {
	home := otterstub.Home(t, "manager", filepath.Join(t.TempDir(), "manager"))
	ports := testkit.FreePorts(t, 2)
	return append([]string{
		"JAVA_HOME=" + jdk.Home, "OTTER_HOME=" + home,
		"ENTRYPOINT_RENDER_DIR=" + t.TempDir(), "ENTRYPOINT_WAIT_FOR=none", "ENTRYPOINT_READY_INTERVAL=200ms",
		"ENTRYPOINT_LISTEN=127.0.0.1:" + strconv.Itoa(probePort),
		"OTTER_PORT=" + strconv.Itoa(ports[0]), "OTTER_COMMUNICATION_MANAGER_PORT=" + strconv.Itoa(ports[1]),
	}, extra...)
}

// §3: HUP is a stop request like TERM: readiness turns 503 first, and the
// JVM's 129 is the exit code, not 70 ("nothing asked").
func TestManagerHUPIsAStop(t *testing.T) {
	jdk := testkit.JDKs(t)[0]
	probePort := testkit.FreePorts(t, 1)[0]
	// The stand-in takes 2 s to shut down, so that /readyz can be seen
	// turning 503 before the entrypoint exits.
	p := start(t, managerEnv(t, jdk, probePort, "JAVA_OPTIONS=-Dotter.stub.shutdownDelayMs=2000"), "manager")
	p.startLine()
	waitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", probePort), 200, 30*time.Second)
	p.signal(syscall.SIGHUP)
	waitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", probePort), 503, 5*time.Second)
	if code := p.wait(30 * time.Second); code != 129 {
		t.Fatalf("exit %d after HUP, want 129; stderr:\n%s", code, p.stderr.String())
	}
	if s := p.stderr.String(); !strings.Contains(s, "stop requested; forwarded to the child") {
		t.Errorf("HUP was not taken as a stop request:\n%s", s)
	}
}

// §4: java ended by a signal sent to it directly, not through the
// entrypoint, gives 128+N and says so: KILL (as the OOM killer sends it)
// kills it, TERM makes the JVM exit 143 after its shutdown hooks. A KILL
// while the cgroup's OOM kill count stays the same is told apart from the
// OOM killer's (docker/e2e_test.go has a real OOM kill).
func TestJavaSignalledDirectlyIs128PlusN(t *testing.T) {
	jdk := testkit.JDKs(t)[0]
	const notOOM = "java was killed by a signal the entrypoint did not send, and not by the kernel's OOM killer"
	for _, tc := range []struct {
		sig  syscall.Signal
		want string
	}{
		{syscall.SIGKILL, notOOM},
		{syscall.SIGTERM, "java shut down on a signal sent to it directly"},
	} {
		t.Run(tc.sig.String(), func(t *testing.T) {
			before := countOOMKills()
			p := start(t, managerEnv(t, jdk, testkit.FreePorts(t, 1)[0]), "manager")
			st := p.startLine()
			if err := syscall.Kill(st.Pid, tc.sig); err != nil {
				t.Fatal(err)
			}
			if code := p.wait(30 * time.Second); code != 128+int(tc.sig) {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, 128+int(tc.sig), p.stderr.String())
			}
			want := tc.want
			if tc.sig == syscall.SIGKILL {
				switch before.since(countOOMKills()) {
				case oomUnknown:
					t.Logf("this machine's memory cgroup has no OOM kill count: only the generic message can be checked")
					want = "java was killed by a signal the entrypoint did not send"
				case oomKilled:
					// Another test's process was OOM-killed in a cgroup
					// below this one meanwhile: the count cannot tell.
					want = "the kernel's OOM killer killed java"
				}
			}
			if s := p.stderr.String(); !strings.Contains(s, want) || strings.Contains(s, "nothing asked it to stop") {
				t.Errorf("the log does not say %q (or says nothing asked):\n%s", want, s)
			}
		})
	}
}

// openPTY opens a pseudo-terminal pair.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		testkit.MissingTool(t, "no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

// §4: Ctrl-C on the terminal the manager runs on (make demo, docker run
// -it) is a stop the terminal asked for: exit 130, not 70.
func TestCtrlCOnTerminalIs130(t *testing.T) {
	jdk := testkit.JDKs(t)[0]
	probePort := testkit.FreePorts(t, 1)[0]
	master, slave := openPTY(t)
	cmd := exec.Command(entrypointBin, "manager")
	cmd.Env = append(os.Environ(), managerEnv(t, jdk, probePort, "ENTRYPOINT_LOG_FORMAT=console")...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	// A session of its own whose controlling terminal is the pty, like a
	// shell's foreground job or docker run -it's PID 1.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	out := &testkit.SyncBuffer{}
	go func() {
		b := make([]byte, 32<<10)
		for {
			n, err := master.Read(b)
			out.Write(b[:n])
			if err != nil {
				return
			}
		}
	}()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	done := waitOrKillTree(t, cmd)
	waitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", probePort), 200, 60*time.Second)
	if _, err := master.Write([]byte{3}); err != nil { // ^C: the terminal sends INT
		t.Fatal(err)
	}
	select {
	case err := <-done:
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != 130 {
			t.Fatalf("exit %d (%v) after Ctrl-C, want 130; terminal:\n%s", code, err, testkit.Short(out.String()))
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the entrypoint did not exit after Ctrl-C; terminal:\n%s", testkit.Short(out.String()))
	}
}

// §4: on exit 70 only the lines java wrote to its main log since this
// start are quoted, and when it wrote none the log line says so.
func TestExit70QuotesOnlyThisStartsLines(t *testing.T) {
	home := otterstub.Home(t, "manager", filepath.Join(t.TempDir(), "manager"))
	mainLog := filepath.Join(home, "logs", "manager.log")
	for _, tc := range []struct {
		name, script string
		want, not    string
	}{
		{"wrote nothing", "exit 0\n", "java wrote nothing to its log since it started", "OLD LINE"},
		{"wrote a line", "echo 'NEW LINE from this start' >> ../logs/manager.log; exit 0\n", "NEW LINE from this start", "OLD LINE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.MkdirAll(filepath.Dir(mainLog), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(mainLog, []byte("OLD LINE from an earlier start\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			jdk := scriptJDK(t, "17.0.1", tc.script)
			p := start(t, []string{"JAVA_HOME=" + jdk, "OTTER_HOME=" + home, "ENTRYPOINT_RENDER_DIR=" + t.TempDir(),
				"ENTRYPOINT_WAIT_FOR=none"}, "manager")
			if code := p.wait(30 * time.Second); code != 70 {
				t.Fatalf("exit %d, want 70; stderr:\n%s", code, p.stderr.String())
			}
			s := p.stderr.String()
			if !strings.Contains(s, tc.want) || strings.Contains(s, tc.not) {
				t.Errorf("want %q and not %q in:\n%s", tc.want, tc.not, s)
			}
		})
	}
}

// §4: a read-only logs/ (where the JVM opens its GC log and writes heap
// dumps) is a 78 naming the directory, before java starts.
func TestReadOnlyLogsIs78(t *testing.T) {
	requireUnshare(t)
	home := otterstub.Home(t, "manager", filepath.Join(t.TempDir(), "manager"))
	logs := filepath.Join(home, "logs")
	if err := os.MkdirAll(filepath.Join(logs, "gc"), 0o755); err != nil {
		t.Fatal(err)
	}
	witness := filepath.Join(t.TempDir(), "java-started")
	jdk := scriptJDK(t, "17.0.1", "touch '"+witness+"'; exec sleep 60\n")
	// A mount namespace of its own where logs/ is a read-only bind mount.
	cmd := exec.Command("unshare", "--mount", "sh", "-c",
		`mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "$0" manager`, entrypointBin, logs)
	p := startCmd(t, cmd, []string{"JAVA_HOME=" + jdk, "OTTER_HOME=" + home, "ENTRYPOINT_RENDER_DIR=" + t.TempDir(),
		"ENTRYPOINT_WAIT_FOR=none"})
	if code := p.wait(30 * time.Second); code != 78 {
		t.Fatalf("exit %d, want 78; stderr:\n%s", code, p.stderr.String())
	}
	if s := p.stderr.String(); !strings.Contains(s, logs) || !strings.Contains(s, "not writable") {
		t.Errorf("the message does not name %s as not writable:\n%s", logs, s)
	}
	if _, err := os.Stat(witness); err == nil {
		t.Errorf("java was started")
	}
}

// §4: `make demo` stopped by a TERM to make leaves no process behind and
// no port held.
func TestMakeDemoStopsOnTERM(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		testkit.MissingTool(t, "no make: %v", err)
	}
	testkit.Javac(t) // mkrelease compiles the stand-in
	ports := testkit.FreePorts(t, 3)
	demo := t.TempDir()
	cmd := exec.Command("make", "-o", "build", "demo", "BIN="+entrypointBin, "DEMO="+demo,
		"DEMO_LISTEN=127.0.0.1:"+strconv.Itoa(ports[0]))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // killed as a group if the test fails
	p := startCmd(t, cmd, []string{"OTTER_PORT=" + strconv.Itoa(ports[1]),
		"OTTER_COMMUNICATION_MANAGER_PORT=" + strconv.Itoa(ports[2])})
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	waitHTTP(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", ports[0]), 200, 120*time.Second)
	p.signal(syscall.SIGTERM)
	ch := make(chan error, 1)
	go func() { ch <- cmd.Wait() }()
	select {
	case <-ch:
		close(p.done)
	case <-time.After(60 * time.Second):
		t.Fatalf("make did not exit after TERM; stderr:\n%s", p.stderr.String())
	}
	for _, port := range ports {
		testkit.Eventually(t, fmt.Sprintf("port %d is free", port), 5*time.Second, func() bool {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
			if err != nil {
				return false
			}
			l.Close()
			return true
		}, p.stderr.Bytes)
	}
}

// GNU make starts its recipes with signals 32 and 33 (glibc's own)
// ignored; the entrypoint sets them back to the default, so java does not
// inherit them ignored and 32 ends the entrypoint as documented.
func TestLibcSignalsAreNotPassedOnIgnored(t *testing.T) {
	makeBin, err := exec.LookPath("make")
	if err != nil {
		testkit.MissingTool(t, "make is not installed (apt-get install make)")
	}
	mk := filepath.Join(t.TempDir(), "Makefile")
	recipe := "x:\n\tgrep SigIgn /proc/self/status\n\t" + entrypointBin + " run -- grep SigIgn /proc/self/status\n"
	if err := os.WriteFile(mk, []byte(recipe), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(makeBin, "-s", "-f", mk, "x")
	cmd.Env = append(os.Environ(), "ENTRYPOINT_LISTEN=off", "ENTRYPOINT_LOG_LEVEL=error")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("make: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		t.Fatalf("want the recipe's and the child's SigIgn, got %q", out)
	}
	mask := func(line string) uint64 {
		v, err := strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(line, "SigIgn:")), 16, 64)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		return v
	}
	const libc = 1<<31 | 1<<32 // signals 32 and 33
	if mask(lines[0])&libc != libc {
		t.Skipf("this make does not ignore signals 32 and 33 (%s): nothing to check", lines[0])
	}
	if got := mask(lines[1]); got&libc != 0 {
		t.Errorf("the child inherited signals 32/33 ignored: %s", lines[1])
	}
}

// waitOrKillTree waits for the started cmd in the background and returns
// its result; a cmd still running when the test ends is killed with its
// whole tree.
func waitOrKillTree(t *testing.T, cmd *exec.Cmd) <-chan error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			killTree(cmd.Process.Pid)
		}
	})
	return done
}

// TestOOMVerdict: an OOM kill is reported only when both counts were read
// and the second is larger.
func TestOOMVerdict(t *testing.T) {
	for _, tc := range []struct {
		before, after oomCount
		want          oomVerdict
	}{
		{oomCount{3, true}, oomCount{4, true}, oomKilled},
		{oomCount{3, true}, oomCount{3, true}, oomNotKilled},
		{oomCount{0, false}, oomCount{1, true}, oomUnknown},
		{oomCount{0, true}, oomCount{0, false}, oomUnknown},
	} {
		if got := tc.before.since(tc.after); got != tc.want {
			t.Errorf("%+v then %+v: %v, want %v", tc.before, tc.after, got, tc.want)
		}
	}
}
