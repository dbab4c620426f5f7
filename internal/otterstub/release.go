// Package otterstub builds the Otter stand-in (internal/otterstub/java) and lays
// out release-like OTTER_HOMEs for tests of any package. Import it only from
// _test.go files (and from its mkrelease command).
//
// A manager home is bin/ conf/{otter.properties,logback.xml,jetty.xml}
// lib/*.jar webapp/; a node home is bin/ conf/{otter.properties,logback.xml}
// lib/*.jar logs/ — the layout of Otter 4.2.18's tarballs, with the release's
// default otter.properties. The jar holds the stand-in's classes under the real
// main class names:
//
//	com.alibaba.otter.manager.deployer.OtterManagerLauncher
//	com.alibaba.otter.node.deployer.OtterLauncher
package otterstub

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"otter-entrypoint/internal/otter"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Main classes of the two roles: the stand-in's classes carry Otter's names.
var (
	ManagerMainClass = otter.Manager.MainClass()
	NodeMainClass    = otter.Node.MainClass()
)

// Version is the Otter release the layout and default files imitate.
const Version = "4.2.18"

// DebianJavaDir is where Debian's libzookeeper-java and libslf4j-java put
// their jars.
const DebianJavaDir = "/usr/share/java"

// zkClientJars are the jars of Debian's ZooKeeper client that the node
// stand-in compiles against and runs with (slf4j-nop keeps the client
// quiet): put into the node's lib/ under their versioned names, as Otter's
// lib/ holds zookeeper-3.4.5.jar.
var zkClientJars = []string{"zookeeper.jar", "zookeeper-jute.jar", "slf4j-api.jar", "slf4j-nop.jar"}

// ZooKeeperClientJars returns the real files of zkClientJars, or an error
// saying which Debian package to install.
func ZooKeeperClientJars() ([]string, error) {
	var out []string
	for _, j := range zkClientJars {
		p, err := filepath.EvalSymlinks(filepath.Join(DebianJavaDir, j))
		if err != nil {
			return nil, fmt.Errorf("the node stand-in needs Debian's ZooKeeper client: %s is missing (apt-get install libzookeeper-java libslf4j-java)", filepath.Join(DebianJavaDir, j))
		}
		out = append(out, p)
	}
	return out, nil
}

// extraJar is an empty library jar put beside the stand-in's jar so that
// classpaths hold more than one jar, as Otter's lib/ does.
const extraJar = "commons-lang-2.6.jar"

// SourceDir returns the stand-in's directory (internal/otterstub/java of
// this repository): found from this file's location, else by walking up
// from the working directory.
func SourceDir() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok {
		d := filepath.Join(filepath.Dir(file), "java")
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, nil
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		s := filepath.Join(d, "internal", "otterstub", "java")
		if st, err := os.Stat(s); err == nil && st.IsDir() {
			return s, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("otter stand-in sources: no internal/otterstub/java above " + wd)
		}
	}
}

// filesUnder lists the files under root whose names end in suffix ("" for
// all), in a stable order.
func filesUnder(root, suffix string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, suffix) {
			files = append(files, p)
		}
		return err
	})
	sort.Strings(files)
	return files, err
}

// javaSources lists the stand-in's .java files in a stable order.
func javaSources(src string) ([]string, error) {
	files, err := filesUnder(filepath.Join(src, "src"), ".java")
	if err == nil && len(files) == 0 {
		err = errors.New("no .java files under " + src)
	}
	return files, err
}

// resourcesDir holds files the jar carries as they are, at their path
// below it (sql/otter-manager-schema.sql, as in the manager's real jar).
const resourcesDir = "resources"

// SourceHash identifies the stand-in's sources and resources (for caching
// compiled jars).
func SourceHash(src string) (string, error) {
	files, err := javaSources(src)
	if err != nil {
		return "", err
	}
	res, err := filesUnder(filepath.Join(src, resourcesDir), "")
	if err != nil {
		return "", err
	}
	files = append(files, res...)
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(src, f)
		fmt.Fprintf(h, "%s\x00%d\x00", rel, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// BuildJar compiles the stand-in's sources with javac (for Java 8 with
// --release 8, so the classes run on JDK 8..25) and writes them, with the
// files under resources/, as a jar to outJar. The jar is written with
// archive/zip, atomically.
func BuildJar(javac, src, outJar string) error {
	files, err := javaSources(src)
	if err != nil {
		return err
	}
	classes, err := os.MkdirTemp("", "otter-stub-classes-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(classes)
	zkJars, err := ZooKeeperClientJars()
	if err != nil {
		return err
	}
	args := append([]string{"--release", "8", "-encoding", "UTF-8", "-nowarn", "-d", classes,
		"-cp", strings.Join(zkJars, string(os.PathListSeparator))}, files...)
	if out, err := exec.Command(javac, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("javac the otter stand-in: %w\n%s", err, out)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	if err := addManifest(zw); err != nil {
		return err
	}
	if err := addTree(zw, classes); err != nil {
		return err
	}
	if err := addTree(zw, filepath.Join(src, resourcesDir)); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return writeFileAtomic(outJar, buf.Bytes(), 0o644)
}

// epoch is the fixed modification time of everything written here, so the
// jars and tarballs are reproducible.
var epoch = time.Date(2019, 9, 2, 0, 0, 0, 0, time.UTC)

// addTree adds every file under root to the jar, named relative to root,
// in a stable order.
func addTree(zw *zip.Writer, root string) error {
	files, err := filesUnder(root, "")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, p := range files {
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: filepath.ToSlash(rel), Method: zip.Deflate, Modified: epoch})
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func addManifest(zw *zip.Writer) error {
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "META-INF/MANIFEST.MF", Method: zip.Deflate, Modified: epoch})
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, "Manifest-Version: 1.0\r\nCreated-By: otter-entrypoint otterstub\r\n\r\n")
	return err
}

func emptyJar() ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	if err := addManifest(zw); err != nil {
		return nil, err
	}
	err := zw.Close()
	return buf.Bytes(), err
}

func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// JarName is the file name of the stand-in's jar in a role's lib/.
func JarName(role string) string {
	return role + ".deployer-" + Version + ".jar"
}

// LayoutHome lays out a release-like OTTER_HOME for role ("manager" or
// "node") at home, copying the compiled stand-in jar and the release's
// default conf files from src (internal/otterstub/java).
func LayoutHome(role, home, src, jar string) error {
	if role != "manager" && role != "node" {
		return fmt.Errorf("role %q: want manager or node", role)
	}
	dirs := []string{"bin", "conf", "lib"}
	confFiles := []string{"otter.properties", "logback.xml"}
	if role == "manager" {
		dirs = append(dirs, "webapp/WEB-INF")
		confFiles = append(confFiles, "jetty.xml")
	} else {
		dirs = append(dirs, "logs")
	}
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(home, d), 0o755); err != nil {
			return err
		}
	}
	for _, f := range confFiles {
		b, err := os.ReadFile(filepath.Join(src, "conf", role, f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(home, "conf", f), b, 0o644); err != nil {
			return err
		}
	}
	b, err := os.ReadFile(jar)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(home, "lib", JarName(role)), b, 0o644); err != nil {
		return err
	}
	empty, err := emptyJar()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(home, "lib", extraJar), empty, 0o644); err != nil {
		return err
	}
	if role == "node" {
		zkJars, err := ZooKeeperClientJars()
		if err != nil {
			return err
		}
		for _, j := range zkJars {
			b, err := os.ReadFile(j)
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(home, "lib", filepath.Base(j)), b, 0o644); err != nil {
				return err
			}
		}
	}
	if role == "manager" {
		web := "<!-- stand-in for Otter's webx web application; not read -->\n"
		if err := os.WriteFile(filepath.Join(home, "webapp", "WEB-INF", "web.xml"), []byte(web), 0o644); err != nil {
			return err
		}
	}
	readme := "Otter " + Version + " stand-in (otter-entrypoint internal/otterstub/java): not Otter.\n"
	return os.WriteFile(filepath.Join(home, "bin", "README.stand-in"), []byte(readme), 0o644)
}

// TarballName is the file name Otter's release gives the role's tarball.
func TarballName(role string) string {
	return role + ".deployer-" + Version + ".tar.gz"
}

// WriteReleaseTarball writes the tree at home as a gzip-compressed tar to w,
// every entry under prefix ("" = at the root, as Otter's tarballs are), in
// sorted order with fixed times and root ownership, so the output is
// reproducible.
func WriteReleaseTarball(w io.Writer, home, prefix string) error {
	gz := gzip.NewWriter(w)
	gz.ModTime = epoch
	tw := tar.NewWriter(gz)
	err := filepath.WalkDir(home, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(home, p)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		name := filepath.ToSlash(filepath.Join(prefix, rel))
		hdr := &tar.Header{Name: name, ModTime: epoch, Mode: int64(info.Mode().Perm()), Uname: "root", Gname: "root", Format: tar.FormatPAX}
		switch {
		case d.IsDir():
			hdr.Typeflag = tar.TypeDir
			hdr.Name += "/"
			return tw.WriteHeader(hdr)
		case info.Mode().IsRegular():
			hdr.Typeflag = tar.TypeReg
			hdr.Size = info.Size()
			if err := tw.WriteHeader(hdr); err != nil {
				return err
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(tw, f)
			return err
		default:
			return fmt.Errorf("%s: only directories and regular files belong in a release", p)
		}
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}
