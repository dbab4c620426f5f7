package prestart

import (
	"os"
	"testing"

	"otter-entrypoint/internal/testkit"
)

// TestMain stops the MariaDB server the database tests share.
func TestMain(m *testing.M) {
	code := m.Run()
	testkit.StopSharedMariaDB()
	os.Exit(code)
}
