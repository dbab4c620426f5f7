package secret

import "testing"

func TestIsKey(t *testing.T) {
	for name, want := range map[string]bool{
		"otter.database.driver.password": true, "OTTER_DATABASE_DRIVER_PASSWORD": true, "db.passwd": true,
		"x.secret": true, "AUTH_TOKEN": true, "aws.credentials": true, "my.apiKey": true, "my.api.key": true,
		"my.api_key": true, "otter.port": false, "otter.zookeeper.cluster.default": false, "": false,
	} {
		if got := IsKey(name); got != want {
			t.Errorf("IsKey(%q) = %v, want %v", name, got, want)
		}
	}
}
