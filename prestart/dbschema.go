package prestart

import (
	"archive/zip"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"unicode"

	"otter-entrypoint/internal/safefile"
)

// SchemaEntry is where Otter's release keeps the manager's schema: inside
// the manager's jar (lib/manager.deployer-<version>.jar), packaged from
// manager/deployer/src/main/resources/sql.
const SchemaEntry = "sql/otter-manager-schema.sql"

// managerJarGlob matches the manager's own jar in a release's lib/.
const managerJarGlob = "manager.deployer-*.jar"

// maxSchemaSize bounds the schema file read into memory.
const maxSchemaSize = 4 << 20

// Schema is Otter's manager schema, ready to run statement by statement
// against the database of the manager's JDBC URL.
type Schema struct {
	Source     string   // where it was read: "<jar>!sql/otter-manager-schema.sql" or a file
	Statements []string // in order, without the CREATE DATABASE and USE header
	Tables     []string // the tables its CREATE TABLE statements create, in order
}

// LoadSchema reads the schema from file (OTTER_DB_INIT_SCHEMA) when it is
// set, else from the entry SchemaEntry of lib/manager.deployer-*.jar under
// home. Every error is an explanation for the user naming what was looked
// at and what to do.
func LoadSchema(home, file string) (Schema, error) {
	if file != "" {
		b, err := safefile.ReadFile(file, maxSchemaSize)
		if err != nil {
			return Schema{}, fmt.Errorf("OTTER_DB_INIT_SCHEMA=%q (environment): cannot read it: %v", file, err)
		}
		s, err := ParseSchema(file, b)
		if err != nil {
			return Schema{}, fmt.Errorf("OTTER_DB_INIT_SCHEMA=%q (environment): %v", file, err)
		}
		return s, nil
	}
	jars, _ := filepath.Glob(filepath.Join(home, "lib", managerJarGlob))
	sort.Strings(jars)
	for _, jar := range jars {
		b, ok, err := readJarEntry(jar, SchemaEntry)
		if err != nil {
			return Schema{}, fmt.Errorf("OTTER_DB_INIT=on: cannot read %s from %s: %v; set OTTER_DB_INIT_SCHEMA to Otter's otter-manager-schema.sql", SchemaEntry, jar, err)
		}
		if !ok {
			continue
		}
		src := jar + "!" + SchemaEntry
		s, err := ParseSchema(src, b)
		if err != nil {
			return Schema{}, fmt.Errorf("OTTER_DB_INIT=on: %s: %v; set OTTER_DB_INIT_SCHEMA to a schema file that works", src, err)
		}
		return s, nil
	}
	looked := "no " + filepath.Join(home, "lib", managerJarGlob)
	if len(jars) > 0 {
		looked = strings.Join(jars, ", ") + " without it"
	}
	return Schema{}, fmt.Errorf("OTTER_DB_INIT=on, but no schema file was found: OTTER_DB_INIT_SCHEMA is unset and the release has no %s in its manager jar (%s); "+
		"set OTTER_DB_INIT_SCHEMA to Otter's otter-manager-schema.sql (manager/deployer/src/main/resources/sql in Otter's source), or load the schema yourself and set OTTER_DB_INIT=off",
		SchemaEntry, looked)
}

func readAllLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxSchemaSize+1))
	if err == nil && len(b) > maxSchemaSize {
		err = fmt.Errorf("larger than %d bytes", maxSchemaSize)
	}
	return b, err
}

// readJarEntry returns the content of entry in jar; ok is false when the
// jar has no such entry.
func readJarEntry(jar, entry string) (b []byte, ok bool, err error) {
	zr, err := zip.OpenReader(jar)
	if err != nil {
		return nil, false, err
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != entry {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, false, err
		}
		defer rc.Close()
		b, err := readAllLimited(rc)
		return b, err == nil, err
	}
	return nil, false, nil
}

// ParseSchema turns Otter's schema file into the statements to run against
// the URL's database:
//   - CREATE DATABASE and USE are left out: the tables go to the database
//     the manager's URL names, whatever the file calls it;
//   - NO_AUTO_CREATE_USER is taken out of any sql_mode the file sets, since
//     MySQL 8 rejects that mode (Otter issue #1081) and it concerns GRANT,
//     which the schema does not use;
//   - comments before a statement are dropped (SplitSQL).
//
// The schema must create NODE and AUTOKEEPER_CLUSTER; table names must not
// be qualified with a database.
func ParseSchema(source string, text []byte) (Schema, error) {
	s := Schema{Source: source}
	stmts, err := SplitSQL(string(text))
	if err != nil {
		return s, err
	}
	for i, st := range stmts {
		words := leadingWords(st, 3)
		switch {
		case len(words) >= 2 && words[0] == "CREATE" && (words[1] == "DATABASE" || words[1] == "SCHEMA"):
			continue
		case len(words) >= 1 && words[0] == "USE":
			continue
		case len(words) >= 1 && words[0] == "DELIMITER":
			return s, fmt.Errorf("statement %d: DELIMITER is a client command this loader does not run", i+1)
		case len(words) >= 2 && words[0] == "CREATE" && words[1] == "TABLE":
			name, err := createdTable(st)
			if err != nil {
				return s, fmt.Errorf("statement %d: %v", i+1, err)
			}
			s.Tables = append(s.Tables, name)
		}
		s.Statements = append(s.Statements, withoutNoAutoCreateUser(st))
	}
	for _, req := range RequiredTables {
		found := false
		for _, t := range s.Tables {
			found = found || strings.EqualFold(t, req)
		}
		if !found {
			return s, fmt.Errorf("it creates no %s table (tables: %s), so it is not Otter's manager schema", req, strings.Join(s.Tables, ", "))
		}
	}
	return s, nil
}

// leadingWords returns up to n upper-cased leading words of a statement.
func leadingWords(st string, n int) []string {
	f := strings.FieldsFunc(st, func(r rune) bool { return unicode.IsSpace(r) || r == '(' || r == '`' || r == ';' })
	if len(f) > n {
		f = f[:n]
	}
	for i := range f {
		f[i] = strings.ToUpper(f[i])
	}
	return f
}

// createdTable is the table name of CREATE TABLE [IF NOT EXISTS] name.
func createdTable(st string) (string, error) {
	rest := strings.TrimSpace(st)
	for _, w := range []string{"CREATE", "TABLE"} {
		rest = strings.TrimSpace(rest[len(w):])
	}
	if kw := "IF NOT EXISTS"; len(rest) >= len(kw) && strings.EqualFold(rest[:len(kw)], kw) {
		rest = strings.TrimSpace(rest[len(kw):])
	}
	name, after, err := identifier(rest)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(strings.TrimSpace(after), ".") {
		return "", fmt.Errorf("CREATE TABLE %s.…: a database-qualified table name would not go to the URL's database", name)
	}
	return name, nil
}

// identifier reads a `quoted` or bare identifier at the start of s.
func identifier(s string) (name, rest string, err error) {
	if strings.HasPrefix(s, "`") {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] == '`' {
				if i+1 < len(s) && s[i+1] == '`' {
					b.WriteByte('`')
					i++
					continue
				}
				return b.String(), s[i+1:], nil
			}
			b.WriteByte(s[i])
		}
		return "", "", fmt.Errorf("unterminated `name`")
	}
	end := strings.IndexFunc(s, func(r rune) bool {
		return !(r == '_' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r))
	})
	if end < 0 {
		end = len(s)
	}
	if end == 0 {
		return "", "", fmt.Errorf("no table name after CREATE TABLE")
	}
	return s[:end], s[end:], nil
}

// withoutNoAutoCreateUser removes NO_AUTO_CREATE_USER (and one comma next
// to it) from a statement that sets sql_mode.
func withoutNoAutoCreateUser(st string) string {
	const mode = "NO_AUTO_CREATE_USER"
	if indexFold(st, "SQL_MODE") < 0 {
		return st
	}
	for {
		i := indexFold(st, mode)
		if i < 0 {
			return st
		}
		start, end := i, i+len(mode)
		switch {
		case end < len(st) && st[end] == ',':
			end++
		case start > 0 && st[start-1] == ',':
			start--
		}
		st = st[:start] + st[end:]
	}
}

// indexFold is strings.Index ignoring ASCII case (byte offsets into s,
// whatever else s holds).
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

// SplitSQL splits a MySQL script into statements at semicolons outside
// strings, quoted names and comments (-- and # to the end of the line,
// /* ... */). Comments before a statement are dropped, except MySQL's
// executable /*! ... */ ones; comments inside one are kept as they are
// (the server skips them, and taking them out could join tokens).
// Statements are trimmed; empty ones are left out. An unterminated
// string, name or comment is an error.
func SplitSQL(text string) ([]string, error) {
	var (
		out  []string
		cur  strings.Builder
		line = 1
	)
	started := func() bool { return strings.TrimSpace(cur.String()) != "" }
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '\n':
			line++
			cur.WriteByte(c)
		case c == ';':
			flush()
		case c == '\'' || c == '"' || c == '`':
			start := line
			j, nl, ok := endOfQuoted(text, i)
			if !ok {
				return nil, fmt.Errorf("line %d: unterminated %c", start, c)
			}
			cur.WriteString(text[i:j])
			line += nl
			i = j - 1
		case c == '#' || (c == '-' && strings.HasPrefix(text[i:], "--") && i+2 < len(text) && text[i+2] <= ' '):
			end := len(text)
			if j := strings.IndexByte(text[i:], '\n'); j >= 0 {
				end = i + j // the newline is read next
			}
			if started() {
				cur.WriteString(text[i:end])
			}
			i = end - 1
		case c == '/' && strings.HasPrefix(text[i:], "/*"):
			j := strings.Index(text[i+2:], "*/")
			if j < 0 {
				return nil, fmt.Errorf("line %d: unterminated /* comment", line)
			}
			end := i + 2 + j + 2
			body := text[i:end]
			line += strings.Count(body, "\n")
			if started() || strings.HasPrefix(body, "/*!") {
				cur.WriteString(body)
			}
			i = end - 1
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out, nil
}

// endOfQuoted returns the index just past the quoted string or name that
// starts at text[i], and how many newlines it holds. Strings ('...' and
// "...") take backslash escapes; a doubled quote stands for itself.
func endOfQuoted(text string, i int) (end, newlines int, ok bool) {
	q := text[i]
	for j := i + 1; j < len(text); j++ {
		switch c := text[j]; {
		case c == '\n':
			newlines++
		case c == '\\' && q != '`':
			if j+1 < len(text) && text[j+1] == '\n' {
				newlines++
			}
			j++
		case c == q:
			if j+1 < len(text) && text[j+1] == q {
				j++
				continue
			}
			return j + 1, newlines, true
		}
	}
	return 0, 0, false
}
