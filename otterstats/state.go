package otterstats

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Sources of the statistics, the source label's values.
const (
	SourceDB        = "db"
	SourceZooKeeper = "zookeeper"
)

var (
	pipelineLabels = []string{"channel_id", "channel", "pipeline_id", "pipeline"}
	with           = func(extra ...string) []string { return append(slices.Clone(pipelineLabels), extra...) }

	dbUpDesc = prometheus.NewDesc("otter_stats_db_up",
		"1 when the last read of the manager's database succeeded, else 0 (the series it feeds are then absent).", nil, nil)
	zkUpDesc = prometheus.NewDesc("otter_stats_zookeeper_up",
		"1 when the last read of the manager's ZooKeeper succeeded, else 0 (the series it feeds are then absent).", nil, nil)
	lastSuccessDesc = prometheus.NewDesc("otter_stats_last_success_timestamp_seconds",
		"When a read of the source last succeeded, by the entrypoint's clock, since the Unix epoch.", []string{"source"}, nil)
	errorsDesc = prometheus.NewDesc("otter_stats_errors_total",
		"Reads of the source that failed.", []string{"source"}, nil)
	readDurationDesc = prometheus.NewDesc("otter_stats_read_duration_seconds",
		"How long the last read of the source took, in seconds.", []string{"source"}, nil)

	channelInfoDesc = prometheus.NewDesc("otter_channel_info",
		"An Otter channel (CHANNEL row); always 1.", []string{"channel_id", "channel"}, nil)
	pipelineInfoDesc = prometheus.NewDesc("otter_pipeline_info",
		"An Otter pipeline (PIPELINE row); always 1.", pipelineLabels, nil)
	channelStatusDesc = prometheus.NewDesc("otter_channel_status",
		"The channel's status (ZooKeeper /otter/channel/{id}; a missing node is STOP, as the manager reads it): 1 for the current status, 0 for the others.",
		[]string{"channel_id", "channel", "status"}, nil)
	mainstemStatusDesc = prometheus.NewDesc("otter_pipeline_mainstem_status",
		"The pipeline's mainstem (select) state as the manager shows it: working, positioning (TAKEING) or not_working (no mainstem node); 1 for the current one.",
		with("status"), nil)
	mainstemNodeDesc = prometheus.NewDesc("otter_pipeline_mainstem_node_id",
		"The id of the node running the pipeline's select, while its mainstem is working.", pipelineLabels, nil)
	nodeUpDesc = prometheus.NewDesc("otter_node_up",
		"1 when the node's /otter/node/{id} exists in ZooKeeper (the manager shows it started), 0 for a NODE row without it.",
		[]string{"node_id", "node", "ip"}, nil)
	delayDesc = prometheus.NewDesc("otter_pipeline_delay_seconds",
		"The pipeline's delay from its latest DELAY_STAT row (a per-minute average), in seconds; absent when it has none.", pipelineLabels, nil)
	delayUpdatedDesc = prometheus.NewDesc("otter_pipeline_delay_updated_timestamp_seconds",
		"When the pipeline's latest DELAY_STAT row was written, by the database's clock, since the Unix epoch.", pipelineLabels, nil)
	lastSyncDesc = prometheus.NewDesc("otter_pipeline_last_sync_timestamp_seconds",
		"When the pipeline's latest THROUGHPUT_STAT row of the type was written (the manager's last sync time), by the database's clock.",
		with("type"), nil)
	loadedRecordsDesc = prometheus.NewDesc("otter_pipeline_loaded_records_total",
		"Rows (ROW), files (FILE) or messages (MQ) the pipeline loaded: NUMBER of the THROUGHPUT_STAT rows added since the entrypoint started.",
		with("type"), nil)
	loadedBytesDesc = prometheus.NewDesc("otter_pipeline_loaded_bytes_total",
		"Bytes the pipeline loaded: SIZE of the THROUGHPUT_STAT rows added since the entrypoint started.", with("type"), nil)
	positionDesc = prometheus.NewDesc("otter_pipeline_position_updated_timestamp_seconds",
		"When the pipeline's canal cursor (its binlog position) was last written in ZooKeeper, by ZooKeeper's clock; absent without a cursor.",
		pipelineLabels, nil)
	logRecordsDesc = prometheus.NewDesc("otter_log_records_total",
		"LOG_RECORD rows (alarms and exceptions) added since the entrypoint started, by title; pipeline_id -1 for global records.",
		[]string{"channel_id", "pipeline_id", "title"}, nil)
)

// descs are every family the collector serves.
var descs = []*prometheus.Desc{dbUpDesc, zkUpDesc, lastSuccessDesc, errorsDesc, readDurationDesc,
	channelInfoDesc, pipelineInfoDesc, channelStatusDesc, mainstemStatusDesc, mainstemNodeDesc, nodeUpDesc,
	delayDesc, delayUpdatedDesc, lastSyncDesc, loadedRecordsDesc, loadedBytesDesc, positionDesc, logRecordsDesc}

// Round is what one round read: each source's facts or its error, and
// how long each read took.
type Round struct {
	DB     *DBRead
	DBErr  error
	DBTook time.Duration
	ZK     *ZKRead
	ZKErr  error
	ZKTook time.Duration
}

// sourceState is a source's health.
type sourceState struct {
	name   string
	known  bool // a read has finished
	up     bool
	errors uint64
	lastOK time.Time
	took   time.Duration
}

// State is what lasts between rounds: the counters since the entrypoint
// started and their marks, the last inventory (which ZooKeeper is read
// for), and the sources' health. Apply turns a round into the metrics to
// serve. It is not safe for concurrent use.
type State struct {
	log    *zap.Logger
	marks  Marks
	loaded map[TypeKey]Loaded
	logs   map[LogKey]int64 // keys as labels (logID, logTitle)
	inv    Inventory
	db, zk sourceState
}

// NewState returns the state before any round; log gets a line per
// change of a source's health.
func NewState(log *zap.Logger) *State {
	return &State{log: log, loaded: map[TypeKey]Loaded{}, logs: map[LogKey]int64{},
		db: sourceState{name: SourceDB}, zk: sourceState{name: SourceZooKeeper}}
}

// Marks are the high-water marks the next database read starts from.
func (s *State) Marks() Marks { return s.marks }

// Inventory is the last inventory the database gave (what ZooKeeper is
// read for).
func (s *State) Inventory() Inventory { return s.inv }

// Apply takes in a round read at now and returns the metrics to serve
// until the next one.
func (s *State) Apply(r Round, now time.Time) []prometheus.Metric {
	s.health(&s.db, r.DB != nil && r.DBErr == nil, r.DBErr, r.DBTook, now,
		"Otter's statistics: the manager's database answers", "Otter's statistics: cannot read the manager's database; the otter_channel_*, otter_pipeline_*, otter_node_* and otter_log_* series are absent until it answers")
	s.health(&s.zk, r.ZK != nil && r.ZKErr == nil, r.ZKErr, r.ZKTook, now,
		"Otter's statistics: ZooKeeper answers", "Otter's statistics: cannot read ZooKeeper; the status, mainstem, node and position series are absent until it answers")
	if !s.db.up {
		return s.metrics(nil, nil)
	}
	s.count(r.DB)
	s.inv = r.DB.Inventory
	var zk *ZKRead
	if s.zk.up {
		zk = r.ZK
	}
	return s.metrics(r.DB, zk)
}

// health records a source's outcome and logs when it changes.
func (s *State) health(src *sourceState, ok bool, err error, took time.Duration, now time.Time, upMsg, downMsg string) {
	changed := !src.known || src.up != ok
	src.known, src.up, src.took = true, ok, took
	if ok {
		src.lastOK = now
	} else {
		src.errors++
	}
	if !changed {
		return
	}
	if ok {
		s.log.Info(upMsg, zap.String("source", src.name))
	} else {
		s.log.Warn(downMsg, zap.String("source", src.name), zap.Error(err))
	}
}

// count adds a read's new rows to the counters and moves the marks.
func (s *State) count(r *DBRead) {
	if s.marks.Set {
		for k, v := range r.Loaded {
			c := s.loaded[k]
			c.Records += v.Records
			c.Bytes += v.Bytes
			s.loaded[k] = c
		}
		for k, n := range r.Logs {
			s.logs[LogKey{Channel: logID(k.Channel), Pipeline: logID(k.Pipeline), Title: logTitle(k.Title)}] += n
		}
	}
	s.marks = r.Marks
	s.marks.Set = true
}

// metrics builds the series: the health always, the database's when db is
// not nil, the ZooKeeper's when zk is not nil too.
func (s *State) metrics(db *DBRead, zk *ZKRead) []prometheus.Metric {
	var out []prometheus.Metric
	add := func(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
		m, err := prometheus.NewConstMetric(d, t, v, labels...)
		if err != nil {
			m = prometheus.NewInvalidMetric(d, err)
		}
		out = append(out, m)
	}
	add(dbUpDesc, prometheus.GaugeValue, b2f(s.db.up))
	add(zkUpDesc, prometheus.GaugeValue, b2f(s.zk.up))
	for _, src := range []*sourceState{&s.db, &s.zk} {
		add(errorsDesc, prometheus.CounterValue, float64(src.errors), src.name)
		if !src.lastOK.IsZero() {
			add(lastSuccessDesc, prometheus.GaugeValue, float64(src.lastOK.UnixNano())/1e9, src.name)
		}
		if src.known {
			add(readDurationDesc, prometheus.GaugeValue, src.took.Seconds(), src.name)
		}
	}
	if db == nil {
		return out
	}

	channels := make(map[int64]Channel, len(db.Channels))
	for _, c := range db.Channels {
		channels[c.ID] = c
		add(channelInfoDesc, prometheus.GaugeValue, 1, id(c.ID), label(c.Name))
		if zk == nil {
			continue
		}
		if st, ok := zk.Channels[c.ID]; ok {
			for _, v := range channelStatuses {
				add(channelStatusDesc, prometheus.GaugeValue, b2f(v == st), id(c.ID), label(c.Name), v)
			}
		}
	}
	// Types each pipeline has ever loaded: their counters start at 0, so
	// that rate() and increase() see the first rows.
	keys := slices.AppendSeq(slices.Collect(maps.Keys(db.LastSync)), maps.Keys(s.loaded))
	slices.SortFunc(keys, cmpTypeKey)
	types := map[int64][]string{}
	for _, k := range slices.Compact(keys) {
		types[k.Pipeline] = append(types[k.Pipeline], k.Type)
	}
	logs := maps.Clone(s.logs)
	logs[LogKey{Channel: "-1", Pipeline: "-1", Title: "EXCEPTION"}] += 0
	for _, p := range db.Pipelines {
		c := channels[p.ChannelID]
		l := []string{id(p.ChannelID), label(c.Name), id(p.ID), label(p.Name)}
		add(pipelineInfoDesc, prometheus.GaugeValue, 1, l...)
		if d, ok := db.Delays[p.ID]; ok {
			add(delayDesc, prometheus.GaugeValue, float64(d.Millis)/1000, l...)
			add(delayUpdatedDesc, prometheus.GaugeValue, d.Updated, l...)
		}
		for _, ty := range types[p.ID] {
			k := TypeKey{Pipeline: p.ID, Type: ty}
			if ts, ok := db.LastSync[k]; ok {
				add(lastSyncDesc, prometheus.GaugeValue, ts, append(l, label(ty))...)
			}
			add(loadedRecordsDesc, prometheus.CounterValue, float64(s.loaded[k].Records), append(l, label(ty))...)
			add(loadedBytesDesc, prometheus.CounterValue, float64(s.loaded[k].Bytes), append(l, label(ty))...)
		}
		// EXCEPTION records start at 0 for every pipeline: the first one
		// is an increase.
		logs[LogKey{Channel: id(p.ChannelID), Pipeline: id(p.ID), Title: "EXCEPTION"}] += 0
		if zk == nil {
			continue
		}
		ms, working := zk.Mainstems[p.ID]
		state := MainstemNotWorking
		if working {
			state = ms.Status
		}
		for _, v := range []string{MainstemWorking, MainstemPositioning, MainstemNotWorking} {
			add(mainstemStatusDesc, prometheus.GaugeValue, b2f(v == state), append(l, v)...)
		}
		if state == MainstemWorking {
			add(mainstemNodeDesc, prometheus.GaugeValue, float64(ms.Nid), l...)
		}
		if ts, ok := zk.Positions[p.ID]; ok {
			add(positionDesc, prometheus.GaugeValue, ts, l...)
		}
	}
	for k, n := range logs {
		add(logRecordsDesc, prometheus.CounterValue, float64(n), k.Channel, k.Pipeline, k.Title)
	}
	if zk != nil {
		for _, n := range db.Nodes {
			add(nodeUpDesc, prometheus.GaugeValue, b2f(zk.LiveNodes[n.ID]), id(n.ID), label(n.Name), label(n.IP))
		}
	}
	return out
}

func cmpTypeKey(a, b TypeKey) int {
	return cmp.Or(cmp.Compare(a.Pipeline, b.Pipeline), strings.Compare(a.Type, b.Type))
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
