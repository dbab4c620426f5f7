package prestart

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"otter-entrypoint/internal/otter"
	"otter-entrypoint/internal/secret"
)

// JDBC is what a MySQL (or MariaDB) JDBC URL such as Otter's
// otter.database.driver.url says about reaching the database, in the terms
// of go-sql-driver/mysql: the hosts in the URL's order (a failover list),
// the database, credentials written into the URL (rare; the properties
// usually hold them), and the few driver parameters that matter for
// connecting. It never holds the properties' credentials; Config adds them.
type JDBC struct {
	Hosts    []string // host:port, the port defaulting to 3306
	Database string
	User     string // from user=... or user:password@ in the URL ("" when absent)
	password string // likewise; never printed

	ConnectTimeout time.Duration // connectTimeout (ms); 0: none given
	SocketTimeout  time.Duration // socketTimeout (ms); 0: none given
	TLS            string        // go-sql-driver's tls value: "false", "preferred", "skip-verify" or "true"
}

// ParseJDBC parses a jdbc:mysql:// or jdbc:mariadb:// URL (also the
// jdbc:mysql:replication:// and :loadbalance:// forms, several hosts, and
// address=(host=..)(port=..) hosts). The URL must name a database. Errors
// never contain the URL's query or user info.
func ParseJDBC(jdbcURL string) (JDBC, error) {
	var j JDBC
	targets, err := otter.MySQLTargets(jdbcURL)
	if err != nil {
		return j, err
	}
	for _, t := range targets {
		j.Hosts = append(j.Hosts, strings.TrimPrefix(t, "tcp://"))
	}
	s := strings.TrimSpace(jdbcURL)
	rest := s[strings.Index(s, "//")+2:] // MySQLTargets found the "//"
	query := ""
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		rest, query = rest[:i], rest[i+1:]
	}
	if after := otter.AfterUserInfo(rest); len(after) < len(rest) {
		user, pass, _ := strings.Cut(rest[:len(rest)-len(after)-1], ":")
		j.User, j.password = unescape(user), unescape(pass)
		rest = after
	}
	_, path, _ := strings.Cut(rest, "/")
	j.Database = unescape(strings.TrimSpace(path))
	if j.Database == "" {
		return j, fmt.Errorf("%q names no database; Otter's tables live in the database the URL names, e.g. jdbc:mysql://db:3306/otter", secret.RedactURL(s))
	}
	if strings.ContainsAny(j.Database, "/\x00`") {
		return j, fmt.Errorf("%q: database name %q has a character MySQL does not allow in names", secret.RedactURL(s), j.Database)
	}
	var (
		problems           []string
		useSSL, requireSSL *bool
		verify             *bool
		sslMode            string
	)
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(unescape(k)), strings.TrimSpace(unescape(v))
		switch strings.ToLower(k) {
		case "user":
			if j.User == "" {
				j.User = v
			}
		case "password":
			if j.password == "" {
				j.password = v
			}
		case "connecttimeout":
			d, err := millis(v)
			if err != nil {
				problems = append(problems, fmt.Sprintf("connectTimeout=%q: %v", secret.RedactURL(v), err))
			}
			j.ConnectTimeout = d
		case "sockettimeout":
			d, err := millis(v)
			if err != nil {
				problems = append(problems, fmt.Sprintf("socketTimeout=%q: %v", secret.RedactURL(v), err))
			}
			j.SocketTimeout = d
		case "usessl", "requiressl":
			b := isTrue(v)
			if strings.EqualFold(k, "requireSSL") {
				requireSSL = &b
			} else {
				useSSL = &b
			}
		case "verifyservercertificate":
			b := isTrue(v)
			verify = &b
		case "trustservercertificate": // MariaDB Connector/J
			b := !isTrue(v)
			verify = &b
		case "sslmode":
			switch strings.ToUpper(strings.ReplaceAll(v, "-", "_")) {
			case "DISABLED", "DISABLE":
				sslMode = "false"
			case "PREFERRED":
				sslMode = "preferred"
			case "REQUIRED", "TRUST":
				sslMode = "skip-verify"
			case "VERIFY_CA", "VERIFY_IDENTITY", "VERIFY_FULL":
				sslMode = "true"
			default:
				problems = append(problems, fmt.Sprintf("sslMode=%q: not one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY", secret.RedactURL(v)))
			}
		}
	}
	j.TLS = tlsMode(sslMode, useSSL, requireSSL, verify)
	if len(problems) > 0 {
		return j, fmt.Errorf("%q: %s", secret.RedactURL(s), strings.Join(problems, "; "))
	}
	return j, nil
}

// Config is go-sql-driver's configuration for host i of the URL, logging in
// as user with password ("" for both: the URL's own credentials).
// attemptTimeout bounds the dial, reads and writes of one attempt when the
// URL sets no shorter timeout.
func (j JDBC) Config(i int, user, password string, attemptTimeout time.Duration) *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.DBName = "tcp", j.Hosts[i], j.Database
	cfg.User, cfg.Passwd = user, password
	if user == "" && password == "" {
		cfg.User, cfg.Passwd = j.User, j.password
	}
	cfg.Timeout = shorter(j.ConnectTimeout, attemptTimeout)
	cfg.ReadTimeout = shorter(j.SocketTimeout, attemptTimeout)
	cfg.WriteTimeout = cfg.ReadTimeout
	cfg.TLSConfig = j.TLS
	return cfg
}

// String names the database without credentials or parameters, for logs
// and errors: mysql://db-0:3306,db-1:3306/otter.
func (j JDBC) String() string {
	return "mysql://" + strings.Join(j.Hosts, ",") + "/" + j.Database
}

// tlsMode is go-sql-driver's tls value for Connector/J's settings: sslMode
// (Connector/J 8) wins; else useSSL or requireSSL true means TLS, verified
// unless verifyServerCertificate=false; useSSL=false means none; nothing
// said means "preferred", TLS when the server offers it, unverified, which
// is what Connector/J 5.1.47 (Otter's) and 8 do by default.
func tlsMode(sslMode string, useSSL, requireSSL, verify *bool) string {
	if sslMode != "" {
		return sslMode
	}
	on := (useSSL != nil && *useSSL) || (requireSSL != nil && *requireSSL)
	switch {
	case on && verify != nil && !*verify:
		return "skip-verify"
	case on:
		return "true"
	case useSSL != nil:
		return "false"
	}
	return "preferred"
}

func shorter(a, b time.Duration) time.Duration {
	if a > 0 && (b <= 0 || a < b) {
		return a
	}
	return b
}

func millis(v string) (time.Duration, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > int64(24*time.Hour/time.Millisecond) {
		return 0, fmt.Errorf("want milliseconds, a whole number from 0 to 86400000")
	}
	return time.Duration(n) * time.Millisecond, nil
}

func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "true", "yes", "1", "on":
		return true
	}
	return false
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}
