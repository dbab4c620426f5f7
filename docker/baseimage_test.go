package docker

// The JRE image the end-to-end test builds on: no registry is reachable, so
// it is made from Debian packages with debootstrap and imported into the
// daemon, once per package list (the tag carries a hash of it).

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"otter-entrypoint/internal/testkit"
)

const (
	debianSuite = "bookworm"
	// What the test's JRE image holds: Debian's JDK 17 stands in for a
	// JRE 8 distribution image, plus what base.Dockerfile would install, so
	// that its build needs no mirror.
	debianPackages = "openjdk-17-jre-headless,aria2,bash,netcat-openbsd,tzdata,ca-certificates"
	baseImageRepo  = "otter-e2e-jre"
)

// baseImageTag is the tag of the test's JRE image: a hash of everything
// that decides its content, so a changed list builds a new image.
func baseImageTag() string {
	h := sha256.Sum256([]byte("v1\x00" + debianSuite + "\x00minbase\x00" + debianPackages))
	return hex.EncodeToString(h[:])[:12]
}

// aptMirror finds the Debian archive for suite in apt's sources (one-line
// "deb URI suite ..." or deb822 "URIs:/Suites:" stanzas), skipping the
// security archive.
func aptMirror(sources []string, suite string) (string, bool) {
	for _, text := range sources {
		var uris, suites []string
		flush := func() (string, bool) {
			defer func() { uris, suites = nil, nil }()
			for _, s := range suites {
				if s == suite {
					for _, u := range uris {
						if !strings.Contains(u, "security") {
							return u, true
						}
					}
				}
			}
			return "", false
		}
		for _, line := range strings.Split(text, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				if u, ok := flush(); ok {
					return u, true
				}
				continue
			}
			if strings.HasPrefix(line, "#") {
				continue
			}
			if rest, ok := strings.CutPrefix(line, "deb "); ok {
				f := strings.Fields(rest)
				if len(f) > 0 && strings.HasPrefix(f[0], "[") {
					for len(f) > 0 && !strings.HasSuffix(f[0], "]") {
						f = f[1:]
					}
					if len(f) > 0 {
						f = f[1:]
					}
				}
				if len(f) >= 2 && f[1] == suite && !strings.Contains(f[0], "security") {
					return f[0], true
				}
				continue
			}
			if k, v, ok := strings.Cut(line, ":"); ok {
				switch strings.ToLower(k) {
				case "uris":
					uris = strings.Fields(v)
				case "suites":
					suites = strings.Fields(v)
				}
			}
		}
		if u, ok := flush(); ok {
			return u, true
		}
	}
	return "", false
}

func readAptSources() []string {
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*")
	files = append([]string{"/etc/apt/sources.list"}, files...)
	var out []string
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			out = append(out, string(b))
		}
	}
	return out
}

// ensureBaseImage returns the test's JRE image, building it when the daemon
// does not have it.
func ensureBaseImage(t testing.TB, ctx context.Context, api *dockerAPI) string {
	t.Helper()
	ref := baseImageRepo + ":" + baseImageTag()
	if _, err := api.inspectImage(ctx, ref); err == nil {
		return ref
	} else if !isNotFound(err) {
		t.Fatal(err)
	}
	debootstrap, err := exec.LookPath("debootstrap")
	if err != nil {
		testkit.MissingTool(t, "debootstrap is not installed (apt-get install debootstrap); the Docker end-to-end test builds its JRE image with it")
	}
	mirror := os.Getenv("OTTER_E2E_DEBIAN_MIRROR")
	if mirror == "" {
		var ok bool
		if mirror, ok = aptMirror(readAptSources(), debianSuite); !ok {
			t.Fatalf("no Debian %s mirror in /etc/apt/sources.list*; set OTTER_E2E_DEBIAN_MIRROR", debianSuite)
		}
	}
	dir, err := os.MkdirTemp("/var/tmp", "otter-e2e-rootfs-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	cmd := exec.CommandContext(ctx, debootstrap, "--variant=minbase", "--include="+debianPackages, debianSuite, dir, mirror)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("debootstrap %s from %s: %v\n%s", debianSuite, mirror, err, lastN(string(out), 40))
	}
	// What an image needs no copy of.
	for _, g := range []string{"var/cache/apt/archives/*.deb", "var/cache/apt/*.bin", "var/lib/apt/lists/*", "usr/share/doc/*", "usr/share/man/*", "usr/share/locale/*"} {
		matches, _ := filepath.Glob(filepath.Join(dir, g))
		for _, m := range matches {
			if err := os.RemoveAll(m); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("debootstrap %s with %s took %v", debianSuite, debianPackages, time.Since(start).Round(time.Second))
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeRootfsTar(pw, dir)) }()
	changes := []string{"ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "ENV LANG=C.UTF-8"}
	if err := api.importImage(ctx, pr, baseImageRepo, baseImageTag(), changes); err != nil {
		pr.CloseWithError(err)
		t.Fatal(err)
	}
	t.Logf("imported %s (debootstrap and import took %v)", ref, time.Since(start).Round(time.Second))
	return ref
}

// writeRootfsTar writes the tree at root as a tar: owners, modes, symlinks,
// hard links and device nodes as they are.
func writeRootfsTar(w io.Writer, root string) error {
	tw := tar.NewWriter(w)
	type inode struct{ dev, ino uint64 }
	links := map[inode]string{}
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, p)
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(paths)
	for _, p := range paths {
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			continue
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		target := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if target, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(fi, target)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		hdr.Name = filepath.ToSlash(rel)
		if fi.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uname, hdr.Gname = "", ""
		st, _ := fi.Sys().(*syscall.Stat_t)
		if st != nil && fi.Mode().IsRegular() && st.Nlink > 1 {
			k := inode{uint64(st.Dev), st.Ino}
			if first, ok := links[k]; ok {
				hdr.Typeflag = tar.TypeLink
				hdr.Linkname = first
				hdr.Size = 0
			} else {
				links[k] = hdr.Name
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if hdr.Typeflag == tar.TypeReg {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
		}
	}
	return tw.Close()
}

func lastN(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
