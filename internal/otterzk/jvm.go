package otterzk

import (
	"os"
	"slices"
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
	main, flag := otter.Node.MainClass(), "-Dnid="+strconv.Itoa(nid)
	for _, p := range procs {
		if p.PID == self {
			continue
		}
		args, err := p.CmdLine()
		if err != nil {
			continue // gone meanwhile, or not ours to read
		}
		if slices.Contains(args, main) && slices.Contains(args, flag) {
			return true, nil
		}
	}
	return false, nil
}
