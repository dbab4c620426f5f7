package jvm

import (
	"os"
	"path/filepath"
	"testing"
)

// cgFixture writes a /proc and a file tree for ContainerMemoryLimit.
type cgFixture struct {
	cgroup, mountinfo, meminfo string
	files                      map[string]string // path under the root → content
}

func (f cgFixture) write(t *testing.T) (procRoot, root string) {
	t.Helper()
	dir := t.TempDir()
	procRoot, root = filepath.Join(dir, "proc"), filepath.Join(dir, "root")
	write := func(p, s string) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(procRoot, "self", "cgroup"), f.cgroup)
	write(filepath.Join(procRoot, "self", "mountinfo"), f.mountinfo)
	if f.meminfo != "" {
		write(filepath.Join(procRoot, "meminfo"), f.meminfo)
	}
	for p, s := range f.files {
		write(filepath.Join(root, p), s)
	}
	return procRoot, root
}

const (
	v1Mountinfo = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`
	v1ContainerMountinfo = `700 690 0:32 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory
`
	v2Mountinfo = `25 20 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`
	meminfo24G = "MemTotal:       25165824 kB\nMemFree:         1000 kB\n"
	gib        = int64(1) << 30
)

func TestContainerMemoryLimit(t *testing.T) {
	tests := []struct {
		name string
		f    cgFixture
		want int64
	}{
		{"v1 host path", cgFixture{
			cgroup:    "9:name=systemd:/\n4:memory:/kubepods/pod1/c1\n1:cpu:/\n0::/\n",
			mountinfo: v1Mountinfo, meminfo: meminfo24G,
			files: map[string]string{"/sys/fs/cgroup/memory/kubepods/pod1/c1/memory.limit_in_bytes": "1073741824\n"},
		}, gib},
		{"v1 container sees its cgroup at the mount root", cgFixture{
			cgroup:    "4:memory:/docker/abc\n",
			mountinfo: v1ContainerMountinfo, meminfo: meminfo24G,
			files: map[string]string{"/sys/fs/cgroup/memory/memory.limit_in_bytes": "536870912"},
		}, gib / 2},
		{"v1 unlimited", cgFixture{
			cgroup:    "4:memory:/x\n",
			mountinfo: v1Mountinfo, meminfo: meminfo24G,
			files: map[string]string{"/sys/fs/cgroup/memory/x/memory.limit_in_bytes": "9223372036854771712"},
		}, 0},
		{"v1 limit set on a parent", cgFixture{
			cgroup:    "4:memory:/kubepods/pod1/c1\n",
			mountinfo: v1Mountinfo, meminfo: meminfo24G,
			files: map[string]string{
				"/sys/fs/cgroup/memory/kubepods/pod1/c1/memory.limit_in_bytes": "9223372036854771712",
				"/sys/fs/cgroup/memory/kubepods/pod1/memory.limit_in_bytes":    "2147483648",
				"/sys/fs/cgroup/memory/kubepods/memory.limit_in_bytes":         "4294967296",
				"/sys/fs/cgroup/memory/memory.limit_in_bytes":                  "9223372036854771712",
			},
		}, 2 * gib},
		{"limit above the host's memory is none", cgFixture{
			cgroup:    "4:memory:/x\n",
			mountinfo: v1Mountinfo, meminfo: "MemTotal: 1048576 kB\n",
			files: map[string]string{"/sys/fs/cgroup/memory/x/memory.limit_in_bytes": "2147483648"},
		}, 0},
		{"v2", cgFixture{
			cgroup:    "0::/kubepods.slice/pod1.slice/cri-c1.scope\n",
			mountinfo: v2Mountinfo, meminfo: meminfo24G,
			files: map[string]string{
				"/sys/fs/cgroup/kubepods.slice/pod1.slice/cri-c1.scope/memory.max": "805306368\n",
				"/sys/fs/cgroup/kubepods.slice/pod1.slice/memory.max":              "max\n",
			},
		}, 768 << 20},
		{"v2 limit on the pod", cgFixture{
			cgroup:    "0::/kubepods.slice/pod1.slice/cri-c1.scope\n",
			mountinfo: v2Mountinfo, meminfo: meminfo24G,
			files: map[string]string{
				"/sys/fs/cgroup/kubepods.slice/pod1.slice/cri-c1.scope/memory.max": "max\n",
				"/sys/fs/cgroup/kubepods.slice/pod1.slice/memory.max":              "1073741824\n",
			},
		}, gib},
		{"v2 container namespace", cgFixture{
			cgroup:    "0::/\n",
			mountinfo: "600 590 0:22 / /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n", meminfo: meminfo24G,
			files: map[string]string{"/sys/fs/cgroup/memory.max": "268435456\n"},
		}, gib / 4},
		{"v2 max everywhere", cgFixture{
			cgroup:    "0::/user.slice\n",
			mountinfo: v2Mountinfo, meminfo: meminfo24G,
			files: map[string]string{"/sys/fs/cgroup/user.slice/memory.max": "max\n"},
		}, 0},
		{"hybrid: v1 memory wins over the empty cgroup2", cgFixture{
			cgroup:    "4:memory:/process_api/p1\n0::/\n",
			mountinfo: v1Mountinfo, meminfo: meminfo24G,
			files: map[string]string{
				"/sys/fs/cgroup/memory/process_api/p1/memory.limit_in_bytes": "1073741824",
				"/sys/fs/cgroup/unified/memory.max":                          "1",
			},
		}, gib},
		{"no memory controller", cgFixture{
			cgroup: "1:cpu:/\n", mountinfo: v1Mountinfo, meminfo: meminfo24G,
		}, 0},
		{"escaped mount point", cgFixture{
			cgroup:    "4:memory:/x\n",
			mountinfo: `35 31 0:32 / /cg\040root/memory rw - cgroup cgroup rw,memory` + "\n", meminfo: meminfo24G,
			files: map[string]string{"/cg root/memory/x/memory.limit_in_bytes": "1073741824"},
		}, gib},
		{"limit file missing", cgFixture{
			cgroup: "4:memory:/x\n", mountinfo: v1Mountinfo, meminfo: meminfo24G,
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proc, root := tt.f.write(t)
			got, err := ContainerMemoryLimit(proc, root)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ContainerMemoryLimit = %d, want %d", got, tt.want)
			}
		})
	}
	if _, err := ContainerMemoryLimit(filepath.Join(t.TempDir(), "none"), "/"); err == nil {
		t.Error("ContainerMemoryLimit without /proc files: want an error")
	}
}

func TestContainerMemoryLimitThisHost(t *testing.T) {
	// Outside a limited cgroup the result is 0 or the limit, never an error.
	if _, err := ContainerMemoryLimit("/proc", "/"); err != nil {
		t.Fatal(err)
	}
}
