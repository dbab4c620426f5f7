package prestart

import (
	"archive/zip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSplitSQL(t *testing.T) {
	cases := []struct {
		name, text string
		want       []string
		err        string
	}{
		{"two statements", "SELECT 1; SELECT 2;", []string{"SELECT 1", "SELECT 2"}, ""},
		{"no final semicolon", "SELECT 1;\n SELECT 2 \n", []string{"SELECT 1", "SELECT 2"}, ""},
		{"semicolons in strings and names", "INSERT INTO `a;b` VALUES ('x;y', \"p;q\", 'it''s', 'back\\';slash');",
			[]string{"INSERT INTO `a;b` VALUES ('x;y', \"p;q\", 'it''s', 'back\\';slash')"}, ""},
		{"line comments", "-- a; comment\nSELECT 1 # another; one\n;--\n#x;", []string{"SELECT 1 # another; one"}, ""},
		{"comments inside are kept", "SELECT 1 - /* x; */ -1 --#\n0;", []string{"SELECT 1 - /* x; */ -1 --#\n0"}, ""},
		{"double dash without space is an operator", "SELECT 1--1;", []string{"SELECT 1--1"}, ""},
		{"leading comments dropped, executable kept", "/* c; */ CREATE DATABASE /*!32312 IF NOT EXISTS*/ `o`;/* only a comment */;",
			[]string{"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `o`"}, ""},
		{"empty", " ;; \n", nil, ""},
		{"unterminated string", "SELECT 'x;\n", nil, "line 1: unterminated '"},
		{"unterminated comment", "SELECT 1;\n/* x", nil, "line 2: unterminated /*"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := SplitSQL(c.text)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("SplitSQL = %q, %v; want error %q", got, err, c.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, c.want) {
				t.Fatalf("SplitSQL(%q) = %q, %v; want %q", c.text, got, err, c.want)
			}
		})
	}
}

const headerAndTables = "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `otter` /*!40100 DEFAULT CHARACTER SET utf8 COLLATE utf8_bin */;\n" +
	"USE `otter`;\n" +
	"SET sql_mode='ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION';\n" +
	"CREATE TABLE `AUTOKEEPER_CLUSTER` (`ID` bigint(20) NOT NULL AUTO_INCREMENT, PRIMARY KEY (`ID`));\n" +
	"create table if not exists NODE (ID bigint);\n" +
	"insert into NODE values (1);\n"

func TestParseSchema(t *testing.T) {
	s, err := ParseSchema("test", []byte(headerAndTables))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Tables, []string{"AUTOKEEPER_CLUSTER", "NODE"}) {
		t.Errorf("tables %q", s.Tables)
	}
	want := []string{
		"SET sql_mode='ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
		"CREATE TABLE `AUTOKEEPER_CLUSTER` (`ID` bigint(20) NOT NULL AUTO_INCREMENT, PRIMARY KEY (`ID`))",
		"create table if not exists NODE (ID bigint)",
		"insert into NODE values (1)",
	}
	if !slices.Equal(s.Statements, want) {
		t.Errorf("statements\n%q\nwant\n%q", s.Statements, want)
	}
	for _, c := range []struct{ sql, err string }{
		{"CREATE TABLE NODE (ID int);", "no AUTOKEEPER_CLUSTER"},
		{"CREATE TABLE otter.NODE (ID int); CREATE TABLE AUTOKEEPER_CLUSTER (ID int);", "database-qualified"},
		{"DELIMITER //\nCREATE TABLE NODE (ID int)//", "DELIMITER"},
	} {
		if _, err := ParseSchema("t", []byte(c.sql)); err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("ParseSchema(%q) = %v; want %q", c.sql, err, c.err)
		}
	}
}

func TestWithoutNoAutoCreateUser(t *testing.T) {
	for in, want := range map[string]string{
		"SET sql_mode='A,NO_AUTO_CREATE_USER,B'":              "SET sql_mode='A,B'",
		"SET sql_mode='NO_AUTO_CREATE_USER,B'":                "SET sql_mode='B'",
		"SET sql_mode='A,NO_AUTO_CREATE_USER'":                "SET sql_mode='A'",
		"SET sql_mode='no_auto_create_user'":                  "SET sql_mode=''",
		"/*!40101 SET SQL_MODE='NO_AUTO_CREATE_USER,X' */":    "/*!40101 SET SQL_MODE='X' */",
		"INSERT INTO T VALUES ('NO_AUTO_CREATE_USER')":        "INSERT INTO T VALUES ('NO_AUTO_CREATE_USER')",
		"SET @@SESSION.sql_mode='NO_AUTO_CREATE_USER,STRICT'": "SET @@SESSION.sql_mode='STRICT'",
	} {
		if got := withoutNoAutoCreateUser(in); got != want {
			t.Errorf("withoutNoAutoCreateUser(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoadSchema(t *testing.T) {
	home := t.TempDir()
	lib := filepath.Join(home, "lib")
	os.MkdirAll(lib, 0o755)
	writeJar := func(name string, entries map[string]string) {
		f, err := os.Create(filepath.Join(lib, name))
		if err != nil {
			t.Fatal(err)
		}
		zw := zip.NewWriter(f)
		for n, c := range entries {
			w, _ := zw.Create(n)
			w.Write([]byte(c))
		}
		zw.Close()
		f.Close()
	}
	if _, err := LoadSchema(home, ""); err == nil || !strings.Contains(err.Error(), "no schema file was found") ||
		!strings.Contains(err.Error(), "OTTER_DB_INIT_SCHEMA") {
		t.Errorf("no jar: %v", err)
	}
	writeJar("manager.deployer-9.9.9.jar", map[string]string{"META-INF/MANIFEST.MF": ""})
	if _, err := LoadSchema(home, ""); err == nil || !strings.Contains(err.Error(), "manager.deployer-9.9.9.jar without it") {
		t.Errorf("a jar without the entry: %v", err)
	}
	file := filepath.Join(t.TempDir(), "schema.sql")
	os.WriteFile(file, []byte(headerAndTables), 0o644)
	if s, err := LoadSchema(home, file); err != nil || s.Source != file {
		t.Errorf("OTTER_DB_INIT_SCHEMA: %+v, %v", s, err)
	}
	if _, err := LoadSchema(home, file+".missing"); err == nil || !strings.Contains(err.Error(), "OTTER_DB_INIT_SCHEMA=") {
		t.Errorf("a missing OTTER_DB_INIT_SCHEMA: %v", err)
	}
	writeJar("manager.deployer-9.9.9.jar", map[string]string{SchemaEntry: headerAndTables})
	if s, err := LoadSchema(home, ""); err != nil || !strings.HasSuffix(s.Source, "manager.deployer-9.9.9.jar!"+SchemaEntry) {
		t.Errorf("from the jar: %+v, %v", s, err)
	}
}

func FuzzSplitSQL(f *testing.F) {
	for _, s := range []string{headerAndTables, "SELECT 'a;b' -- c\n;", "/*!1 x*/;/* y */;#z\n", "'\\", "`a``b`;\"q\"\"r\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		stmts, err := SplitSQL(text)
		if err != nil {
			return
		}
		// Each statement is one statement: splitting it again gives it back.
		for _, s := range stmts {
			again, err := SplitSQL(s)
			if err != nil || len(again) != 1 || again[0] != s {
				t.Fatalf("SplitSQL(%q) gave %q, which splits into %q, %v", text, s, again, err)
			}
		}
		_, _ = ParseSchema("fuzz", []byte(text))
	})
}
