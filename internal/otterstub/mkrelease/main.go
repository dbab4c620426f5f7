// Command mkrelease builds the Otter stand-in (internal/otterstub/java) and lays
// out release-like homes, for the README's "run it" demo and the docker
// image tests:
//
//	go run ./internal/otterstub/mkrelease -out DIR [-tar] [-javac PATH]
//
// It writes DIR/manager and DIR/node (OTTER_HOMEs like Otter 4.2.18's
// unpacked tarballs) and, with -tar, DIR/manager.deployer-4.2.18.tar.gz and
// DIR/node.deployer-4.2.18.tar.gz (entries at the root, as Otter's are).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"otter-entrypoint/internal/otterstub"
)

func main() {
	out := flag.String("out", "", "directory to write the homes (and tarballs) into (required)")
	tarballs := flag.Bool("tar", false, "also write <role>.deployer-"+otterstub.Version+".tar.gz")
	javac := flag.String("javac", "", "javac to compile the stand-in with (default: $JAVA_HOME/bin/javac, else javac on PATH)")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*out, *javac, *tarballs); err != nil {
		fmt.Fprintln(os.Stderr, "mkrelease:", err)
		os.Exit(1)
	}
}

func run(out, javac string, tarballs bool) error {
	if javac == "" {
		javac = filepath.Join(os.Getenv("JAVA_HOME"), "bin", "javac")
		if os.Getenv("JAVA_HOME") == "" {
			javac = "javac"
		}
		if p, err := exec.LookPath(javac); err == nil {
			javac = p
		} else {
			return fmt.Errorf("no javac (set JAVA_HOME or -javac): %w", err)
		}
	}
	src, err := otterstub.SourceDir()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "mkrelease-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	jar := filepath.Join(tmp, "otter-stub.jar")
	if err := otterstub.BuildJar(javac, src, jar); err != nil {
		return err
	}
	for _, role := range []string{"manager", "node"} {
		home := filepath.Join(out, role)
		if err := otterstub.LayoutHome(role, home, src, jar); err != nil {
			return err
		}
		fmt.Println(home)
		if !tarballs {
			continue
		}
		var buf bytes.Buffer
		if err := otterstub.WriteReleaseTarball(&buf, home, ""); err != nil {
			return err
		}
		tgz := filepath.Join(out, otterstub.TarballName(role))
		if err := os.WriteFile(tgz, buf.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Println(tgz)
	}
	return nil
}
