package main

// Child programs for the black-box tests. The test binary re-executes itself
// with OTTER_TEST_HELPER set to play one of these roles under the built
// entrypoint (the pattern os/exec's own tests use).

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// runHelper runs the helper named by OTTER_TEST_HELPER and exits; it
// returns only when the variable is unset.
func runHelper() {
	mode := os.Getenv("OTTER_TEST_HELPER")
	if mode == "" {
		return
	}
	os.Unsetenv("OTTER_TEST_HELPER")
	switch mode {
	case "recorder":
		os.Exit(helperRecorder())
	case "tree":
		os.Exit(helperTree())
	case "orphans":
		os.Exit(helperOrphans())
	case "spawn-orphans":
		os.Exit(helperSpawnOrphans())
	case "slowterm":
		os.Exit(helperSlowTerm())
	case "leaver":
		os.Exit(helperLeaver())
	case "inspect":
		os.Exit(helperInspect())
	case "leavegroup":
		os.Exit(helperLeaveGroup())
	case "stamp":
		// Stands in for java in BenchmarkTimeToJava: the moment it runs.
		os.WriteFile(os.Getenv("STAMP_FILE"), []byte(strconv.FormatInt(monotonicNS(), 10)), 0o644)
		os.Exit(0)
	case "sigsetup":
		helperSigSetup() // execs; returns only on failure
		os.Exit(111)
	}
	fmt.Fprintf(os.Stderr, "unknown helper %q\n", mode)
	os.Exit(111)
}

// helperRecorder prints "ready <pid>" and then one line "<pid> <signal
// number>" for every signal it receives; it exits 0 after TERM. Run it with
// GODEBUG=asyncpreemptoff=1 so that its own runtime sends it no SIGURG: any
// URG it reports then came from outside.
func helperRecorder() int {
	c := make(chan os.Signal, 4096)
	signal.Notify(c)
	pid := os.Getpid()
	out := os.Stdout
	if f := os.Getenv("RECORD_FILE"); f != "" {
		// Records into a file when the entrypoint's stdout is not there to
		// read (a test that closes it).
		var err error
		if out, err = os.OpenFile(f, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	w := bufio.NewWriter(out)
	fmt.Fprintf(w, "ready %d\n", pid)
	w.Flush()
	counts := map[syscall.Signal]int{}
	for s := range c {
		sig := s.(syscall.Signal)
		counts[sig]++
		if os.Getenv("RECORD_QUIET") == "" {
			if os.Getenv("RECORD_TIME") != "" {
				// CLOCK_MONOTONIC is system-wide: the sender subtracts its own
				// reading taken before kill(), leaving out pipe and reader delays.
				fmt.Fprintf(w, "%d %d at %d\n", pid, int(sig), monotonicNS())
			} else {
				fmt.Fprintf(w, "%d %d\n", pid, int(sig))
			}
			w.Flush()
		}
		if sig == syscall.SIGTERM {
			if os.Getenv("RECORD_QUIET") != "" {
				var parts []string
				for k, v := range counts {
					parts = append(parts, fmt.Sprintf("%d=%d", int(k), v))
				}
				fmt.Fprintf(w, "counts %s\n", strings.Join(parts, " "))
				w.Flush()
			}
			return 0
		}
	}
	return 1
}

// helperTree starts a recorder grandchild in its own process group-mate
// position (same group), prints "tree <grandchild pid>", then records like
// helperRecorder.
func helperTree() int {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "OTTER_TEST_HELPER=recorder")
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("tree %d\n", cmd.Process.Pid)
	return helperRecorder()
}

// helperOrphans is tini's reaping stage 1: it makes a process that starts
// N short sleepers and exits at once, so the sleepers are orphaned to the
// supervisor; then it checks that each of them was re-parented to the
// supervisor and that none is left as a zombie within 1 s of their end.
func helperOrphans() int {
	n, _ := strconv.Atoi(os.Getenv("ORPHANS"))
	super := os.Getppid()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "OTTER_TEST_HELPER=spawn-orphans")
	out, err := cmd.Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "spawn-orphans:", err)
		return 1
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		p, _ := strconv.Atoi(f)
		pids = append(pids, p)
	}
	if len(pids) != n {
		fmt.Fprintf(os.Stderr, "spawned %d orphans, want %d\n", len(pids), n)
		return 1
	}
	// Every sleeper still alive must have been re-parented to the
	// supervisor (one that already ended was reaped by someone).
	stray := func(p int) (bool, string) {
		st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			return false, ""
		}
		f := statFields(string(st))
		if len(f) < 2 {
			return false, ""
		}
		// State X is a process being reaped this very moment (its parent
		// reads as 0): not a stray.
		ppid, err := strconv.Atoi(f[1])
		return err == nil && ppid != super && f[0] != "X", string(st)
	}
	strays := 0
	for _, p := range pids {
		if is, _ := stray(p); !is {
			continue
		}
		// Look again: a process caught between states (exiting, being
		// reaped) settles within moments.
		time.Sleep(20 * time.Millisecond)
		if is, st := stray(p); is {
			strays++
			fmt.Fprintf(os.Stderr, "stray %d: %s\n", p, st)
		}
	}
	// The sleepers end 500 ms after they start; give them that, then 1 s.
	deadline := time.Now().Add(1500 * time.Millisecond)
	for {
		left := 0
		for _, p := range pids {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", p)); err == nil {
				left++
			}
		}
		if left == 0 {
			fmt.Printf("orphans reaped %d strays %d\n", n, strays)
			return 0
		}
		if time.Now().After(deadline) {
			zombies := 0
			for _, p := range pids {
				st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p)) // unreadable: gone
				if f := statFields(string(st)); len(f) > 0 && f[0] == "Z" {
					zombies++
				}
			}
			fmt.Printf("orphans left %d zombies %d strays %d\n", left, zombies, strays)
			return 1
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func helperSpawnOrphans() int {
	n, _ := strconv.Atoi(os.Getenv("ORPHANS"))
	var b strings.Builder
	for i := 0; i < n; i++ {
		cmd := exec.Command("sleep", "0.5")
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Fprintf(&b, "%d\n", cmd.Process.Pid)
	}
	os.Stdout.WriteString(b.String())
	return 0 // exit without waiting: the sleepers become orphans
}

// helperSlowTerm writes "ready", and on TERM takes 300 ms to clean up, then
// writes "cleaned" into $CLEAN_FILE and exits 0.
func helperSlowTerm() int {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM)
	os.WriteFile(os.Getenv("READY_FILE"), []byte("ready"), 0o644)
	<-c
	time.Sleep(300 * time.Millisecond) // the slow handler under test
	os.WriteFile(os.Getenv("CLEAN_FILE"), []byte("cleaned"), 0o644)
	return 0
}

// helperLeaver starts a slowterm grandchild, waits until it is ready and
// exits, leaving it behind for the supervisor's drain.
func helperLeaver() int {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "OTTER_TEST_HELPER=slowterm")
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := 0; i < 500; i++ {
		if _, err := os.Stat(os.Getenv("READY_FILE")); err == nil {
			return 0
		}
		time.Sleep(10 * time.Millisecond)
	}
	return 1
}

// helperInspect prints what the child was given: its working directory, a
// variable, its open file descriptors, and its signal mask and ignored set.
func helperInspect() int {
	wd, _ := os.Getwd()
	fmt.Printf("cwd %s\n", wd)
	fmt.Printf("env %s\n", os.Getenv("INSPECT_VAR"))
	ents, _ := os.ReadDir("/proc/self/fd")
	var fds []string
	for _, e := range ents {
		target, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if strings.Contains(target, "/proc/") && strings.HasSuffix(target, "/fd") {
			continue // the directory being read
		}
		fds = append(fds, e.Name())
	}
	fmt.Printf("fds %s\n", strings.Join(fds, ","))
	st, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(st), "\n") {
		if strings.HasPrefix(line, "SigBlk:") || strings.HasPrefix(line, "SigIgn:") {
			fmt.Println(line)
		}
	}
	return 0
}

// statFields returns the fields of a /proc/<pid>/stat line after the
// command name, which may itself hold ") ": state, parent pid, ...
func statFields(stat string) []string {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(stat[i+1:])
}

// helperSigSetup blocks USR1 and USR2, ignores INT, HUP, TSTP and TTOU, then
// executes SIGSETUP_EXEC with the remaining arguments: it starts the
// entrypoint with a signal state like tini's sigconf test.
func helperSigSetup() {
	runtime.LockOSThread()
	signal.Ignore(syscall.SIGINT, syscall.SIGHUP, syscall.SIGTSTP, syscall.SIGTTOU)
	var set unix.Sigset_t
	for _, s := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGUSR2} {
		set.Val[(s-1)/64] |= 1 << (uint(s-1) % 64)
	}
	if err := unix.PthreadSigmask(unix.SIG_BLOCK, &set, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	args := strings.Fields(os.Getenv("SIGSETUP_ARGS"))
	err := syscall.Exec(os.Getenv("SIGSETUP_EXEC"), append([]string{"otter-entrypoint"}, args...), os.Environ())
	fmt.Fprintln(os.Stderr, err)
}

// monotonicNS reads CLOCK_MONOTONIC, which every process on the machine
// shares.
func monotonicNS() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}

// helperLeaveGroup leaves the process group the entrypoint started it in:
// it starts a sleep in a group of its own and joins that group, so that the
// group it was started in no longer exists. It ignores TERM (so only a KILL
// ends it), then records USR1 and USR2 like helperRecorder after printing
// "moved <pid>".
func helperLeaveGroup() int {
	_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0, 0, 0)
	signal.Ignore(syscall.SIGTERM)
	c := make(chan os.Signal, 16)
	signal.Notify(c, syscall.SIGUSR1, syscall.SIGUSR2)
	sleep := exec.Command("sleep", "60")
	sleep.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := sleep.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := unix.Setpgid(0, sleep.Process.Pid); err != nil {
		fmt.Fprintln(os.Stderr, "setpgid:", err)
		return 1
	}
	pid := os.Getpid()
	fmt.Printf("moved %d\n", pid)
	for sig := range c {
		fmt.Printf("%d %d\n", pid, int(sig.(syscall.Signal)))
	}
	return 0
}
