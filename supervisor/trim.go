package supervisor

import (
	"bufio"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// trimResident asks the kernel to page out the supervisor's own read-only
// file mappings (its program text and constants). Starting touches most of
// the binary and the kernel maps it in large folios, so a supervisor that
// then only waits would otherwise keep megabytes it no longer uses resident
// (and charged to the container's memory). Pages it needs later come back
// from the page cache on first use. Errors are ignored: this is only an
// optimisation, and MADV_PAGEOUT needs Linux 5.4.
func trimResident() {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		start, end, ok := readOnlyMappingOf(sc.Text(), exe)
		if !ok {
			continue
		}
		_, _, _ = unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_PAGEOUT)
	}
}

// readOnlyMappingOf parses a /proc/self/maps line and reports the address
// range when it maps path without write permission.
func readOnlyMappingOf(line, path string) (start, end uint64, ok bool) {
	fields := strings.Fields(line)
	if len(fields) < 6 || strings.Join(fields[5:], " ") != path || strings.Contains(fields[1], "w") {
		return 0, 0, false
	}
	lo, hi, found := strings.Cut(fields[0], "-")
	if !found {
		return 0, 0, false
	}
	start, err1 := strconv.ParseUint(lo, 16, 64)
	end, err2 := strconv.ParseUint(hi, 16, 64)
	if err1 != nil || err2 != nil || end <= start {
		return 0, 0, false
	}
	return start, end, true
}
