package otterstats

import (
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// staticCollector serves fixed metrics, for gathering State's output.
type staticCollector []prometheus.Metric

func (s staticCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range descs {
		ch <- d
	}
}

func (s staticCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range s {
		ch <- m
	}
}

func gathered(t *testing.T, ms []prometheus.Metric) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(staticCollector(ms))
	return reg
}

// State alone, with a fixed clock: the first read sets the marks and
// counts nothing, later ones add; stray log ids and titles are folded;
// a failed read drops the database's series and logs once.
func TestStateCountsFromTheMarks(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	s := NewState(zap.New(core))
	now := time.Unix(1700000000, 0)
	inv := Inventory{Channels: []Channel{{ID: 1, Name: "a"}}, Pipelines: []Pipeline{{ID: 10, ChannelID: 1, Name: "p"}}}
	first := &DBRead{Inventory: inv, Marks: Marks{Set: true, Throughput: 50, Log: 9},
		LastSync: map[TypeKey]float64{{10, "ROW"}: 1699999990},
		Loaded:   map[TypeKey]Loaded{{10, "ROW"}: {Records: 999, Bytes: 999}}} // ignored: before the marks
	zkr := &ZKRead{Channels: map[int64]string{1: "PAUSE"}}
	reg := gathered(t, s.Apply(Round{DB: first, ZK: zkr}, now))
	want(t, reg, 0, "otter_pipeline_loaded_records_total", "channel_id", "1", "channel", "a", "pipeline_id", "10", "pipeline", "p", "type", "ROW")
	want(t, reg, 1, "otter_channel_status", "channel_id", "1", "channel", "a", "status", "PAUSE")
	want(t, reg, float64(now.Unix()), "otter_stats_last_success_timestamp_seconds", "source", "db")

	next := &DBRead{Inventory: inv, Marks: Marks{Set: true, Throughput: 52, Log: 12},
		Loaded: map[TypeKey]Loaded{{10, "ROW"}: {Records: 7, Bytes: 70}},
		Logs: map[LogKey]int64{{"1", "10", "EXCEPTION"}: 1, {" 1", "010", "EXCEPTION"}: 1,
			{"x", "10", "weird title"}: 3}}
	reg = gathered(t, s.Apply(Round{DB: next, ZK: zkr}, now.Add(time.Minute)))
	want(t, reg, 7, "otter_pipeline_loaded_records_total", "channel_id", "1", "channel", "a", "pipeline_id", "10", "pipeline", "p", "type", "ROW")
	want(t, reg, 2, "otter_log_records_total", "channel_id", "1", "pipeline_id", "10", "title", "EXCEPTION")
	want(t, reg, 3, "otter_log_records_total", "channel_id", "other", "pipeline_id", "10", "title", "OTHER")
	if s.Marks() != (Marks{Set: true, Throughput: 52, Log: 12}) {
		t.Errorf("marks %+v", s.Marks())
	}

	for range 3 {
		reg = gathered(t, s.Apply(Round{DBErr: errors.New("refused"), ZK: zkr}, now.Add(2*time.Minute)))
	}
	want(t, reg, 0, "otter_stats_db_up")
	want(t, reg, 3, "otter_stats_errors_total", "source", "db")
	want(t, reg, absent, "otter_channel_info", "channel_id", "1", "channel", "a")
	want(t, reg, absent, "otter_channel_status", "channel_id", "1", "channel", "a", "status", "PAUSE")
	if n := logs.FilterMessageSnippet("cannot read the manager's database").Len(); n != 1 {
		t.Errorf("%d down lines for 3 failed rounds", n)
	}
}
