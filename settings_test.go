package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Every OTTER_* name the production code spells is one of the entrypoint's
// own settings, so reservedEnv keeps it from ever becoming a property of
// otter.properties. A new setting read anywhere without being added to an
// env-tagged struct or handReadSettings fails here.
func TestEveryOtterSettingIsReserved(t *testing.T) {
	name := regexp.MustCompile(`^OTTER_[A-Z0-9]+(_[A-Z0-9]+)*$`)
	reserved := reservedEnv()
	fset := token.NewFileSet()
	found := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (path == "docker" || path == "internal/testkit" || path == "internal/otterstub" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for _, cand := range candidates(s) {
				if name.MatchString(cand) {
					found++
					if !slices.Contains(reserved, cand) {
						t.Errorf("%s: %s is read as a setting but not reserved: add it to an env-tagged settings struct or handReadSettings", fset.Position(lit.Pos()), cand)
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 5 {
		t.Fatalf("found only %d OTTER_* names in the source; the scan is broken", found)
	}
}

// candidates are the names a string literal may hold: the literal itself,
// or the variable of an env struct tag (`env:"OTTER_HOME"`).
func candidates(s string) []string {
	out := []string{s}
	for _, m := range regexp.MustCompile(`env:"([A-Z0-9_]+)`).FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}
