package testkit

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	StopSharedMariaDB()
	os.Exit(code)
}

// The shared server enforces grants: a user logs in with its password and
// sees only what it was granted.
func TestSharedMariaDB(t *testing.T) {
	srv := SharedMariaDB(t)
	db := srv.NewDatabase(t)
	srv.Exec(t, "CREATE TABLE `"+db+"`.T (ID INT)")
	user, _ := srv.NewUser(t, "GRANT SELECT ON `"+db+"`.T TO %s")
	var n int
	if err := srv.Root().QueryRow("SELECT COUNT(*) FROM mysql.user WHERE User = ?", user).Scan(&n); err != nil || n != 1 {
		t.Fatalf("user %s: count %d, %v", user, n, err)
	}
	if SharedMariaDB(t) != srv {
		t.Fatal("a second call started another server")
	}
}
