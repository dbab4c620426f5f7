package prestart

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

func TestParseJDBC(t *testing.T) {
	cases := []struct {
		name, url string
		hosts     []string
		db        string
		user      string
		tls       string
		connect   time.Duration
		socket    time.Duration
		err       string
	}{
		{name: "Otter's default", url: "jdbc:mysql://127.0.0.1:3306/otter?useUnicode=true&characterEncoding=UTF-8",
			hosts: []string{"127.0.0.1:3306"}, db: "otter", tls: "preferred"},
		{name: "port defaults to 3306", url: "jdbc:mysql://db/otter", hosts: []string{"db:3306"}, db: "otter", tls: "preferred"},
		{name: "MariaDB prefix, IPv6", url: "jdbc:mariadb://[::1]:3307/o", hosts: []string{"[::1]:3307"}, db: "o", tls: "preferred"},
		{name: "failover list", url: "jdbc:mysql://a:1,b:2,c/otter", hosts: []string{"a:1", "b:2", "c:3306"}, db: "otter", tls: "preferred"},
		{name: "replication", url: "jdbc:mysql:replication://a,b/x", hosts: []string{"a:3306", "b:3306"}, db: "x", tls: "preferred"},
		{name: "address form", url: "jdbc:mysql://address=(host=a)(port=4)(type=master)/x", hosts: []string{"a:4"}, db: "x", tls: "preferred"},
		{name: "timeouts in ms", url: "jdbc:mysql://h/x?connectTimeout=2500&socketTimeout=60000", hosts: []string{"h:3306"}, db: "x",
			tls: "preferred", connect: 2500 * time.Millisecond, socket: time.Minute},
		{name: "useSSL=false", url: "jdbc:mysql://h/x?useSSL=false", hosts: []string{"h:3306"}, db: "x", tls: "false"},
		{name: "useSSL verified", url: "jdbc:mysql://h/x?useSSL=true", hosts: []string{"h:3306"}, db: "x", tls: "true"},
		{name: "useSSL unverified", url: "jdbc:mysql://h/x?verifyServerCertificate=false&useSSL=true", hosts: []string{"h:3306"}, db: "x", tls: "skip-verify"},
		{name: "requireSSL", url: "jdbc:mysql://h/x?requireSSL=true&useSSL=false", hosts: []string{"h:3306"}, db: "x", tls: "true"},
		{name: "sslMode wins", url: "jdbc:mysql://h/x?useSSL=true&sslMode=DISABLED", hosts: []string{"h:3306"}, db: "x", tls: "false"},
		{name: "sslMode required", url: "jdbc:mysql://h/x?sslMode=REQUIRED", hosts: []string{"h:3306"}, db: "x", tls: "skip-verify"},
		{name: "MariaDB sslMode", url: "jdbc:mariadb://h/x?sslMode=verify-full", hosts: []string{"h:3306"}, db: "x", tls: "true"},
		{name: "user in query", url: "jdbc:mysql://h/x?user=otter&password=hunter2", hosts: []string{"h:3306"}, db: "x", user: "otter", tls: "preferred"},
		{name: "user info", url: "jdbc:mysql://otter:hunter2@h/x", hosts: []string{"h:3306"}, db: "x", user: "otter", tls: "preferred"},
		{name: "escaped database", url: "jdbc:mysql://h/ot%2Dter", hosts: []string{"h:3306"}, db: "ot-ter", tls: "preferred"},
		{name: "no database", url: "jdbc:mysql://h:3306/?password=hunter2", err: "names no database"},
		{name: "no slash at all", url: "jdbc:mysql://h:3306", err: "names no database"},
		{name: "bad timeout", url: "jdbc:mysql://h/x?connectTimeout=soon&password=hunter2", err: "connectTimeout"},
		{name: "bad sslMode", url: "jdbc:mysql://h/x?sslMode=maybe", err: "sslMode"},
		{name: "not MySQL", url: "jdbc:postgresql://h/x", err: "not a jdbc:mysql"},
		{name: "bad port", url: "jdbc:mysql://hunter2@h:99999/x", err: "port"},
		{name: "unescaped / and @ in the password", url: "jdbc:mysql://otter:hun/ter@2@h:3307/x", hosts: []string{"h:3307"}, db: "x", user: "otter", tls: "preferred"},
		{name: "unescaped / in the password, bad port", url: "jdbc:mysql://otter:hunter2/x@h:99999/x", err: "port"},
		{name: "bad timeout, password in ;-properties", url: "jdbc:mysql://h/x?connectTimeout=soon;password=hunter2", err: "connectTimeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			j, err := ParseJDBC(c.url)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("ParseJDBC(%q) = %+v, %v; want an error about %q without the password", c.url, j, err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseJDBC(%q): %v", c.url, err)
			}
			if !slices.Equal(j.Hosts, c.hosts) || j.Database != c.db || j.User != c.user || j.TLS != c.tls ||
				j.ConnectTimeout != c.connect || j.SocketTimeout != c.socket {
				t.Fatalf("ParseJDBC(%q) = hosts %q db %q user %q tls %q timeouts %v/%v; want %q %q %q %q %v/%v", c.url,
					j.Hosts, j.Database, j.User, j.TLS, j.ConnectTimeout, j.SocketTimeout, c.hosts, c.db, c.user, c.tls, c.connect, c.socket)
			}
			if strings.Contains(j.String(), "hunter2") || strings.Contains(j.String(), "?") {
				t.Errorf("String() = %q shows credentials or parameters", j.String())
			}
		})
	}
}

func TestJDBCConfig(t *testing.T) {
	j, err := ParseJDBC("jdbc:mysql://a:1,b:2/otter?connectTimeout=1000&user=u&password=url-pw")
	if err != nil {
		t.Fatal(err)
	}
	cfg := j.Config(1, "otter", "props-pw", 3*time.Second)
	if cfg.Addr != "b:2" || cfg.DBName != "otter" || cfg.User != "otter" || cfg.Passwd != "props-pw" ||
		cfg.Timeout != time.Second || cfg.ReadTimeout != 3*time.Second || cfg.TLSConfig != "preferred" {
		t.Fatalf("Config = %+v", cfg)
	}
	if _, err := mysql.NewConnector(cfg); err != nil {
		t.Fatalf("the driver rejects the configuration: %v", err)
	}
	if cfg := j.Config(0, "", "", time.Second); cfg.User != "u" || cfg.Passwd != "url-pw" {
		t.Fatalf("without the properties' credentials the URL's are used: %q/%q", cfg.User, cfg.Passwd)
	}
}

func FuzzParseJDBC(f *testing.F) {
	for _, s := range []string{
		"jdbc:mysql://127.0.0.1:3306/otter?useUnicode=true&characterEncoding=UTF-8",
		"jdbc:mysql://a,b:1/x?sslMode=REQUIRED&connectTimeout=5",
		"jdbc:mariadb://[::1]/db?useSSL=true&verifyServerCertificate=false",
		"jdbc:mysql://address=(host=a)(port=1)/x",
		"jdbc:mysql://u:p@h/x?password=q",
		"jdbc:mysql://h/%zz",
		"jdbc:mysql://(",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		j, err := ParseJDBC(u)
		if err != nil {
			// The query may hold a password: never repeated.
			if q := strings.IndexByte(u, '?'); q >= 0 && len(u)-q > 4 && strings.Contains(err.Error(), u[q:]) {
				t.Fatalf("error %q repeats the URL's query", err)
			}
			return
		}
		if len(j.Hosts) == 0 || j.Database == "" {
			t.Fatalf("ParseJDBC(%q) = %+v without an error", u, j)
		}
		for i := range j.Hosts {
			if _, err := mysql.NewConnector(j.Config(i, "u", "p", time.Second)); err != nil {
				t.Fatalf("ParseJDBC(%q) gave host %d a configuration the driver rejects: %v", u, i, err)
			}
		}
		if strings.Contains(j.String(), "?") {
			t.Fatalf("String() = %q holds the query", j.String())
		}
	})
}
