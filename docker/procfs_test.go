package docker

// Looking at a container's processes from the host through /proc (the test
// runs as root on the daemon's host), and reaching its loopback-only ports
// from inside its network namespace.

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// procStatus is what the test reads from /proc/<pid>/status.
type procStatus struct {
	Name  string
	State byte  // R, S, D, Z, T, ...
	PPid  int   // in the reader's (the host's) pid namespace
	Uids  []int // real, effective, saved, filesystem
	NSpid []int // the pid in each nested namespace, outermost first
}

// parseStatus parses the text of /proc/<pid>/status.
func parseStatus(text string) (procStatus, error) {
	var st procStatus
	sc := bufio.NewScanner(strings.NewReader(text))
	ints := func(v string) ([]int, error) {
		var out []int
		for _, f := range strings.Fields(v) {
			n, err := strconv.Atoi(f)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	}
	seen := map[string]bool{}
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		var err error
		switch k {
		case "Name":
			st.Name = v
		case "State":
			if v == "" {
				return st, fmt.Errorf("empty State")
			}
			st.State = v[0]
		case "PPid":
			st.PPid, err = strconv.Atoi(v)
		case "Uid":
			st.Uids, err = ints(v)
		case "NSpid":
			st.NSpid, err = ints(v)
		default:
			continue
		}
		if err != nil {
			return st, fmt.Errorf("%s: %q: %w", k, v, err)
		}
		seen[k] = true
	}
	for _, k := range []string{"Name", "State", "PPid", "Uid", "NSpid"} {
		if !seen[k] {
			return st, fmt.Errorf("no %s line", k)
		}
	}
	return st, sc.Err()
}

// inPid is the innermost (the container's) pid.
func (s procStatus) inPid() int { return s.NSpid[len(s.NSpid)-1] }

// containerProc is one process of a container, seen from the host.
type containerProc struct {
	HostPid int
	procStatus
}

// containerProcs lists the processes in the pid namespace of the host
// process initPid (a container's PID 1). Processes that vanish while it
// reads are skipped.
func containerProcs(initPid int) ([]containerProc, error) {
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", initPid))
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []containerProc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink(filepath.Join("/proc", e.Name(), "ns", "pid")); err != nil || l != ns {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		st, err := parseStatus(string(b))
		if err != nil {
			return nil, fmt.Errorf("/proc/%d/status: %w", pid, err)
		}
		out = append(out, containerProc{HostPid: pid, procStatus: st})
	}
	return out, nil
}

// dialInNetns connects to addr from inside the network namespace at nsPath.
// The socket is created on an OS thread moved into that namespace; the
// thread is never unlocked, so the Go runtime ends it instead of reusing it.
func dialInNetns(ctx context.Context, nsPath, addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open(nsPath)
		if err != nil {
			ch <- result{nil, err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- result{nil, fmt.Errorf("setns %s: %w", nsPath, err)}
			return
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// netnsHTTPClient talks HTTP to addr (host:port) inside the network namespace
// of host process pid, whatever host the URL names.
func netnsHTTPClient(pid int, addr string) *http.Client {
	nsPath := fmt.Sprintf("/proc/%d/ns/net", pid)
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return dialInNetns(ctx, nsPath, addr)
			},
		},
	}
}
