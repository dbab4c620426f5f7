package docker

// The dashboard and alert rules of docker/monitoring/: promtool checks and
// unit-tests the rules, every query of the dashboard is parsed by promtool
// and run against a real Prometheus (Debian's) scraping the real entrypoint
// with the Otter stand-in (a manager reading Otter's statistics from a
// real MariaDB and ZooKeeper, and a node registered in that ZooKeeper),
// and every metric a query or rule names is in README.md's Metrics tables.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"go.uber.org/zap"
	"sigs.k8s.io/yaml"

	"otter-entrypoint/internal/otterstub"
	"otter-entrypoint/internal/otterzk"
	"otter-entrypoint/internal/testkit"
	"otter-entrypoint/prestart"
)

const (
	monitoringDir = "monitoring"
	rulesFile     = "otter-entrypoint.rules.yml"
	rulesTestFile = "otter-entrypoint.rules.test.yml"
	dashboardFile = "otter-entrypoint.dashboard.json"
)

func lookTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		testkit.MissingTool(t, "%s is not installed (apt-get install prometheus): %v", name, err)
	}
	return p
}

func runTool(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(lookTool(t, name), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// ---- the rules ----

type ruleFile struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Alert  string            `json:"alert"`
			Record string            `json:"record"`
			Expr   string            `json:"expr"`
			For    string            `json:"for"`
			Labels map[string]string `json:"labels"`
			Annot  map[string]string `json:"annotations"`
		} `json:"rules"`
	} `json:"groups"`
}

func readRules(t *testing.T) ruleFile {
	t.Helper()
	var rf ruleFile
	if err := yaml.UnmarshalStrict(readFile(t, filepath.Join(monitoringDir, rulesFile)), &rf); err != nil {
		t.Fatal(err)
	}
	return rf
}

// TestAlertRules: promtool checks the rules and runs their unit tests;
// every alert has a case where it fires and one where it stays quiet, a
// severity, a summary and a description; every metric it names is
// documented.
func TestAlertRules(t *testing.T) {
	out := runTool(t, monitoringDir, "promtool", "check", "rules", rulesFile)
	t.Log(strings.TrimSpace(out))
	out = runTool(t, monitoringDir, "promtool", "test", "rules", rulesTestFile)
	t.Log(strings.TrimSpace(out))

	var tests struct {
		RuleFiles []string `json:"rule_files"`
		Tests     []struct {
			Name       string `json:"name"`
			AlertTests []struct {
				EvalTime  string            `json:"eval_time"`
				Alertname string            `json:"alertname"`
				ExpAlerts []json.RawMessage `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		} `json:"tests"`
	}
	if err := yaml.Unmarshal(readFile(t, filepath.Join(monitoringDir, rulesTestFile)), &tests); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tests.RuleFiles, []string{rulesFile}) {
		t.Errorf("%s tests %v, want [%s]", rulesTestFile, tests.RuleFiles, rulesFile)
	}
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, at := range tc.AlertTests {
			if len(at.ExpAlerts) > 0 {
				fires[at.Alertname] = true
			} else {
				quiet[at.Alertname] = true
			}
		}
	}
	documented := readmeMetricNames(t)
	alerts := 0
	for _, g := range readRules(t).Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts++
			if !fires[r.Alert] || !quiet[r.Alert] {
				t.Errorf("%s: a case where it fires %v, where it stays quiet %v; want both", r.Alert, fires[r.Alert], quiet[r.Alert])
			}
			if r.Labels["severity"] == "" || r.Annot["summary"] == "" || r.Annot["description"] == "" {
				t.Errorf("%s: wants a severity label, a summary and a description (what to do)", r.Alert)
			}
			for _, m := range metricNames(r.Expr) {
				if !documented(m) {
					t.Errorf("%s uses %s, which README.md's Metrics table does not list", r.Alert, m)
				}
			}
		}
	}
	if alerts < 7 {
		t.Errorf("found %d alerts", alerts)
	}
}

// ---- the dashboard ----

type dashTarget struct {
	RefID      string `json:"refId"`
	Expr       string `json:"expr"`
	Datasource struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
}

type dashPanel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Desc       string `json:"description"`
	Datasource *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	Targets []dashTarget `json:"targets"`
	Panels  []dashPanel  `json:"panels"` // a collapsed row's
}

type dashboard struct {
	UID        string `json:"uid"`
	Title      string `json:"title"`
	Templating struct {
		List []struct {
			Name  string          `json:"name"`
			Type  string          `json:"type"`
			Query json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Panels []dashPanel `json:"panels"`
}

// dashQuery is one query of the dashboard, named for messages.
type dashQuery struct {
	where string // "panel title / refId" or "variable name"
	expr  string // as written, with Grafana's variables
	// labelValues is set for a variable's label_values(expr, label): expr
	// is then the series selector whose label is listed.
	labelValues bool
}

func readDashboard(t *testing.T) (dashboard, []dashQuery) {
	t.Helper()
	var d dashboard
	dec := json.NewDecoder(strings.NewReader(string(readFile(t, filepath.Join(monitoringDir, dashboardFile)))))
	if err := dec.Decode(&d); err != nil {
		t.Fatal(err)
	}
	var qs []dashQuery
	labelValues := regexp.MustCompile(`^label_values\((.+),\s*(\w+)\)$`)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			t.Fatalf("variable %s: %v", v.Name, err)
		}
		m := labelValues.FindStringSubmatch(q.Query)
		if m == nil {
			t.Fatalf("variable %s: %q is not label_values(selector, label)", v.Name, q.Query)
		}
		qs = append(qs, dashQuery{where: "variable " + v.Name, expr: m[1], labelValues: true})
	}
	var walk func(ps []dashPanel)
	walk = func(ps []dashPanel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				qs = append(qs, dashQuery{where: p.Title + " / " + tg.RefID, expr: tg.Expr})
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return d, qs
}

// grafanaVars are the values the test gives Grafana's variables: every
// job and instance, and a range long enough for the subqueries.
var grafanaVars = strings.NewReplacer(
	"$__rate_interval", "1m",
	"$__range", "10m",
	"$job", ".+",
	"$instance", ".+",
)

// TestDashboard checks what Grafana needs to import the dashboard as it is
// (a Prometheus data-source variable every panel uses; no fixed data source
// uid), the rows, that each panel says what question it answers, that
// promtool parses every query, and that every metric a query names is
// documented.
func TestDashboard(t *testing.T) {
	d, qs := readDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Error("the dashboard needs a uid and a title")
	}
	var hasDS bool
	for _, v := range d.Templating.List {
		if v.Name == "datasource" && v.Type == "datasource" && string(v.Query) == `"prometheus"` {
			hasDS = true
		}
	}
	if !hasDS {
		t.Error(`no data-source variable "datasource" of type prometheus`)
	}
	var rows []string
	for _, p := range d.Panels {
		if p.Type == "row" {
			rows = append(rows, strings.ToLower(p.Title))
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q: data source %+v, want uid ${datasource}", p.Title, p.Datasource)
		}
		if !strings.HasSuffix(strings.TrimSpace(p.Desc), "?") && !strings.Contains(p.Desc, "? ") {
			t.Errorf("panel %q: its description should ask the question it answers: %q", p.Title, p.Desc)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			if tg.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q query %s: data source %q", p.Title, tg.RefID, tg.Datasource.UID)
			}
		}
	}
	for _, want := range []string{"supervisor", "java process", "jvm", "cluster", "otter replication"} {
		if !slices.ContainsFunc(rows, func(r string) bool { return strings.HasPrefix(r, want) }) {
			t.Errorf("no row for %q among %q", want, rows)
		}
	}

	// promtool parses each query as a recording rule's expression.
	var rf strings.Builder
	rf.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, q := range qs {
		b, _ := json.Marshal(grafanaVars.Replace(q.expr))
		fmt.Fprintf(&rf, "      - record: dashboard:query_%d\n        expr: %s\n", i, b)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dashboard.rules.yml"), []byte(rf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	runTool(t, dir, "promtool", "check", "rules", "dashboard.rules.yml")

	documented := readmeMetricNames(t)
	for _, q := range qs {
		names := metricNames(q.expr)
		if len(names) == 0 {
			t.Errorf("%s: no metric in %q", q.where, q.expr)
		}
		for _, m := range names {
			if !documented(m) {
				t.Errorf("%s uses %s, which README.md's Metrics table does not list", q.where, m)
			}
		}
	}
}

// TestDashboardOnARealPrometheus runs the entrypoint with the Otter
// stand-in as a manager and as a node registered in a real ZooKeeper,
// Debian's Prometheus scraping both every second with the alert rules
// loaded, and asks Prometheus every query of the dashboard: each must
// return data. The manager reads Otter's statistics from a real MariaDB
// holding Otter's tables (a channel, a pipeline, its delay, throughput
// and log records, the node's NODE row) and from the test's ZooKeeper
// (the channel's status, the pipeline's mainstem, the node's znode), so
// that the Otter replication row is proven too. The rules must evaluate
// without error, and deleting the node's znode must make
// OtterNodeNotRegisteredInZooKeeper pending.
func TestDashboardOnARealPrometheus(t *testing.T) {
	promBin := lookTool(t, "prometheus")
	_, qs := readDashboard(t)
	jdk := testkit.AnyJDK(t)
	z := testkit.StartZooKeeper(t)
	root := repoRoot(t)
	work := t.TempDir()
	bin := filepath.Join(work, "otter-entrypoint")
	buildEntrypoint(t, root, bin)

	ports := testkit.FreePorts(t, 5)
	managerProbe, nodeProbe, httpPort, commPort, promPort := ports[0], ports[1], ports[2], ports[3], ports[4]
	const nid = 4713 // no other test runs a JVM with this nid
	managerHome := otterstub.Home(t, "manager", filepath.Join(work, "manager"))
	nodeHome := otterstub.Home(t, "node", filepath.Join(work, "node"))
	stats := otterStatsDatabase(t, z, managerHome, nid)
	entrypoint := func(role, home string, env ...string) *testkit.Proc {
		cmd := exec.Command(bin, role)
		cmd.Env = append(os.Environ(), append([]string{
			"JAVA_HOME=" + jdk.Home, "OTTER_HOME=" + home, "ENTRYPOINT_WAIT_FOR=none",
			"ENTRYPOINT_RENDER_DIR=" + filepath.Join(work, role+"-render"),
			"ENTRYPOINT_READY_INTERVAL=200ms", "ENTRYPOINT_TAIL_LOGS=off", "JAVA_MAX_MEM_RATIO=0",
		}, env...)...)
		p := testkit.StartProc(t, cmd)
		// Before StartProc's kill: a killed entrypoint would leave java
		// running, holding the output pipe open and the test's end waiting.
		t.Cleanup(func() {
			_ = p.Cmd.Process.Signal(syscall.SIGTERM)
			p.Wait(t, 40*time.Second)
		})
		return p
	}
	manager := entrypoint("manager", managerHome, append(stats.env,
		"ENTRYPOINT_LISTEN=127.0.0.1:"+strconv.Itoa(managerProbe),
		"OTTER_PORT="+strconv.Itoa(httpPort), "OTTER_COMMUNICATION_MANAGER_PORT="+strconv.Itoa(commPort),
		"JAVA_OPTIONS=-Xmx64m")...)
	node := entrypoint("node", nodeHome, "ENTRYPOINT_LISTEN=127.0.0.1:"+strconv.Itoa(nodeProbe),
		"OTTER_NID="+strconv.Itoa(nid), "OTTER_ZK_SERVERS="+z.Addr,
		"JAVA_OPTIONS=-Xmx64m -Dotter.stub.zkServers="+z.Addr+" -Dotter.stub.zkSessionTimeoutMs=30000 -Dotter.stub.shutdownDelayMs=0")
	manager.WaitOK(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", managerProbe), 90*time.Second)
	node.WaitOK(t, fmt.Sprintf("http://127.0.0.1:%d/readyz", nodeProbe), 90*time.Second)
	// A thread dump: the signals panel has a series to show.
	if err := manager.Cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	// Otter writes statistics while it runs: rows after the manager's
	// first read are counted, so that rate() and increase() see them.
	stats.afterFirstRead(t, fmt.Sprintf("http://127.0.0.1:%d/metrics", managerProbe))

	dir := t.TempDir()
	rules, err := filepath.Abs(filepath.Join(monitoringDir, rulesFile))
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: [%q]
scrape_configs:
  - job_name: otter
    static_configs:
      - targets: ["127.0.0.1:%d"]
        labels: {pod: otter-manager-0}
      - targets: ["127.0.0.1:%d"]
        labels: {pod: otter-node-0}
`, rules, managerProbe, nodeProbe)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	prom := testkit.StartProc(t, exec.Command(promBin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address=127.0.0.1:"+strconv.Itoa(promPort)))
	api := &promAPI{base: "http://127.0.0.1:" + strconv.Itoa(promPort)}

	// Every query returns data once both targets were scraped a few times.
	pending := slices.Clone(qs)
	testkit.Eventually(t, "every dashboard query returns data", 120*time.Second, func() bool {
		prom.FailIfExited(t)
		pending = slices.DeleteFunc(pending, func(q dashQuery) bool { return api.hasData(q) })
		return len(pending) == 0
	}, func() []byte {
		var b strings.Builder
		for _, q := range pending {
			fmt.Fprintf(&b, "%s: %s → %s\n", q.where, grafanaVars.Replace(q.expr), api.lastAnswer(q))
		}
		return []byte(b.String() + "\nPrometheus:\n" + testkit.Short(prom.Out.String()))
	})
	t.Logf("all %d dashboard queries returned data", len(qs))
	// The rows written after the first read were counted.
	for _, counted := range []string{
		`otter_pipeline_loaded_records_total{pipeline="orders-ab", type="ROW"} == 350`,
		`otter_pipeline_loaded_bytes_total{pipeline="orders-ab", type="ROW"} == 65536`,
		`otter_log_records_total{pipeline_id="70", title="DELAYTIME"} == 1`,
	} {
		q := dashQuery{expr: counted}
		testkit.Eventually(t, counted, 30*time.Second, func() bool { return api.hasData(q) },
			func() []byte { return []byte(api.lastAnswer(q)) })
	}

	// The rules evaluate on real series without error.
	testkit.Eventually(t, "every rule evaluated, healthy", 30*time.Second, func() bool {
		bad, n := api.ruleHealth()
		return n > 0 && len(bad) == 0
	}, func() []byte { bad, _ := api.ruleHealth(); return []byte(strings.Join(bad, "\n")) })

	// The node loses its registration: the alert's expression holds.
	admin := z.Client(t, 4*time.Second)
	path := otterzk.NodePath(nid)
	if _, st, err := admin.Get(path); err != nil {
		t.Fatalf("%s: %v", path, err)
	} else if err := admin.Delete(path, st.Version); err != nil {
		t.Fatal(err)
	}
	alert := `ALERTS{alertname="OtterNodeNotRegisteredInZooKeeper", alertstate="pending", pod="otter-node-0", check="zookeeper"}`
	testkit.Eventually(t, alert, 30*time.Second, func() bool {
		return api.hasData(dashQuery{expr: alert})
	}, func() []byte { return []byte(api.lastAnswer(dashQuery{expr: alert})) })
	if api.hasData(dashQuery{expr: `ALERTS{pod="otter-manager-0"}`}) {
		t.Errorf("an alert for the healthy manager: %s", api.lastAnswer(dashQuery{expr: `ALERTS{pod="otter-manager-0"}`}))
	}
}

// otterStats is the manager's view of Otter for the replication row: a
// database with Otter's tables and rows, and the znodes Otter writes.
type otterStats struct {
	env  []string // the manager's settings to read them, every second
	pool *sql.DB
}

// otterStatsDatabase creates Otter's tables in a new database of the
// shared MariaDB (as OTTER_DB_INIT does, from the stand-in's schema), a
// channel "orders" (7) with a pipeline "orders-ab" (70), its delay, one
// throughput row, the node nid's NODE row, and in z the channel's status
// (START) and the pipeline's mainstem (working on nid). The manager reads
// them with a SELECT-only account.
func otterStatsDatabase(t *testing.T, z *testkit.ZooKeeper, managerHome string, nid int) *otterStats {
	t.Helper()
	srv := testkit.SharedMariaDB(t)
	db := srv.NewDatabase(t)
	admin, adminPassword := srv.NewUser(t, "GRANT ALL ON `"+db+"`.* TO %s")
	schema, err := prestart.LoadSchema(managerHome, "")
	if err != nil {
		t.Fatal(err)
	}
	j, err := prestart.ParseJDBC(srv.JDBCURL(db))
	if err != nil {
		t.Fatal(err)
	}
	initDB := prestart.DBInit{DB: prestart.DB{JDBC: j, User: admin, Password: adminPassword}, Schema: schema,
		ZooKeeper: []string{z.Addr}, Timeout: time.Minute, Log: zap.NewNop()}
	if err := initDB.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := &otterStats{pool: srv.DB(t, db)}
	s.exec(t,
		"INSERT INTO CHANNEL (ID, NAME, GMT_CREATE) VALUES (7, 'orders', NOW())",
		`INSERT INTO PIPELINE (ID, NAME, CHANNEL_ID, PARAMETERS, GMT_CREATE) VALUES (70, 'orders-ab', 7, '{"destinationName":"orders"}', NOW())`,
		"INSERT INTO DELAY_STAT (DELAY_TIME, DELAY_NUMBER, PIPELINE_ID, GMT_CREATE, GMT_MODIFIED) VALUES (1500, 0, 70, NOW(), NOW())",
		"INSERT INTO THROUGHPUT_STAT (TYPE, NUMBER, SIZE, PIPELINE_ID, START_TIME, END_TIME, GMT_CREATE) VALUES ('ROW', 100, 1024, 70, NOW() - INTERVAL 1 MINUTE, NOW(), NOW())",
		fmt.Sprintf("INSERT INTO NODE (ID, NAME, IP, PORT, GMT_CREATE) VALUES (%d, 'otter-node-0', '127.0.0.1', 2088, NOW())", nid),
	)
	c := z.Client(t, 10*time.Second)
	for _, n := range []struct{ path, data string }{ // parents first
		{"/otter/channel/7", `"START"`},
		{"/otter/channel/7/70/mainstem", fmt.Sprintf(`{"pipelineId":70,"nid":%d,"status":"OVERTAKE"}`, nid)},
	} {
		testkit.CreateParents(t, c, n.path)
		if _, err := c.Create(n.path, []byte(n.data), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatalf("create %s: %v", n.path, err)
		}
	}
	user, password := srv.NewUser(t, "GRANT SELECT ON `"+db+"`.* TO %s")
	s.env = []string{
		"OTTER_DATABASE_DRIVER_URL=" + srv.JDBCURL(db), "OTTER_DATABASE_DRIVER_USERNAME=" + user,
		"OTTER_DATABASE_DRIVER_PASSWORD=" + password, "OTTER_ZOOKEEPER_CLUSTER_DEFAULT=" + z.Addr,
		"OTTER_STATS_INTERVAL=1s",
	}
	return s
}

func (s *otterStats) exec(t *testing.T, statements ...string) {
	t.Helper()
	for _, q := range statements {
		if _, err := s.pool.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// afterFirstRead waits until the manager at metricsURL has read the
// database once (the pipeline's ROW counters are served), then writes what
// Otter writes while it runs: a throughput row and a log record, which the
// next reads count.
func (s *otterStats) afterFirstRead(t *testing.T, metricsURL string) {
	t.Helper()
	var body string
	testkit.Eventually(t, "the manager's first read of Otter's statistics", 60*time.Second, func() bool {
		resp, err := http.Get(metricsURL)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return strings.Contains(body, `otter_pipeline_loaded_records_total{`) && strings.Contains(body, "otter_stats_db_up 1\n")
	}, func() []byte { return []byte(testkit.Short(body)) })
	s.exec(t,
		"INSERT INTO THROUGHPUT_STAT (TYPE, NUMBER, SIZE, PIPELINE_ID, START_TIME, END_TIME, GMT_CREATE) VALUES ('ROW', 350, 65536, 70, NOW() - INTERVAL 1 MINUTE, NOW(), NOW())",
		"INSERT INTO LOG_RECORD (CHANNEL_ID, PIPELINE_ID, TITLE, MESSAGE, GMT_CREATE) VALUES ('7', '70', 'DELAYTIME', 'delay above the threshold', NOW())",
	)
}

// promAPI asks Prometheus' HTTP API.
type promAPI struct {
	base    string
	answers map[string]string
}

func (p *promAPI) get(path string, params url.Values, v any) (string, error) {
	resp, err := http.Get(p.base + path + "?" + params.Encode())
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		return "", err
	}
	return string(raw), json.Unmarshal(raw, v)
}

// hasData runs q (a label_values variable as a series query) and says
// whether it returned at least one series with a sample.
func (p *promAPI) hasData(q dashQuery) bool {
	if p.answers == nil {
		p.answers = map[string]string{}
	}
	expr := grafanaVars.Replace(q.expr)
	var status string
	var results []json.RawMessage
	var raw string
	var err error
	if q.labelValues {
		var res struct {
			Status string            `json:"status"`
			Data   []json.RawMessage `json:"data"`
		}
		raw, err = p.get("/api/v1/series", url.Values{"match[]": {expr}, "start": {strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10)}}, &res)
		status, results = res.Status, res.Data
	} else {
		var res struct {
			Status string `json:"status"`
			Data   struct {
				Result []json.RawMessage `json:"result"`
			} `json:"data"`
		}
		raw, err = p.get("/api/v1/query", url.Values{"query": {expr}}, &res)
		status, results = res.Status, res.Data.Result
	}
	if err != nil {
		p.answers[q.expr] = err.Error()
		return false
	}
	p.answers[q.expr] = testkit.Short(raw)
	return status == "success" && len(results) > 0
}

func (p *promAPI) lastAnswer(q dashQuery) string { return p.answers[q.expr] }

// ruleHealth returns the rules whose last evaluation failed or has not
// happened, and how many rules there are.
func (p *promAPI) ruleHealth() (bad []string, n int) {
	var res struct {
		Data struct {
			Groups []struct {
				Rules []struct {
					Name      string `json:"name"`
					Health    string `json:"health"`
					LastError string `json:"lastError"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	if _, err := p.get("/api/v1/rules", nil, &res); err != nil {
		return []string{err.Error()}, 0
	}
	for _, g := range res.Data.Groups {
		for _, r := range g.Rules {
			n++
			if r.Health != "ok" {
				bad = append(bad, fmt.Sprintf("%s: %s %s", r.Name, r.Health, r.LastError))
			}
		}
	}
	return bad, n
}

// ---- metric names ----

var (
	promqlStrings  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	promqlBraces   = regexp.MustCompile(`\{[^}]*\}`)
	promqlBrackets = regexp.MustCompile(`\[[^\]]*\]`)
	promqlGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promqlIdent    = regexp.MustCompile(`[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?`)
	promqlKeywords = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true,
		"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
		"inf": true, "nan": true, "Inf": true, "NaN": true}
)

// metricNames are the metric names a PromQL expression selects: the
// identifiers that are not a function, keyword, label name or number.
func metricNames(expr string) []string {
	s := promqlStrings.ReplaceAllString(expr, `""`)
	s = promqlBraces.ReplaceAllString(s, " ")
	s = promqlBrackets.ReplaceAllString(s, " ")
	s = promqlGrouping.ReplaceAllString(s, " ")
	var names []string
	for _, m := range promqlIdent.FindAllStringSubmatchIndex(s, -1) {
		word := strings.TrimRight(s[m[0]:m[1]], " \t\n(")
		if m[2] >= 0 || promqlKeywords[word] {
			continue // a function call or a keyword
		}
		if m[0] > 0 && (s[m[0]-1] >= '0' && s[m[0]-1] <= '9' || s[m[0]-1] == '.') {
			continue // a number's exponent or unit (1e9, 5m)
		}
		if !slices.Contains(names, word) {
			names = append(names, word)
		}
	}
	return names
}

func TestMetricNames(t *testing.T) {
	for expr, want := range map[string][]string{
		`otter_entrypoint_ready{job=~"$job", instance=~"a|b"} == 0 and otter_entrypoint_child_up == 1`:   {"otter_entrypoint_ready", "otter_entrypoint_child_up"},
		`sum without (gc) (rate(jvm_gc_collection_seconds_sum[5m])) > 0.1`:                               {"jvm_gc_collection_seconds_sum"},
		`changes((otter_entrypoint_child_start_time_seconds > 0)[30m:1m]) >= 1`:                          {"otter_entrypoint_child_start_time_seconds"},
		`time() - (x_seconds{a="by (x)"} > 1e9)`:                                                         {"x_seconds"},
		`sum by (job, instance) (increase(a_total[1m])) / on (job) group_left (pod) count(b) + 2.5e-3`:   {"a_total", "b"},
		`jvm_memory_used_bytes{area="heap"} / (jvm_memory_max_bytes{area="heap"} > 0) > bool 0.9 or inf`: {"jvm_memory_used_bytes", "jvm_memory_max_bytes"},
	} {
		if got := metricNames(expr); !slices.Equal(got, want) {
			t.Errorf("metricNames(%q) = %q, want %q", expr, got, want)
		}
	}
}

// readmeMetricNames reads the first column of README.md's Metrics table,
// the way probes' TestREADMEListsEveryMetricFamily does, and returns
// whether a name is documented: written out, as a "_suffix" continuing the
// row's first name after one of its "_", or under a "prefix_*".
func readmeMetricNames(t *testing.T) func(name string) bool {
	t.Helper()
	b := readFile(t, filepath.Join(repoRoot(t), "README.md"))
	_, section, ok := strings.Cut(string(b), "\n## Metrics\n")
	if !ok {
		t.Fatal("README.md has no ## Metrics section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	code := regexp.MustCompile("`([^`]+)`")
	full, prefixes := map[string]bool{}, []string(nil)
	for line := range strings.SplitSeq(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 3 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		first := ""
		for _, m := range code.FindAllStringSubmatch(cells[1], -1) {
			name := m[1]
			switch {
			case first == "":
				first = name
				full[name] = true
			case strings.HasPrefix(name, "_"):
				for i := len(first) - 1; i > 0; i-- {
					if first[i] == '_' {
						full[first[:i]+name] = true
					}
				}
			default:
				full[name] = true
			}
			if p, ok := strings.CutSuffix(name, "*"); ok {
				prefixes = append(prefixes, p)
			}
		}
	}
	if len(full) < 20 {
		t.Fatalf("only %d names in README.md's Metrics table", len(full))
	}
	return func(name string) bool {
		return full[name] || slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(name, p) })
	}
}
