package otterstub

import (
	"archive/zip"
	"io"
	"path/filepath"
	"slices"
	"testing"

	"otter-entrypoint/prestart"
)

// The stand-in's manager jar carries a schema where Otter's release does,
// and the entrypoint's loader reads it: Otter's header (with the sql_mode
// MySQL 8 rejects), NODE and AUTOKEEPER_CLUSTER, and more tables.
func TestManagerJarCarriesTheSchema(t *testing.T) {
	home := Home(t, "manager", filepath.Join(t.TempDir(), "manager"))
	jar := filepath.Join(home, "lib", JarName("manager"))
	zr, err := zip.OpenReader(jar)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var text []byte
	for _, f := range zr.File {
		if f.Name == prestart.SchemaEntry {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			text, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	if text == nil {
		t.Fatalf("%s has no %s", jar, prestart.SchemaEntry)
	}
	s, err := prestart.LoadSchema(home, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"AUTOKEEPER_CLUSTER", "NODE", "PIPELINE_NODE_RELATION", "CHANNEL", "PIPELINE", "DELAY_STAT", "THROUGHPUT_STAT", "LOG_RECORD", "USER"}
	if !slices.Equal(s.Tables, want) {
		t.Errorf("tables %q, want %q", s.Tables, want)
	}
	for _, st := range s.Statements {
		if slices.Contains([]string{"USE", "CREATE DATABASE"}, st) {
			t.Errorf("statement %q kept", st)
		}
	}
}
