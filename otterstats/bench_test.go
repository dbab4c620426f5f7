package otterstats

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"otter-entrypoint/internal/otter"
	"otter-entrypoint/internal/testkit"
)

// BenchmarkStats: 200 pipelines (100 channels, each with a status znode,
// each pipeline a mainstem and a cursor) and 1,000,000 stat rows (500,000
// each in DELAY_STAT and THROUGHPUT_STAT, 50,000 LOG_RECORD rows).
// "snapshot" is one round of both sources, reporting the database's share
// (db-ms); "scrape" is GET /metrics served from that snapshot, reporting
// its p99 (p99-ms). Run with -benchtime=20x or so: the load alone takes a
// while.
func BenchmarkStats(b *testing.B) {
	db, open := otterDB(b, testkit.SharedMariaDB(b))
	const pipelines = 200
	loadStats(b, db, pipelines, 500000)
	z := testkit.StartZooKeeper(b)
	zc := z.Client(b, 10*time.Second)
	for p := int64(1); p <= pipelines; p++ {
		testkit.CreateParents(b, zc, "/otter/channel/"+id((p+1)/2)+"/"+id(p)+"/x")
		testkit.CreateParents(b, zc, CursorPath("dest-"+id(p), p)+"/x")
		if p%2 == 1 {
			if _, err := zc.Set("/otter/channel/"+id((p+1)/2), []byte(`"START"`), -1); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := zc.Create("/otter/channel/"+id((p+1)/2)+"/"+id(p)+"/mainstem",
			[]byte(`{"active":true,"nid":1,"pipelineId":`+id(p)+`,"status":"OVERTAKE"}`), 0, zk.WorldACL(zk.PermAll)); err != nil {
			b.Fatal(err)
		}
	}
	c := New(Config{DB: NewDBSource(open), ZK: NewZKSource(otter.ConnectString{Servers: []string{z.Addr}}, zap.NewNop()),
		Interval: time.Minute, Log: zap.NewNop()})
	c.Round(context.Background()) // connect, set the marks
	if !c.state.db.up || !c.state.zk.up {
		b.Fatal("a source is down")
	}

	b.Run("snapshot", func(b *testing.B) {
		var dbTime, zkTime time.Duration
		for b.Loop() {
			c.Round(context.Background())
			dbTime += c.state.db.took
			zkTime += c.state.zk.took
		}
		if !c.state.db.up || !c.state.zk.up {
			b.Fatal("a source is down")
		}
		b.ReportMetric(float64(dbTime.Microseconds())/1000/float64(b.N), "db-ms")
		b.ReportMetric(float64(zkTime.Microseconds())/1000/float64(b.N), "zk-ms")
	})

	b.Run("scrape", func(b *testing.B) {
		reg := prometheus.NewRegistry()
		reg.MustRegister(c)
		h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true, DisableCompression: true})
		var took []time.Duration
		var size int
		for b.Loop() {
			for range 100 {
				rec := httptest.NewRecorder()
				start := time.Now()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
				took = append(took, time.Since(start))
				size = rec.Body.Len()
			}
		}
		slices.Sort(took)
		b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(size), "bytes")
	})
}
