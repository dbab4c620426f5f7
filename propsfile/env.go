package propsfile

import (
	"sort"
	"strings"
	"unicode/utf8"

	"go.uber.org/zap"

	"otter-entrypoint/internal/safefile"
)

// envSetting is a key set from the environment (source 3) or from a file
// named by a *_FILE variable (source 4).
type envSetting struct {
	key   string
	value string
	src   Source
}

// collectEnv turns the environment into settings: variables named exactly
// like a known key (or a new "otter." key), OTTER_<NAME> variables matching
// one known key case-insensitively with '_' read as '.', and <NAME>_FILE
// variables for any of those. Reserved names and Kubernetes service
// variables are skipped. Settings from variables come first, then those
// from files, so a file wins over a differently named variable for the same
// key. Secret values are never logged.
func collectEnv(environ []string, ix *keyIndex, reservedNames map[string]struct{},
	read func(path string) (string, error), probs *problems, log *zap.Logger) []envSetting {
	env := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			env[k] = v
		}
	}
	names := make([]string, 0, len(env))
	for k := range env {
		names = append(names, k)
	}
	sort.Strings(names)

	var vars, files []envSetting
	for _, name := range names {
		value := env[name]
		if stem, ok := strings.CutSuffix(name, fileSuffix); ok && stem != "" {
			kind, keys := ix.match(stem, "", reservedNames, env)
			switch kind {
			case reserved:
				log.Debug("entrypoint setting, not a property", zap.String("variable", name))
				continue
			case exactKey, newKey, snakeKey:
				src := Source{Kind: SourceFile, Name: name}
				if _, both := env[stem]; both {
					probs.add("%s and %s are both set, but they are exclusive: unset one of them (%s names the file %s)",
						stem, name, name, value)
					continue
				}
				content, err := read(value)
				if err != nil {
					probs.add("%s=%s: cannot use it as the secret file for %s: it %s", name, value, keys[0], safefile.Describe(err))
					continue
				}
				if content == "" {
					log.Warn("secret file is empty (or holds only line breaks); the key gets an empty value",
						zap.String("variable", name), zap.String("file", value), zap.String("key", keys[0]))
				}
				if kind == newKey {
					warnNewKey(ix, name, keys[0], log)
				}
				files = append(files, envSetting{key: keys[0], value: validText(content, name, log), src: src})
				continue
			case ambiguous:
				probs.add("%s matches several keys (%s); name the variable exactly like the key instead, e.g. %s%s",
					name, strings.Join(keys, ", "), keys[0], fileSuffix)
				continue
			}
			// The stem designates nothing: maybe the whole name does.
		}
		kind, keys := ix.match(name, value, reservedNames, env)
		switch kind {
		case notProperty:
			if looksLikeKey(name) {
				log.Warn("variable starts with \"otter.\" but cannot set a key: keys set this way are \"otter.\" (lower case) and more, in printable ASCII without blanks; ignored",
					zap.String("variable", name))
			}
		case reserved:
			log.Debug("entrypoint setting, not a property", zap.String("variable", name))
		case serviceLink:
			log.Debug("Kubernetes service variable, not a property; ignored", zap.String("variable", name))
		case exactKey, newKey, snakeKey:
			if kind == newKey {
				warnNewKey(ix, name, keys[0], log)
			}
			if v := trimEOL(value); v != value {
				log.Warn("value ends with a line break (a YAML \"|\" block?); removed, as from a *_FILE secret",
					zap.String("variable", name), zap.String("key", keys[0]))
				value = v
			}
			vars = append(vars, envSetting{key: keys[0], value: validText(value, name, log), src: Source{Kind: SourceEnv, Name: name}})
		case ambiguous:
			probs.add("%s matches several keys (%s); name the variable exactly like the key instead, e.g. %s",
				name, strings.Join(keys, ", "), keys[0])
		case noMatch:
			fields := []zap.Field{zap.String("variable", name)}
			hint := "to add a new key, name the variable exactly like the key (e.g. otter.some.key) or put it in a file in OTTER_CONFIG_DIR"
			stem := strings.TrimSuffix(name, fileSuffix)
			if c := ix.closest(stem); len(c) > 0 {
				fields = append(fields, zap.Strings("closestKeys", c))
			}
			log.Warn("OTTER_ variable matches no key of the base file or the config directory; ignored; "+hint, fields...)
		}
	}
	vars = dedupe(vars, probs)
	files = dedupe(files, probs)
	for _, s := range append(vars, files...) {
		if strings.Contains(s.value, "${") {
			log.Warn("value contains \"${\": Otter's Spring resolves ${...} placeholders in it when java starts and fails on one it cannot resolve",
				zap.String("key", s.key), zap.String("source", s.src.String()))
		}
	}
	byKey := make(map[string]Source, len(vars))
	for _, s := range vars {
		byKey[s.key] = s.src
	}
	for _, s := range files {
		if v, ok := byKey[s.key]; ok {
			log.Info("secret file overrides variable", zap.String("key", s.key),
				zap.String("source", s.src.String()), zap.String("overrides", v.String()))
		}
	}
	return append(vars, files...)
}

// warnNewKey warns when a variable adds a key that looks like a typo of a
// known one (Java's keys are case-sensitive: otter.zookeeper.sesionTimeout
// is a new key Otter never reads). The key is still added.
func warnNewKey(ix *keyIndex, name, key string, log *zap.Logger) {
	if c := ix.closest(key); len(c) > 0 {
		log.Warn("variable adds a key that is in neither the base file nor the config directory but looks like a typo of one that is; Otter reads keys case-sensitively and would ignore it",
			zap.String("variable", name), zap.String("key", key), zap.Strings("didYouMean", c))
	}
}

// looksLikeKey: a name starting with "otter." in any case, meant as a key.
func looksLikeKey(name string) bool {
	return len(name) >= len(newKeyPrefix) && strings.EqualFold(name[:len(newKeyPrefix)], newKeyPrefix)
}

// dedupe keeps one setting per key; two variables of the same source kind
// giving one key different values are a problem (values never printed).
func dedupe(list []envSetting, probs *problems) []envSetting {
	seen := make(map[string]int, len(list))
	out := list[:0]
	for _, s := range list {
		i, dup := seen[s.key]
		if !dup {
			seen[s.key] = len(out)
			out = append(out, s)
			continue
		}
		if out[i].value != s.value {
			probs.add("%s is set by both %s and %s with different values: keep only one of them",
				s.key, out[i].src, s.src)
		}
	}
	return out
}

// validText replaces invalid UTF-8 (which no Java string can hold) with
// U+FFFD, with a warning naming the variable only.
func validText(s, name string, log *zap.Logger) string {
	if utf8.ValidString(s) {
		return s
	}
	log.Warn("value is not valid UTF-8; invalid bytes replaced by U+FFFD", zap.String("variable", name))
	return string([]rune(s))
}
