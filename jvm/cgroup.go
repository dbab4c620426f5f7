package jvm

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// ContainerMemoryLimit returns the memory limit of this process's cgroup in
// bytes, 0 when there is none. It follows the JVM's method: the memory
// controller's line in <procRoot>/self/cgroup, its mount in
// <procRoot>/self/mountinfo (cgroup v1 "memory" or cgroup2), then the limit
// file (v1 memory.limit_in_bytes, v2 memory.max) of the process's cgroup and
// of every ancestor up to the mount, keeping the smallest. A limit at or
// above the host's MemTotal (<procRoot>/meminfo) counts as none. Mount points
// are read under root ("/" in production; a fixture tree in tests).
func ContainerMemoryLimit(procRoot, root string) (int64, error) {
	dir, ok, err := ownMemoryCgroup(procRoot)
	if err != nil {
		return 0, fmt.Errorf("container memory limit: %w", err)
	}
	if !ok {
		return 0, nil // no memory controller: not limited
	}
	var limit int64
	for d := dir.path; ; d = path.Dir(d) {
		b, err := os.ReadFile(filepath.Join(root, d, dir.limitFile()))
		switch {
		case err == nil:
			if n, ok := parseLimit(b); ok && (limit == 0 || n < limit) {
				limit = n
			}
		case !errors.Is(err, fs.ErrNotExist):
			return 0, fmt.Errorf("container memory limit: %w", err)
		}
		if d == dir.mount || d == "/" || d == "." {
			break
		}
	}
	if limit > 0 {
		if mem, err := os.ReadFile(filepath.Join(procRoot, "meminfo")); err == nil {
			if total, ok := memTotal(mem); ok && limit >= total {
				return 0, nil
			}
		}
	}
	return limit, nil
}

// ContainerOOMKills returns how many processes of this process's memory
// cgroup, and of the cgroups below it, the kernel's OOM killer has killed
// since the cgroup was made: the oom_kill count of cgroup v2's
// memory.events or of v1's memory.oom_control (Linux 4.13 and later). Java
// runs in the entrypoint's cgroup, so a count that grew while java ran
// tells an OOM kill from a kill -9: both end java with KILL. ok is false
// when there is no memory controller or the file has no such count.
func ContainerOOMKills(procRoot, root string) (n int64, ok bool, err error) {
	dir, ok, err := ownMemoryCgroup(procRoot)
	if err != nil || !ok {
		return 0, false, err
	}
	return oomKills(root, dir)
}

// oomKills reads the oom_kill count of the cgroup dir under root.
func oomKills(root string, dir memoryCgroup) (n int64, ok bool, err error) {
	b, err := os.ReadFile(filepath.Join(root, dir.path, dir.eventsFile()))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("OOM kill count: %w", err)
	}
	n, ok = parseOOMKill(b)
	return n, ok, nil
}

// ownMemoryCgroup finds this process's memory cgroup from <procRoot>/self.
func ownMemoryCgroup(procRoot string) (memoryCgroup, bool, error) {
	cg, err := os.ReadFile(filepath.Join(procRoot, "self", "cgroup"))
	if err != nil {
		return memoryCgroup{}, false, err
	}
	mi, err := os.ReadFile(filepath.Join(procRoot, "self", "mountinfo"))
	if err != nil {
		return memoryCgroup{}, false, err
	}
	dir, ok := memoryCgroupDir(cg, mi)
	return dir, ok, nil
}

// parseOOMKill reads the "oom_kill N" line of memory.events (v2) or
// memory.oom_control (v1).
func parseOOMKill(b []byte) (int64, bool) {
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == "oom_kill" {
			n, err := strconv.ParseInt(f[1], 10, 64)
			return n, err == nil && n >= 0
		}
	}
	return 0, false
}

// memoryCgroup is a memory cgroup's directory (as a path that starts at
// the mount point), the mount point itself, and whether it is cgroup v2.
type memoryCgroup struct {
	path, mount string
	v2          bool
}

// limitFile holds the cgroup's memory limit.
func (m memoryCgroup) limitFile() string {
	if m.v2 {
		return "memory.max"
	}
	return "memory.limit_in_bytes"
}

// eventsFile holds the cgroup's oom_kill count.
func (m memoryCgroup) eventsFile() string {
	if m.v2 {
		return "memory.events"
	}
	return "memory.oom_control"
}

// memoryCgroupDir finds the memory cgroup of the process from the contents of
// /proc/self/cgroup and /proc/self/mountinfo. v1's memory controller wins
// over v2 (a hybrid host mounts an empty cgroup2 beside the v1 controllers).
func memoryCgroupDir(cgroup, mountinfo []byte) (memoryCgroup, bool) {
	var v1Path, v2Path string
	var haveV1, haveV2 bool
	sc := bufio.NewScanner(bytes.NewReader(cgroup))
	for sc.Scan() {
		id, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		ctrls, p, ok := strings.Cut(rest, ":")
		if !ok {
			continue
		}
		if id == "0" && ctrls == "" {
			v2Path, haveV2 = p, true
			continue
		}
		for _, c := range strings.Split(ctrls, ",") {
			if c == "memory" {
				v1Path, haveV1 = p, true
			}
		}
	}
	sc = bufio.NewScanner(bytes.NewReader(mountinfo))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var v2Mount, v2Root string
	var v2Found bool
	for sc.Scan() {
		// id parent major:minor root mountpoint options [optional...] - fstype source superoptions
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		f := strings.Fields(pre)
		g := strings.Fields(post)
		if len(f) < 5 || len(g) < 1 {
			continue
		}
		mroot, mpoint := path.Clean("/"+unescapeMount(f[3])), path.Clean(unescapeMount(f[4]))
		if !path.IsAbs(mpoint) {
			continue
		}
		switch g[0] {
		case "cgroup":
			if !haveV1 || len(g) < 3 {
				continue
			}
			for _, o := range strings.Split(g[2], ",") {
				if o == "memory" {
					return memoryCgroup{path: joinCgroup(mpoint, mroot, v1Path), mount: mpoint}, true
				}
			}
		case "cgroup2":
			if haveV2 && !v2Found {
				v2Mount, v2Root, v2Found = mpoint, mroot, true
			}
		}
	}
	if haveV2 && v2Found && !haveV1 {
		return memoryCgroup{path: joinCgroup(v2Mount, v2Root, v2Path), mount: v2Mount, v2: true}, true
	}
	return memoryCgroup{}, false
}

// joinCgroup places a cgroup path under its mount: a container sees its own
// cgroup as the mount's root, and the host sees the whole hierarchy.
func joinCgroup(mount, mountRoot, cgroupPath string) string {
	cgroupPath = path.Clean("/" + cgroupPath) // never above the mount
	switch {
	case mountRoot == "/":
		return path.Join(mount, cgroupPath)
	case cgroupPath == mountRoot:
		return mount
	case strings.HasPrefix(cgroupPath, mountRoot+"/"):
		return path.Join(mount, strings.TrimPrefix(cgroupPath, mountRoot))
	}
	return mount
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unlimitedV1 is the smallest value cgroup v1 reports for "no limit"
// (PAGE_COUNTER_MAX pages, rounded to pages: 9223372036854771712 on x86-64).
const unlimitedV1 = 1 << 62

// parseLimit reads memory.limit_in_bytes or memory.max: "max" and v1's huge
// value mean none.
func parseLimit(b []byte) (int64, bool) {
	s := strings.TrimSpace(string(b))
	if s == "" || s == "max" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n >= unlimitedV1 {
		return 0, false
	}
	return n, true
}

func memTotal(meminfo []byte) (int64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(meminfo))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return 0, false
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return 0, false
			}
			return kb * 1024, true
		}
	}
	return 0, false
}
