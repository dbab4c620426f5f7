package prestart

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"time"
)

// namedLockName is the MySQL named lock for purpose on database db: one
// per database on the server, at most 64 characters as MySQL requires.
func namedLockName(purpose, db string) string {
	sum := sha256.Sum256([]byte(db))
	return "otter-entrypoint." + purpose + "." + hex.EncodeToString(sum[:8])
}

// takeNamedLock takes MySQL's named lock name (GET_LOCK, which needs no
// grant) on conn's session, asking again every 2 s until deadline;
// waiting is called once when another session holds it. held is false
// when the deadline passed; err is the database's or ctx's. unlock
// releases the lock, also after ctx ended.
func takeNamedLock(ctx context.Context, conn *sql.Conn, name string, deadline time.Time, waiting func()) (unlock func(), held bool, err error) {
	told := false
	for {
		var got sql.NullInt64
		if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 2)", name).Scan(&got); err != nil {
			return nil, false, err
		}
		if got.Valid && got.Int64 == 1 {
			return func() {
				rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_, _ = conn.ExecContext(rctx, "SELECT RELEASE_LOCK(?)", name)
			}, true, nil
		}
		if time.Now().After(deadline) {
			return nil, false, nil
		}
		if !told {
			waiting()
			told = true
		}
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
	}
}
