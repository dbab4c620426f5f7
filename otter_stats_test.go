package main

// Black-box test of the manager's Otter statistics: the built entrypoint,
// the stand-in, a real MariaDB (its tables created by OTTER_DB_INIT) and
// a real ZooKeeper.

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
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
	// Every otter_* replication family scraped is in README's table for
	// them, and every name there was scraped.
	documented := readmeStatsMetrics(t)
	scraped := map[string]bool{}
	for _, line := range strings.Split(body, "\n") {
		if name, _, ok := strings.Cut(line, "{"); ok || strings.HasPrefix(line, "otter_") {
			if !ok {
				name, _, _ = strings.Cut(line, " ")
			}
			for _, prefix := range []string{"otter_stats_", "otter_channel_", "otter_pipeline_", "otter_node_", "otter_log_"} {
				if strings.HasPrefix(name, prefix) {
					scraped[name] = true
				}
			}
		}
	}
	if len(scraped) < 8 {
		t.Errorf("only %d otter_* replication families scraped: %v", len(scraped), scraped)
	}
	for name := range scraped {
		if !documented[name] {
			t.Errorf("%s is served but not in README's table of Otter's replication metrics", name)
		}
	}
	for name := range documented {
		if !scraped[name] && name != "otter_pipeline_mainstem_node_id" && !strings.HasPrefix(name, "otter_pipeline_last_sync") &&
			!strings.HasPrefix(name, "otter_pipeline_loaded_") && name != "otter_pipeline_position_updated_timestamp_seconds" && name != "otter_node_up" {
			t.Errorf("README lists %s, which the manager did not serve", name)
		}
	}
	if strings.Contains(body, password) || strings.Contains(p.stderr.String(), password) {
		t.Error("the database password appears on /metrics or in the log")
	}
	p.stopWithTERM()
}

// readmeStatsMetrics returns the names in the first column of README's
// table of Otter's replication metrics.
func readmeStatsMetrics(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n### Otter's replication")
	if !ok {
		t.Fatal("README has no table of Otter's replication metrics")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	names := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 {
			continue
		}
		for _, m := range regexp.MustCompile("`(otter_[a-z_]+)`").FindAllStringSubmatch(cells[1], -1) {
			names[m[1]] = true
		}
	}
	if len(names) < 15 {
		t.Fatalf("found only %d names in README's table of Otter's replication metrics", len(names))
	}
	return names
}
