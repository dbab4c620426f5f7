package main

// Black-box test of the manager's Otter statistics: the built entrypoint,
// the stand-in, a real MariaDB (its tables created by OTTER_DB_INIT) and
// a real ZooKeeper.

import (
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"otter-entrypoint/internal/otterstub"
	"otter-entrypoint/internal/testkit"
)

func TestManagerServesOtterStats(t *testing.T) {
	srv := testkit.SharedMariaDB(t)
	db := srv.NewDatabase(t)
	user, password := srv.NewUser(t, "GRANT ALL ON `"+db+"`.* TO %s")
	z := testkit.StartZooKeeper(t)
	home := otterstub.Home(t, "manager", filepath.Join(t.TempDir(), "manager"))
	ports := testkit.FreePorts(t, 3)
	p := start(t, []string{
		"JAVA_HOME=" + testkit.AnyJDK(t).Home, "OTTER_HOME=" + home, "ENTRYPOINT_RENDER_DIR=" + t.TempDir(),
		"OTTER_PORT=" + strconv.Itoa(ports[0]), "OTTER_COMMUNICATION_MANAGER_PORT=" + strconv.Itoa(ports[1]),
		"ENTRYPOINT_LISTEN=127.0.0.1:" + strconv.Itoa(ports[2]),
		"OTTER_DATABASE_DRIVER_URL=" + srv.JDBCURL(db), "OTTER_DATABASE_DRIVER_USERNAME=" + user,
		"OTTER_DATABASE_DRIVER_PASSWORD=" + password, "OTTER_ZOOKEEPER_CLUSTER_DEFAULT=" + z.Addr,
		"OTTER_DB_INIT=on", "OTTER_STATS_INTERVAL=1s",
	}, "manager")
	p.startLine() // the tables exist: OTTER_DB_INIT ran before java
	pool := srv.DB(t, db)
	for _, s := range []string{
		"INSERT INTO CHANNEL (ID, NAME, GMT_CREATE) VALUES (7, 'orders', NOW())",
		`INSERT INTO PIPELINE (ID, NAME, CHANNEL_ID, PARAMETERS, GMT_CREATE) VALUES (70, 'orders-ab', 7, '{"destinationName":"orders"}', NOW())`,
		"INSERT INTO DELAY_STAT (DELAY_TIME, DELAY_NUMBER, PIPELINE_ID, GMT_CREATE, GMT_MODIFIED) VALUES (1500, 0, 70, NOW(), NOW())",
	} {
		if _, err := pool.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	url := "http://127.0.0.1:" + strconv.Itoa(ports[2]) + "/metrics"
	pl := `channel="orders",channel_id="7",pipeline="orders-ab",pipeline_id="70"`
	wantLines := []string{
		"otter_stats_db_up 1", "otter_stats_zookeeper_up 1",
		`otter_channel_info{channel="orders",channel_id="7"} 1`,
		`otter_channel_status{channel="orders",channel_id="7",status="STOP"} 1`,
		"otter_pipeline_delay_seconds{" + pl + "} 1.5",
		"otter_pipeline_mainstem_status{" + pl + `,status="not_working"} 1`,
		`otter_log_records_total{channel_id="-1",pipeline_id="-1",title="EXCEPTION"} 0`,
	}
	var body string
	testkit.Eventually(t, "the otter_* series on /metrics", 60*time.Second, func() bool {
		resp, err := http.Get(url)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		for _, w := range wantLines {
			if !strings.Contains(body, w+"\n") {
				return false
			}
		}
		return true
	}, func() []byte { return []byte(body + "\nstderr:\n" + p.stderr.String()) })
	if strings.Contains(body, password) || strings.Contains(p.stderr.String(), password) {
		t.Error("the database password appears on /metrics or in the log")
	}
	p.signal(syscall.SIGTERM)
	if code := p.wait(30 * time.Second); code != 143 {
		t.Errorf("exit %d after TERM; stderr:\n%s", code, p.stderr.String())
	}
}
