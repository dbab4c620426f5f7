package main

import (
	"os"
	"path/filepath"
	"testing"

	"otter-entrypoint/jvm/jvmtest"
)

func TestRun(t *testing.T) {
	javac := jvmtest.Javac(t)
	out := t.TempDir()
	if err := run(out, javac, true); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{
		"manager/lib/" + jvmtest.JarName("manager"), "manager/conf/otter.properties", "manager/webapp",
		"node/lib/" + jvmtest.JarName("node"), "node/conf/logback.xml",
		jvmtest.TarballName("manager"), jvmtest.TarballName("node"),
	} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if err := run(t.TempDir(), filepath.Join(out, "no-javac"), false); err == nil {
		t.Error("run with a missing javac: want an error")
	}
}
