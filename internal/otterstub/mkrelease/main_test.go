package main

import (
	"os"
	"path/filepath"
	"testing"

	"otter-entrypoint/internal/otterstub"
	"otter-entrypoint/internal/testkit"
)

func TestRun(t *testing.T) {
	javac := testkit.Javac(t)
	out := t.TempDir()
	if err := run(out, javac, true); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{
		"manager/lib/" + otterstub.JarName("manager"), "manager/conf/otter.properties", "manager/webapp",
		"node/lib/" + otterstub.JarName("node"), "node/conf/logback.xml",
		otterstub.TarballName("manager"), otterstub.TarballName("node"),
	} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if err := run(t.TempDir(), filepath.Join(out, "no-javac"), false); err == nil {
		t.Error("run with a missing javac: want an error")
	}
}
