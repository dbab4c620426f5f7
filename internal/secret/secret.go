// Package secret says which names hold secrets, so that every place that
// shows a value (render, --explain, logs, the java command line of
// --dry-run, errors) masks the same ones.
package secret

import "strings"

// words are the parts of a name that mark its value as a secret.
var words = []string{"password", "passwd", "secret", "token", "credential", "apikey", "api.key", "api_key"}

// IsKey reports whether a key or variable name names a secret.
func IsKey(name string) bool {
	k := strings.ToLower(name)
	for _, w := range words {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// Mask is what is shown instead of a secret value.
const Mask = "******"

// Shown is value as people may see it: Mask when it is a secret, a URL's
// password or secret query values redacted (RedactURL), else value.
func Shown(value string, isSecret bool) string {
	switch {
	case isSecret:
		return Mask
	case strings.Contains(value, "://"):
		return RedactURL(value)
	}
	return value
}
