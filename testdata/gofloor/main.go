// Command gofloor is the least any Go PID 1 does to run a command: it asks
// os/signal for the signals otter-entrypoint forwards, starts the command
// and waits for it. .ci/bench times it beside tini, dumb-init and
// otter-entrypoint to show how much of the launch overhead is Go's own
// (runtime start-up, one round trip to a runtime thread per signal
// handler) rather than the entrypoint's.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		os.Stderr.WriteString("usage: gofloor [-nosignals] CMD [ARGS...]\n")
		os.Exit(2)
	}
	args := os.Args[1:]
	if args[0] == "-nosignals" {
		args = args[1:]
	} else {
		c := make(chan os.Signal, 64)
		var sigs []os.Signal
		for n := 1; n <= 64; n++ {
			switch s := syscall.Signal(n); s {
			case syscall.SIGKILL, syscall.SIGSTOP, syscall.SIGURG, syscall.SIGSEGV, syscall.SIGBUS,
				syscall.SIGFPE, syscall.SIGILL, syscall.SIGTRAP, syscall.SIGSYS, syscall.SIGABRT,
				syscall.SIGSTKFLT, syscall.SIGPROF, 32, 33, 34:
			default:
				sigs = append(sigs, s)
			}
		}
		signal.Notify(c, sigs...)
	}
	pid, err := syscall.ForkExec(args[0], args, &syscall.ProcAttr{Env: os.Environ(), Files: []uintptr{0, 1, 2}})
	if err != nil {
		os.Stderr.WriteString("gofloor: " + err.Error() + "\n")
		os.Exit(127)
	}
	var ws syscall.WaitStatus
	for {
		_, err := syscall.Wait4(pid, &ws, 0, nil)
		if err != syscall.EINTR {
			break
		}
	}
	os.Exit(ws.ExitStatus())
}
