package secret

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://user:s3cret@host:1/p", "http://user:******@host:1/p"},
		{"https://h/x?a=1&token=abc&b=2", "https://h/x?a=1&token=******&b=2"},
		{"http://h/x?Password=abc#frag", "http://h/x?Password=******#frag"},
		{"http://h/x?access_token=abc", "http://h/x?access_token=******"},
		{"http://h/x?api%5Fkey=abc", "http://h/x?api%5Fkey=******"},
		{"http://h/x?user=bob&email=a@b.c", "http://h/x?user=bob&email=a@b.c"},
		{"http://ghp_tok3n@host/", "http://******@host/"},
		{"tcp://u:p4ss@db:3306", "tcp://u:******@db:3306"},
		{"u:p4ss@db:3306", "u:******@db:3306"},
		{"jdbc:mysql://otter:pw@db-0:3306,db-1:3306/otter?useUnicode=true&password=pw2", "jdbc:mysql://otter:******@db-0:3306,db-1:3306/otter?useUnicode=true&password=******"},
		{"jdbc:mysql://db/otter;password=pw", "jdbc:mysql://db/otter;password=******"},
		{"jdbc:mysql://address=(host=db)(port=3306)(password=pw)/otter", "jdbc:mysql://address=(host=db)(port=3306)(password=******)/otter"},
		// Malformed URLs: the password is masked all the same.
		{"http://u:p@ss/w:rd@host:port/", "http://u:******@host:port/"},
		{"http://u:pa?ss@host/", "http://u:******@host/"},
		{"http://u:pa#ss@host/", "http://u:******@host/"},
		{"http://u:%zz@host/", "http://u:******@host/"},
		{"http://h:1/no-secret", "http://h:1/no-secret"},
		{"none", "none"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzRedactURL: whatever the input, a password given as user:pass@ or as
// a secret-named parameter does not survive.
func FuzzRedactURL(f *testing.F) {
	for _, s := range []string{"http://", "tcp://h:1/", "jdbc:mysql://h/db?", "http://h/?a=b&", "u@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, prefix string) {
		if strings.ContainsAny(prefix, "@?#&;()=") {
			return
		}
		const pw = "Zq9vXw"
		for _, in := range []string{prefix + "user:" + pw + "@host:1/p", "http://host/" + prefix + "?token=" + pw} {
			if got := RedactURL(in); strings.Contains(got, pw) {
				t.Errorf("RedactURL(%q) = %q keeps the password", in, got)
			}
		}
	})
}
