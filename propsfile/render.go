package propsfile

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"otter-entrypoint/internal/secret"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"unicode/utf8"

	"go.uber.org/zap"

	"otter-entrypoint/internal/safefile"
)

// FileName is the name of the rendered file in the render directory.
const FileName = "otter.properties"

// Mask replaces secret values in everything meant for humans.
const Mask = secret.Mask

// Options say what to render.
type Options struct {
	Role      string // "manager" or "node"
	OtterHome string // the base file is OtterHome/conf/otter.properties
	ConfigDir string // "" or a missing directory: no config-dir source
	// ConfigDirSet: OTTER_CONFIG_DIR was set explicitly, so a ConfigDir
	// that does not exist is a mistake (a typo, a volume not mounted), not
	// the default's "no config directory".
	ConfigDirSet bool
	Environ      []string // KEY=VALUE; a later duplicate wins
	// Reserved are the entrypoint's own OTTER_* settings, never properties
	// (the caller knows them all: it reads them).
	Reserved []string
}

// BaseFile is the path of the base file inside an OTTER_HOME.
func BaseFile(otterHome string) string {
	return filepath.Join(otterHome, "conf", FileName)
}

// SourceKind is where a value came from.
type SourceKind string

// The kinds of sources, from the lowest precedence to the highest.
const (
	SourceBase      SourceKind = "base"       // the release's conf/otter.properties
	SourceConfigDir SourceKind = "config-dir" // a *.properties file in OTTER_CONFIG_DIR
	SourceEnv       SourceKind = "env"        // an environment variable
	SourceFile      SourceKind = "file"       // a file named by a *_FILE variable
)

// Source is where a value came from: a kind and, except for the base file,
// a name (the file in the config directory or the variable).
type Source struct {
	Kind SourceKind
	Name string
}

// String is "base", "config-dir:<file>", "env:<NAME>" or "file:<NAME>_FILE".
func (s Source) String() string {
	if s.Name == "" {
		return string(s.Kind)
	}
	return string(s.Kind) + ":" + s.Name
}

// Entry is one key of the rendered file.
type Entry struct {
	Key       string
	Value     string
	Source    Source   // the source whose value won
	Overrides []Source // earlier sources that also set the key, in order
	// Secret is true when the value came from a *_FILE variable or the key
	// names a secret (secret.IsKey).
	Secret bool
}

// Result is a rendered and validated otter.properties.
type Result struct {
	role      string
	basePath  string
	baseItems []Item  // the base file's layout
	entries   []Entry // base keys in base order, then added keys
	index     map[string]int
	numBase   int // entries[:numBase] are the base file's keys
}

// Render reads the base file, the config directory, the environment and the
// secret files, merges them (a later source wins per key), validates the
// result for opts.Role and returns it. Warnings and debug lines go to log;
// secret values never do. Every problem found is returned at once as an
// *exit.Error with code exit.Config (78).
func Render(opts Options, log *zap.Logger) (*Result, error) {
	if log == nil {
		log = zap.NewNop()
	}
	var probs problems
	if opts.Role != "manager" && opts.Role != "node" {
		probs.add("unknown role %q: use manager or node", opts.Role)
		return nil, renderError(opts.Role, probs)
	}
	r := &Result{role: opts.Role, basePath: BaseFile(opts.OtterHome), index: map[string]int{}}

	base, baseOK := loadFile(r.basePath, Source{Kind: SourceBase}, &probs, log, func(reason string) string {
		return fmt.Sprintf("cannot read the base file %s: %s; OTTER_HOME=%s must be an Otter %s release with conf/otter.properties",
			r.basePath, reason, opts.OtterHome, opts.Role)
	})
	if baseOK {
		r.baseItems = base.Items
		r.merge(base, Source{Kind: SourceBase}, r.basePath, log)
	}
	r.numBase = len(r.entries)

	baseKeys := r.keyIndex()
	baseKeys.exact = maps.Clone(r.index) // r.index grows with the config-dir keys
	for _, name := range configFiles(opts.ConfigDir, opts.ConfigDirSet, &probs, log) {
		path := filepath.Join(opts.ConfigDir, name)
		src := Source{Kind: SourceConfigDir, Name: name}
		f, ok := loadFile(path, src, &probs, log, func(reason string) string {
			return fmt.Sprintf("cannot read %s from OTTER_CONFIG_DIR: %s", path, reason)
		})
		if ok {
			warnTypos(f, path, baseKeys, log)
			r.merge(f, src, path, log)
		}
	}

	reservedNames := map[string]struct{}{}
	for _, n := range opts.Reserved {
		reservedNames[n] = struct{}{}
	}
	for _, s := range collectEnv(opts.Environ, r.keyIndex(), reservedNames, ReadSecretFile, &probs, log) {
		r.set(s.key, s.value, s.src)
	}

	for i := range r.entries {
		e := &r.entries[i]
		e.Secret = e.Source.Kind == SourceFile || secret.IsKey(e.Key)
	}
	if baseOK {
		probs = append(probs, validate(r, log)...)
	}
	if len(probs) > 0 {
		return nil, renderError(opts.Role, probs)
	}
	changed := 0
	for _, e := range r.entries {
		if e.Source.Kind != SourceBase {
			changed++
		}
	}
	log.Info("rendered otter.properties",
		zap.String("role", r.role), zap.String("base", r.basePath),
		zap.Int("keys", len(r.entries)), zap.Int("fromOtherSources", changed))
	return r, nil
}

// loadFile reads and parses one .properties file, reporting a failure to
// read it as a problem built by describe from the reason (safefile.Describe).
func loadFile(path string, src Source, probs *problems, log *zap.Logger, describe func(reason string) string) (*File, bool) {
	data, err := safefile.ReadFile(path, safefile.MaxPropertiesSize)
	if err != nil {
		probs.add("%s", describe(safefile.Describe(err)))
		return nil, false
	}
	f, err := Parse(data)
	if err != nil {
		probs.add("%s: %v (java.util.Properties rejects it too: write \\u and exactly four hex digits, or \\\\u for a literal backslash-u)", path, err)
		return nil, false
	}
	if hasUTF8Text(data) {
		log.Warn("file has non-ASCII UTF-8 text; Java reads .properties files as ISO-8859-1, so it reads these characters differently; write them as \\uXXXX",
			zap.String("file", path), zap.String("source", src.String()))
	}
	return f, true
}

// hasUTF8Text reports whether data has bytes above 0x7F forming UTF-8.
func hasUTF8Text(data []byte) bool {
	for i := 0; i < len(data); i++ {
		if data[i] >= 0x80 {
			r, n := utf8.DecodeRune(data[i:])
			return r != utf8.RuneError || n > 1
		}
	}
	return false
}

// configFiles lists the *.properties files of the config directory in
// lexical order. Names starting with ".." (the "..data" link and
// "..<timestamp>" directory of a mounted ConfigMap, whose visible entries
// are symbolic links into them) are skipped silently; any other name that is
// skipped (hidden, or not ending in ".properties" exactly, such as
// otter.PROPERTIES or otter.properties.bak) gets a warning: a file someone
// put there and expects to be read.
func configFiles(dir string, explicit bool, probs *problems, log *zap.Logger) []string {
	if dir == "" {
		return nil
	}
	ents, err := readDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if explicit {
			probs.add("OTTER_CONFIG_DIR=%s does not exist: mount the configuration there, correct the path, or unset OTTER_CONFIG_DIR to run without one", dir)
			return nil
		}
		log.Debug("config directory does not exist; no config-dir source", zap.String("dir", dir))
		return nil
	}
	if err != nil {
		probs.add("OTTER_CONFIG_DIR=%s: cannot read the directory: %s", dir, safefile.Describe(err))
		return nil
	}
	var names []string
	for _, e := range ents {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, ".."):
			log.Debug("ConfigMap bookkeeping entry skipped", zap.String("dir", dir), zap.String("entry", name))
			continue
		case strings.HasPrefix(name, "."):
			log.Warn("hidden file in OTTER_CONFIG_DIR skipped; only *.properties files whose name does not start with '.' are read",
				zap.String("dir", dir), zap.String("entry", name))
			continue
		case !strings.HasSuffix(name, ".properties"):
			log.Warn("file in OTTER_CONFIG_DIR skipped: only names ending in .properties (lower case) are read; rename it to <name>.properties to use it",
				zap.String("dir", dir), zap.String("entry", name))
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// readDir lists a directory. It is opened with O_DIRECTORY and O_NONBLOCK,
// so a FIFO or device at its path is refused at once instead of blocking.
func readDir(dir string) ([]fs.DirEntry, error) {
	f, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ENOTDIR) {
		fi, serr := os.Stat(dir)
		if serr == nil {
			return nil, fmt.Errorf("it is %s, not a directory", safefile.Kind(fi.Mode()))
		}
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}

// ReadSecretFile reads a *_FILE variable's file: at most
// safefile.MaxSecretSize bytes, trailing line terminators trimmed. The
// entrypoint's own secret settings (OTTER_REGISTER_PASSWORD_FILE) read
// theirs with it too, so that every secret file follows one rule.
func ReadSecretFile(path string) (string, error) {
	data, err := safefile.ReadFile(path, safefile.MaxSecretSize)
	if err != nil {
		return "", err
	}
	return trimEOL(string(data)), nil
}

// trimEOL removes trailing line terminators. One rule for every value from
// outside a .properties file (*_FILE contents and environment variables):
// an editor's final newline, or YAML's "|" block in a ConfigMap or a pod's
// env, is never part of an Otter value (addresses, ports, passwords).
func trimEOL(s string) string { return strings.TrimRight(s, "\r\n") }

// warnTypos warns about each key of a config-dir file that is not in the
// base file but looks like a typo of one of its keys (Java's keys are
// case-sensitive: otter.zookeeper.sesionTimeout or
// otter.zookeeper.sessiontimeout is a new key Otter never reads).
func warnTypos(f *File, path string, base *keyIndex, log *zap.Logger) {
	warned := map[string]bool{}
	for _, it := range f.Items {
		if it.Kind != KindEntry || warned[it.Key] {
			continue
		}
		if _, known := base.exact[it.Key]; known {
			continue
		}
		if c := base.closest(it.Key); len(c) > 0 {
			warned[it.Key] = true
			log.Warn("key is not in the release's otter.properties but looks like a typo of a key that is; Otter reads keys case-sensitively and would ignore it",
				zap.String("file", path), zap.String("key", it.Key), zap.Int("line", it.Line), zap.Strings("didYouMean", c))
		}
	}
}

// merge sets every entry of f, warning about a key f defines twice.
func (r *Result) merge(f *File, src Source, path string, log *zap.Logger) {
	for _, it := range f.Items {
		if it.Kind != KindEntry {
			continue
		}
		if i, ok := r.index[it.Key]; ok && r.entries[i].Source == src {
			log.Warn("key defined more than once in a file; the last value wins, as in Java",
				zap.String("file", path), zap.String("key", it.Key), zap.Int("line", it.Line))
		}
		r.set(it.Key, it.Value, src)
	}
}

// keyIndex indexes the keys set so far. It shares r.index, which already
// maps each key to its place in r.entries, so it holds only until the next
// set adds a key.
func (r *Result) keyIndex() *keyIndex {
	keys := make([]string, len(r.entries))
	for i, e := range r.entries {
		keys[i] = e.Key
	}
	return &keyIndex{keys: keys, exact: r.index}
}

func (r *Result) set(key, value string, src Source) {
	if i, ok := r.index[key]; ok {
		e := &r.entries[i]
		e.Overrides = append(e.Overrides, e.Source)
		e.Value, e.Source = value, src
		return
	}
	r.index[key] = len(r.entries)
	r.entries = append(r.entries, Entry{Key: key, Value: value, Source: src})
}

// Get returns a key's final value.
func (r *Result) Get(key string) (string, bool) {
	i, ok := r.index[key]
	if !ok {
		return "", false
	}
	return r.entries[i].Value, true
}

// Entries returns every key in file order (base keys first, in the base
// file's order, then added keys), with values unmasked.
func (r *Result) Entries() []Entry {
	out := make([]Entry, len(r.entries))
	copy(out, r.entries)
	return out
}

// Map returns the final key/value map: what Java reads from the written file.
func (r *Result) Map() map[string]string {
	m := make(map[string]string, len(r.entries))
	for _, e := range r.entries {
		m[e.Key] = e.Value
	}
	return m
}

// shown is the value as people see it: a secret's masked, and a password or
// secret query value inside a URL (a JDBC URL with user:password@ or
// ?password=) redacted, unless showSecrets.
func (e Entry) shown(showSecrets bool) string {
	if showSecrets || e.Value == "" {
		return e.Value
	}
	return secret.Shown(e.Value, e.Secret)
}

// Bytes returns the rendered file as pure-ASCII text: a header, the base
// file's comments, blank lines and keys in their order (a key whose value
// came from another source gets a comment naming it), then the added keys,
// each after a comment naming its source. Secret values are replaced by Mask
// unless showSecrets.
func (r *Result) Bytes(showSecrets bool) []byte {
	var b []byte
	r.walk(showSecrets, func(it Item) { b = appendItem(b, it) })
	return b
}

// walk emits the items of the rendered file in order.
func (r *Result) walk(showSecrets bool, emit func(Item)) {
	comment := func(text string) { emit(Item{Kind: KindComment, Text: text}) }
	comment("# otter.properties for the " + r.role + ", rendered by otter-entrypoint from " + r.basePath)
	comment("# and the configuration directory, environment variables and secret files.")
	comment("# Do not edit: it is written anew at every start.")
	emit(Item{Kind: KindBlank})
	written := make(map[string]bool, r.numBase)
	for _, it := range r.baseItems {
		if it.Kind != KindEntry {
			emit(it)
			continue
		}
		if written[it.Key] {
			continue // a duplicate; the value is written at the first occurrence
		}
		written[it.Key] = true
		e := r.entries[r.index[it.Key]]
		if e.Source.Kind != SourceBase {
			comment("# otter-entrypoint: value from " + e.Source.String())
		}
		emit(Item{Kind: KindEntry, Key: e.Key, Value: e.shown(showSecrets)})
	}
	if len(r.entries) > r.numBase {
		emit(Item{Kind: KindBlank})
		comment("# Keys added by otter-entrypoint (not in the base file):")
		for _, e := range r.entries[r.numBase:] {
			comment("# from " + e.Source.String())
			emit(Item{Kind: KindEntry, Key: e.Key, Value: e.shown(showSecrets)})
		}
	}
}

// Resolved returns key's value with ${key} and ${key:default} placeholders
// that refer to other keys filled in, the way Otter's Spring will. ok is
// false when the key is missing or a placeholder names something only the
// JVM knows (such as ${user.dir}).
func (r *Result) Resolved(key string) (string, bool) {
	v, found := r.Get(key)
	if !found {
		return "", false
	}
	out, _, ok := r.resolve(v)
	return out, ok
}
