package docker

// docker/build.sh, the one command docker/README.md gives for building the
// images: its input checks come before anything is built, it finds the
// Debian mirror in apt's sources, and it builds working manager and node
// images from the stand-in's release tarballs (the end-to-end test's Java
// image is its --jre-only build).

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"otter-entrypoint/internal/otterstub"
	"otter-entrypoint/internal/testkit"
)

// buildScript runs docker/build.sh with args and a PATH whose first entry
// holds extra programs (fake docker); it returns the exit code and output.
func buildScript(t *testing.T, pathDir string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("./build.sh", args...)
	if pathDir != "" {
		cmd.Env = append(os.Environ(), "PATH="+pathDir+":"+os.Getenv("PATH"))
	}
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// standInTarballs writes the stand-in's manager and node release tarballs.
func standInTarballs(t *testing.T) (manager, node string) {
	t.Helper()
	dir := t.TempDir()
	tarballs := releaseTarballs(t, filepath.Join(dir, "release"))
	write := func(role string) string {
		p := filepath.Join(dir, otterstub.TarballName(role))
		if err := os.WriteFile(p, tarballs[role], 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("manager"), write("node")
}

// TestBuildScriptChecksInputsFirst: a missing, unchecksummed, damaged or
// wrong tarball stops the script with a message naming the problem, and
// docker is never called.
func TestBuildScriptChecksInputsFirst(t *testing.T) {
	manager, node := standInTarballs(t)
	dir := t.TempDir()
	marker := filepath.Join(dir, "docker-was-called")
	if err := os.WriteFile(filepath.Join(dir, "docker"), []byte("#!/bin/sh\ntouch "+marker+"\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	notGzip := filepath.Join(dir, "not-gzip.tar.gz")
	if err := os.WriteFile(notGzip, []byte("<html>404 Not Found</html>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var emptyTar bytes.Buffer
	if err := otterstub.WriteReleaseTarball(&emptyTar, t.TempDir(), ""); err != nil {
		t.Fatal(err)
	}
	noConf := filepath.Join(dir, "no-conf.tar.gz")
	if err := os.WriteFile(noConf, emptyTar.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := func(p string) string { return sha256Hex(readFile(t, p)) }
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "give --manager and/or --node"},
		{[]string{"--manager", manager}, "--manager-sha256 is required"},
		{[]string{"--manager", manager, "--manager-sha256", "abc"}, "not a sha256"},
		{[]string{"--manager", filepath.Join(dir, "missing.tar.gz"), "--manager-sha256", sum(manager)}, "does not exist: download manager.deployer-4.2.18.tar.gz"},
		{[]string{"--manager", manager, "--manager-sha256", sum(node)}, "has sha256 " + sum(manager) + ", not " + sum(node)},
		{[]string{"--manager", manager, "--manager-sha256", sum(manager), "--node", notGzip, "--node-sha256", sum(notGzip)}, "is not a gzip-compressed tar"},
		{[]string{"--node", noConf, "--node-sha256", sum(noConf)}, "has no conf/otter.properties"},
		{[]string{"--node", dir, "--node-sha256", sum(noConf)}, "is not a regular file"},
		{[]string{"--bogus"}, "unknown argument: --bogus"},
	} {
		code, out := buildScript(t, dir, c.args...)
		if code != 2 || !strings.Contains(out, c.want) {
			t.Errorf("build.sh %q: exit %d, output %q; want exit 2 and %q", c.args, code, out, c.want)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("docker was called although an input was bad")
	}

	// Good inputs, --dry-run: the docker commands it would run.
	code, out := buildScript(t, dir, "--dry-run", "--manager", manager, "--manager-sha256", strings.ToUpper(sum(manager)),
		"--node", node, "--node-sha256", sum(node))
	if code != 0 {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	for _, want := range []string{"docker build -f " + filepath.Join(repoRoot(t), "docker/base.Dockerfile") + " -t otter-base:8 --build-arg JRE_IMAGE=eclipse-temurin:8-jre",
		"-t otter-manager:4.2.18 --build-arg BASE_IMAGE=otter-base:8", "--build-arg OTTER_SHA256=" + sum(manager),
		"-t otter-node:4.2.18", "--build-arg OTTER_SHA256=" + sum(node)} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
}

// mirrorInSources runs build.sh's own reader of apt sources (the function
// mirror_in_sources, with the script's Debian suite) on text.
func mirrorInSources(t testing.TB, text string) string {
	t.Helper()
	cmd := exec.Command("bash", "-c", `set -euo pipefail; source <(sed -n '/^debian_suite=/p; /^mirror_in_sources() {/,/^}/p' build.sh); mirror_in_sources`)
	cmd.Stdin = strings.NewReader(text)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mirror_in_sources on %q: %v", text, err)
	}
	return strings.TrimSuffix(string(out), "\n")
}

// TestBuildScriptFindsTheDebianMirror: --base-from-debootstrap takes the
// Debian archive from apt's sources, one-line or deb822 (fields in any
// order), never the security archive or another suite's.
func TestBuildScriptFindsTheDebianMirror(t *testing.T) {
	deb822 := "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\n" +
		"Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\n"
	oneLine := "# comment\ndeb http://security.debian.org/debian-security bookworm-security main\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian bookworm main\n"
	for i, c := range []struct{ sources, want string }{
		{deb822, "http://deb.debian.org/debian"},
		{oneLine, "http://mirror.example/debian"},
		{"deb https://packages.example/apt cloud-sdk-bookworm main\n" + deb822, "http://deb.debian.org/debian"},
		{"Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\n", ""},
		{"Types: deb\nSuites: bookworm\nURIs: http://later.example/debian\n", "http://later.example/debian"},
		{"Types: deb\nURIs: http://a.example/debian\n\nSuites: bookworm\n", ""},
	} {
		if got := mirrorInSources(t, c.sources); got != c.want {
			t.Errorf("case %d: %q, want %q", i, got, c.want)
		}
	}
}

// TestBuildScriptBuildsWorkingImages builds the three images with the
// script, from a Java image built by debootstrap and the stand-in's
// tarballs, and checks what a user would: the entrypoint runs, names its
// version and documentation, and the documentation is there.
func TestBuildScriptBuildsWorkingImages(t *testing.T) {
	if os.Geteuid() != 0 {
		testkit.MissingTool(t, "building the images with debootstrap needs root")
	}
	if _, err := dockerFromEnv(context.Background()); err != nil {
		testkit.MissingTool(t, "no reachable Docker daemon (%v); start dockerd (make test does)", err)
	}
	manager, node := standInTarballs(t)
	prefix := "otter-buildsh-test-"
	code, out := buildScript(t, "", "--base-from-debootstrap", "--tag-prefix", prefix,
		"--manager", manager, "--manager-sha256", sha256Hex(readFile(t, manager)),
		"--node", node, "--node-sha256", sha256Hex(readFile(t, node)))
	if code != 0 {
		t.Fatalf("build.sh: exit %d\n%s", code, lastN(out, 60))
	}
	readme := string(readFile(t, filepath.Join(repoRoot(t), "README.md")))
	for _, role := range []string{"manager", "node"} {
		image := prefix + role + ":4.2.18"
		run := func(args ...string) string {
			t.Helper()
			b, err := exec.Command("docker", append([]string{"run", "--rm", "--network", "none", "-e", "OTTER_NID=1", "--entrypoint", args[0], image}, args[1:]...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("docker run %s %q: %v\n%s", image, args, err, b)
			}
			return string(b)
		}
		if help := run("otter-entrypoint", "help"); !strings.Contains(help, "/usr/share/doc/otter-entrypoint/README.md") {
			t.Errorf("%s: help:\n%s", image, help)
		}
		if doc := run("cat", "/usr/share/doc/otter-entrypoint/README.md"); doc != readme {
			t.Errorf("%s: /usr/share/doc/otter-entrypoint/README.md is not README.md (%d bytes)", image, len(doc))
		}
		if v := run("otter-entrypoint", "version"); strings.Contains(v, " dev ") || !strings.HasPrefix(v, "otter-entrypoint ") {
			t.Errorf("%s: version %q is not stamped from git", image, v)
		}
		if dry := run("otter-entrypoint", role, "--dry-run"); !strings.Contains(dry, "java") {
			t.Errorf("%s: %s --dry-run:\n%s", image, role, dry)
		}
	}
}
