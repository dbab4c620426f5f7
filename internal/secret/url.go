package secret

import (
	"net/url"
	"regexp"
	"strings"
)

// RedactURL masks the secrets in a URL or address as written by a user
// (http://, tcp://, jdbc:mysql://, or a bare user:pass@host:port), whether
// it parses or not, for every log line and error:
//
//   - the password of user:password@ (the user stays); user info without a
//     colon, which may be a token, entirely;
//   - the value of every parameter whose name names a secret (IsKey):
//     ?token=..., &password=..., ;password=..., (password=...).
//
// The user info ends at the last @ before the query, so a password holding
// an unescaped @, : or / is masked whole. A password with an unescaped ? or
// # is masked too when what follows it up to the @ holds no = or & (it then
// cannot be a query).
func RedactURL(s string) string {
	start := 0
	if i := strings.Index(s, "//"); i >= 0 {
		start = i + 2
	}
	rest := s[start:]
	q := strings.IndexAny(rest, "?#")
	if q < 0 {
		q = len(rest)
	}
	at := strings.LastIndexByte(rest[:q], '@')
	if at < 0 {
		if a := strings.LastIndexByte(rest, '@'); a > q && !strings.ContainsAny(rest[q+1:a], "=&") {
			at = a
		}
	}
	if at >= 0 {
		info := rest[:at]
		masked := Mask
		if user, _, ok := strings.Cut(info, ":"); ok {
			masked = user + ":" + Mask
		}
		rest = masked + rest[at:]
	}
	return s[:start] + maskParams(rest)
}

// param is a name=value pair of a query (?a=b&c=d), of JDBC's ;-separated
// properties or of its address=(host=..)(password=..) form.
var param = regexp.MustCompile(`([?&;(])([^=&;?#()]*)=([^&;#()]*)`)

func maskParams(s string) string {
	return param.ReplaceAllStringFunc(s, func(m string) string {
		sub := param.FindStringSubmatch(m)
		name := sub[2]
		if u, err := url.QueryUnescape(name); err == nil {
			name = u
		}
		if !IsKey(name) || sub[3] == "" {
			return m
		}
		return sub[1] + sub[2] + "=" + Mask
	})
}
