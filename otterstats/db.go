package otterstats

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
)

// The queries of a database read (otter-stats.md §6.3). Each uses an index
// on the tables Otter never cleans up (DELAY_STAT, THROUGHPUT_STAT,
// LOG_RECORD): the latest rows are one index dive per pipeline (not a
// GROUP BY over the table), new rows a primary key range after the
// high-water mark. The query plan test holds them to that.
const (
	qChannels  = "SELECT ID, NAME FROM CHANNEL"
	qPipelines = "SELECT ID, NAME, CHANNEL_ID, PARAMETERS FROM PIPELINE"
	qNodes     = "SELECT ID, NAME, IP FROM NODE"
	// Q2: the manager's "latest" ordering (findRealtimeDelayStat).
	qDelay = `SELECT p.ID, d.DELAY_TIME, UNIX_TIMESTAMP(d.GMT_CREATE)
FROM PIPELINE p
LEFT JOIN DELAY_STAT d ON d.ID = (
  SELECT d1.ID FROM DELAY_STAT d1
  WHERE d1.PIPELINE_ID = p.ID
  ORDER BY d1.GMT_MODIFIED DESC, d1.ID DESC LIMIT 1)`
	// Q3: the manager's "last sync time" ordering, per type.
	qLastSync = `SELECT p.ID, ty.TYPE, UNIX_TIMESTAMP(t.GMT_MODIFIED)
FROM PIPELINE p
CROSS JOIN (SELECT 'ROW' AS TYPE UNION ALL SELECT 'FILE' UNION ALL SELECT 'MQ') ty
LEFT JOIN THROUGHPUT_STAT t ON t.ID = (
  SELECT t1.ID FROM THROUGHPUT_STAT t1
  WHERE t1.PIPELINE_ID = p.ID AND t1.TYPE = ty.TYPE
  ORDER BY t1.END_TIME DESC, t1.ID DESC LIMIT 1)`
	qMaxThroughput = "SELECT COALESCE(MAX(ID), 0) FROM THROUGHPUT_STAT"
	qMaxLog        = "SELECT COALESCE(MAX(ID), 0) FROM LOG_RECORD"
	// Q4 and Q6 between the marks: LOG_RECORD's ids are its primary key;
	// its CHANNEL_ID and PIPELINE_ID are text, read as text.
	qLoaded = `SELECT PIPELINE_ID, TYPE, SUM(NUMBER), SUM(SIZE)
FROM THROUGHPUT_STAT WHERE ID > ? AND ID <= ? GROUP BY PIPELINE_ID, TYPE`
	qLogs = `SELECT CHANNEL_ID, PIPELINE_ID, TITLE, COUNT(*)
FROM LOG_RECORD WHERE ID > ? AND ID <= ? GROUP BY CHANNEL_ID, PIPELINE_ID, TITLE`
)

// Queries are the database read's statements, for the query plan test
// (placeholders bound to the marks).
var Queries = []string{qChannels, qPipelines, qNodes, qDelay, qLastSync, qMaxThroughput, qMaxLog, qLoaded, qLogs}

// Opener opens a pool to the manager's database (prestart.DB.Open).
type Opener func(ctx context.Context) (*sql.DB, error)

// DBSource reads the manager's database: one read-only transaction per
// round, so that the marks and the rows counted agree.
type DBSource struct {
	open Opener
	mu   sync.Mutex
	pool *sql.DB
}

// NewDBSource reads through pools open opens; a pool is opened again after
// a failed read (the next host of a failover URL may answer).
func NewDBSource(open Opener) *DBSource { return &DBSource{open: open} }

// Close closes the pool.
func (s *DBSource) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pool != nil {
		s.pool.Close()
		s.pool = nil
	}
}

// Read reads one round, counting the rows after marks (none when
// marks.Set is false: counting starts at the marks it returns).
func (s *DBSource) Read(ctx context.Context, marks Marks) (*DBRead, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pool == nil {
		pool, err := s.open(ctx)
		if err != nil {
			return nil, err
		}
		pool.SetMaxOpenConns(1)
		s.pool = pool
	}
	r, err := read(ctx, s.pool, marks)
	if err != nil {
		s.pool.Close()
		s.pool = nil
	}
	return r, err
}

func read(ctx context.Context, pool *sql.DB, marks Marks) (_ *DBRead, err error) {
	tx, err := pool.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // read only: nothing to undo
	r := &DBRead{Delays: map[int64]Delay{}, LastSync: map[TypeKey]float64{},
		Loaded: map[TypeKey]Loaded{}, Logs: map[LogKey]int64{}}

	err = each(ctx, tx, qChannels, nil, func(rows *sql.Rows) error {
		var c Channel
		err := rows.Scan(&c.ID, &c.Name)
		r.Channels = append(r.Channels, c)
		return err
	})
	if err == nil {
		err = each(ctx, tx, qPipelines, nil, func(rows *sql.Rows) error {
			var p Pipeline
			var params sql.NullString
			err := rows.Scan(&p.ID, &p.Name, &p.ChannelID, &params)
			p.Destination = ParseDestination(params.String)
			r.Pipelines = append(r.Pipelines, p)
			return err
		})
	}
	if err == nil {
		err = each(ctx, tx, qNodes, nil, func(rows *sql.Rows) error {
			var n Node
			err := rows.Scan(&n.ID, &n.Name, &n.IP)
			r.Nodes = append(r.Nodes, n)
			return err
		})
	}
	if err == nil {
		err = each(ctx, tx, qDelay, nil, func(rows *sql.Rows) error {
			var pid int64
			var ms sql.NullInt64
			var at sql.NullFloat64
			if err := rows.Scan(&pid, &ms, &at); err != nil {
				return err
			}
			if ms.Valid && at.Valid {
				r.Delays[pid] = Delay{Millis: ms.Int64, Updated: at.Float64}
			}
			return nil
		})
	}
	if err == nil {
		err = each(ctx, tx, qLastSync, nil, func(rows *sql.Rows) error {
			var k TypeKey
			var at sql.NullFloat64
			if err := rows.Scan(&k.Pipeline, &k.Type, &at); err != nil {
				return err
			}
			if at.Valid {
				r.LastSync[k] = at.Float64
			}
			return nil
		})
	}
	var maxT, maxL int64
	if err == nil {
		err = tx.QueryRowContext(ctx, qMaxThroughput).Scan(&maxT)
	}
	if err == nil {
		err = tx.QueryRowContext(ctx, qMaxLog).Scan(&maxL)
	}
	if err != nil {
		return nil, err
	}
	r.Marks = Marks{Set: true, Throughput: maxT, Log: maxL}
	if !marks.Set {
		return r, nil
	}
	// A mark above the table's largest id: the table was emptied and its
	// ids start again (InnoDB before MySQL 8 recomputes AUTO_INCREMENT at
	// a restart), so every row in it is new.
	fromT, fromL := marks.Throughput, marks.Log
	if fromT > maxT {
		fromT = 0
	}
	if fromL > maxL {
		fromL = 0
	}
	err = each(ctx, tx, qLoaded, []any{fromT, maxT}, func(rows *sql.Rows) error {
		var k TypeKey
		var l Loaded
		if err := rows.Scan(&k.Pipeline, &k.Type, &l.Records, &l.Bytes); err != nil {
			return err
		}
		r.Loaded[k] = l
		return nil
	})
	if err == nil {
		err = each(ctx, tx, qLogs, []any{fromL, maxL}, func(rows *sql.Rows) error {
			var k LogKey
			var title sql.NullString
			var n int64
			if err := rows.Scan(&k.Channel, &k.Pipeline, &title, &n); err != nil {
				return err
			}
			k.Title = title.String
			r.Logs[k] += n
			return nil
		})
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// each runs a query and calls scan for each row.
func each(ctx context.Context, tx *sql.Tx, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", firstWords(query), err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("%s: %w", firstWords(query), err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", firstWords(query), err)
	}
	return nil
}

// firstWords names a query in an error: its first line.
func firstWords(q string) string {
	line, _, _ := strings.Cut(q, "\n")
	return line
}
