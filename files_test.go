package main

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The last lines quoted when java exits come from a file that may be a FIFO
// or a device: reading them must neither block nor flood.
func TestLastLinesRefusesWhatIsNotARegularFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "manager.log")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, "/dev/zero"} {
		done := make(chan []string, 1)
		go func() { done <- lastLines(p, 20) }()
		select {
		case got := <-done:
			if got != nil {
				t.Errorf("lastLines(%s) = %d lines, want none", p, len(got))
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("lastLines(%s) still blocked after 5s", p)
		}
	}
}
