package prestart

import (
	"context"
	"fmt"
	"strings"
)

// Check is a dependency WaitForChecks waits for that is more than an
// address: Name says what it is in logs and errors (never a secret), and
// Try makes one attempt whose error says in words why it is not ready yet.
type Check struct {
	Name string
	Try  func(ctx context.Context) error
}

// NoTablesReason is the MySQL check's reason when the database exists but
// holds none of Otter's tables.
const NoTablesReason = "reachable, but it has no Otter tables: set OTTER_DB_INIT=on or load Otter's schema"

// MySQLCheck is the manager's database as a dependency: it is ready when
// one of the URL's hosts answers, the account logs in, the database exists
// and (when requireTables) it holds Otter's NODE and AUTOKEEPER_CLUSTER
// tables. requireTables is false when OTTER_DB_INIT=on, whose own step
// creates them. Its reasons: unreachable, login refused, database missing,
// NoTablesReason, or an incomplete schema.
func MySQLCheck(d DB, requireTables bool) Check {
	return Check{Name: d.JDBC.String(), Try: func(ctx context.Context) error {
		db, err := d.Open(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		if !requireTables {
			return nil
		}
		have, err := tables(ctx, db, RequiredTables)
		if err != nil {
			return fmt.Errorf("reachable, but its tables cannot be listed: %v", d.reason(err))
		}
		if len(have) == 0 {
			return fmt.Errorf("%s", NoTablesReason)
		}
		if m := missing(RequiredTables, have); len(m) > 0 {
			return fmt.Errorf("reachable, but Otter's schema is incomplete (no %s); load Otter's whole schema", strings.Join(m, ", "))
		}
		return nil
	}}
}
