package supervisor

import (
	"os"
	"os/signal"
	"syscall"
)

// Signals receives the signals the supervisor handles. Create it with
// Notify as the very first thing in main.
type Signals struct {
	C chan os.Signal
}

// Notify starts receiving every signal the supervisor forwards or acts on.
func Notify() *Signals {
	s := &Signals{C: make(chan os.Signal, 4096)}
	signal.Notify(s.C, handledSignals()...)
	return s
}

// Stop stops the delivery of signals to s.
func (s *Signals) Stop() { signal.Stop(s.C) }

func handledSignals() []os.Signal {
	return []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD}
}

func signalName(s syscall.Signal) string { return s.String() }
