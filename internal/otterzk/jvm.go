package otterzk

import (
	"bytes"
	"os"
	"strconv"

	"github.com/prometheus/procfs"

	"otter-entrypoint/internal/otter"
)

// NodeJVMAlive reports whether a process visible here (in this container's
// PID namespace) runs Otter's node main class with -Dnid=<nid>: the JVM
// whose session a recorded registration belongs to. After a container
// restart, or once the entrypoint has reaped its java, there is none.
func NodeJVMAlive(nid int) (bool, error) {
	fs, err := procfs.NewDefaultFS()
	if err != nil {
		return false, err
	}
	procs, err := fs.AllProcs()
	if err != nil {
		return false, err
	}
	self := os.Getpid()
	main := []byte(otter.Node.MainClass())
	flag := []byte("-Dnid=" + strconv.Itoa(nid))
	for _, p := range procs {
		if p.PID == self {
			continue
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(p.PID) + "/cmdline")
		if err != nil {
			continue // gone meanwhile, or not ours to read
		}
		var hasMain, hasNid bool
		for _, arg := range bytes.Split(b, []byte{0}) {
			hasMain = hasMain || bytes.Equal(arg, main)
			hasNid = hasNid || bytes.Equal(arg, flag)
		}
		if hasMain && hasNid {
			return true, nil
		}
	}
	return false, nil
}
