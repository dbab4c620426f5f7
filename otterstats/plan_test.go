package otterstats

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"otter-entrypoint/internal/testkit"
)

// loadStats fills a database made by otterDB with pipelines pipelines
// (two per channel, as Otter allows) and rows rows in each of DELAY_STAT and
// THROUGHPUT_STAT (ROW, one in ten FILE), rows/10 in LOG_RECORD, spread over
// the pipelines and the past, using MariaDB's sequence engine.
func loadStats(t testing.TB, db *sql.DB, pipelines, rows int) {
	t.Helper()
	execSQL(t, db,
		fmt.Sprintf("INSERT INTO CHANNEL (ID, NAME, GMT_CREATE) SELECT seq, CONCAT('ch-', seq), NOW() FROM seq_1_to_%d", (pipelines+1)/2),
		fmt.Sprintf(`INSERT INTO PIPELINE (ID, NAME, CHANNEL_ID, PARAMETERS, GMT_CREATE)
		 SELECT seq, CONCAT('p-', seq), (seq + 1) DIV 2, CONCAT('{"destinationName":"dest-', seq, '","home":false}'), NOW() FROM seq_1_to_%d`, pipelines),
		fmt.Sprintf(`INSERT INTO DELAY_STAT (DELAY_TIME, DELAY_NUMBER, PIPELINE_ID, GMT_CREATE, GMT_MODIFIED)
		 SELECT seq %% 7000, 0, 1 + seq %% %d, NOW() - INTERVAL (%d - seq) SECOND, NOW() - INTERVAL (%d - seq) SECOND FROM seq_1_to_%d`, pipelines, rows, rows, rows),
		fmt.Sprintf(`INSERT INTO THROUGHPUT_STAT (TYPE, NUMBER, SIZE, PIPELINE_ID, START_TIME, END_TIME, GMT_CREATE, GMT_MODIFIED)
		 SELECT IF(seq %% 10 = 0, 'FILE', 'ROW'), seq %% 1000, seq %% 100000, 1 + seq %% %d,
		   NOW() - INTERVAL (%d - seq + 60) SECOND, NOW() - INTERVAL (%d - seq) SECOND, NOW() - INTERVAL (%d - seq) SECOND, NOW() - INTERVAL (%d - seq) SECOND
		 FROM seq_1_to_%d`, pipelines, rows, rows, rows, rows, rows),
		fmt.Sprintf(`INSERT INTO LOG_RECORD (NID, CHANNEL_ID, PIPELINE_ID, TITLE, MESSAGE, GMT_CREATE)
		 SELECT '1', (1 + seq %% %d + 1) DIV 2, 1 + seq %% %d, IF(seq %% 3 = 0, 'DELAYTIME', 'EXCEPTION'), REPEAT('x', 500), NOW() FROM seq_1_to_%d`,
			pipelines, pipelines, max(rows/10, 1)),
		"ANALYZE TABLE DELAY_STAT, THROUGHPUT_STAT, LOG_RECORD, PIPELINE, CHANNEL")
}

// planRow is a row of EXPLAIN.
type planRow struct{ table, typ, key, extra string }

func explain(t testing.TB, db *sql.DB, q string, args ...any) []planRow {
	t.Helper()
	rows, err := db.Query("EXPLAIN "+q, args...)
	if err != nil {
		t.Fatalf("EXPLAIN %s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []planRow
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var r planRow
		for i, c := range cols {
			switch c {
			case "table":
				r.table = vals[i].String
			case "type":
				r.typ = vals[i].String
			case "key":
				r.key = vals[i].String
			case "Extra":
				r.extra = vals[i].String
			}
		}
		out = append(out, r)
	}
	return out
}

// The queries on the tables Otter never cleans up use an index: the
// latest row of each pipeline is an index dive (never a scan of the
// table or of a whole index), new rows a primary key range.
func TestQueryPlansUseIndexes(t *testing.T) {
	db, _ := otterDB(t, testkit.SharedMariaDB(t))
	loadStats(t, db, 40, 20000)
	// The tables Otter never cleans up, by name or by the queries' aliases.
	big := map[string]bool{"DELAY_STAT": true, "THROUGHPUT_STAT": true, "LOG_RECORD": true,
		"d": true, "d1": true, "t": true, "t1": true}
	wantKey := map[string]map[string]string{ // query → alias → index
		qDelay:    {"d1": "idx_PipelineID_GmtModified_ID", "d": "PRIMARY"},
		qLastSync: {"t1": "idx_PipelineID_Type_EndTime_ID", "t": "PRIMARY"},
		qLoaded:   {"THROUGHPUT_STAT": "PRIMARY"},
		qLogs:     {"LOG_RECORD": "PRIMARY"},
	}
	for _, q := range Queries {
		var args []any
		if strings.Contains(q, "?") {
			args = []any{int64(19000), int64(20000)}
		}
		plan := explain(t, db, q, args...)
		for _, r := range plan {
			alias := r.table
			if !big[alias] {
				continue
			}
			// A sort is fine for the new rows of a range (grouped), never
			// for a pipeline's latest row.
			dive := alias == "d1" || alias == "t1"
			if r.typ == "ALL" || r.typ == "index" || (dive && strings.Contains(r.extra, "filesort")) {
				t.Errorf("%s\n  scans %s: type=%s key=%s extra=%s", q, alias, r.typ, r.key, r.extra)
			}
			if k, ok := wantKey[q][alias]; ok && r.key != k {
				t.Errorf("%s\n  %s uses %q, want %s (type=%s)", q, alias, r.key, k, r.typ)
			}
		}
		t.Logf("%s\n  %+v", firstWords(q), plan)
	}
	// The guard works: the GROUP BY form the notes warn about is caught.
	for _, r := range explain(t, db, "SELECT PIPELINE_ID, MAX(ID) FROM DELAY_STAT GROUP BY PIPELINE_ID") {
		if r.typ != "index" && r.typ != "ALL" {
			t.Errorf("the scan the test must catch has type %s", r.typ)
		}
	}
}
