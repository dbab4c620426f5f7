// Package otterstats is Otter's own replication health on the manager's
// /metrics: delay, throughput, channel and pipeline status and the alarm
// log, read in the background from the manager's database and ZooKeeper
// (see the reference notes, otter-stats.md) and served from the last
// snapshot, so that a scrape never waits on either.
//
// The package is split in three: the facts one round reads (this file's
// types and parsers), the pure logic that turns facts into counters and
// metrics (State), and the I/O (DBSource, ZKSource) and its loop
// (Collector). Clock and logger are arguments.
package otterstats

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Channel, Pipeline and Node are the manager's inventory: the rows of
// CHANNEL, PIPELINE and NODE.
type (
	Channel struct {
		ID   int64
		Name string
	}
	Pipeline struct {
		ID, ChannelID int64
		Name          string
		// Destination is PARAMETERS' destinationName, the canal instance
		// whose cursor znode tells the position's time ("" if none).
		Destination string
	}
	Node struct {
		ID       int64
		Name, IP string
	}
)

// Inventory is what exists, by the database.
type Inventory struct {
	Channels  []Channel
	Pipelines []Pipeline
	Nodes     []Node
}

// Delay is a pipeline's latest DELAY_STAT row.
type Delay struct {
	Millis  int64   // DELAY_TIME
	Updated float64 // UNIX_TIMESTAMP(GMT_CREATE), the database's clock
}

// TypeKey is a pipeline's THROUGHPUT_STAT TYPE (ROW, FILE, MQ).
type TypeKey struct {
	Pipeline int64
	Type     string
}

// Loaded sums THROUGHPUT_STAT rows: NUMBER and SIZE.
type Loaded struct{ Records, Bytes int64 }

// LogKey groups LOG_RECORD rows, as stored (text columns).
type LogKey struct{ Channel, Pipeline, Title string }

// Marks are the ID high-water marks of the rows already counted.
type Marks struct {
	Set             bool // false until the first read: counting starts there
	Throughput, Log int64
}

// DBRead is one round's reading of the database.
type DBRead struct {
	Inventory
	Delays   map[int64]Delay     // by pipeline; absent: no row
	LastSync map[TypeKey]float64 // latest THROUGHPUT_STAT GMT_MODIFIED, UNIX seconds
	// Loaded and Logs are the rows after the marks the read was given (none
	// on the first read), Marks the marks after them.
	Loaded map[TypeKey]Loaded
	Logs   map[LogKey]int64
	Marks  Marks
}

// Mainstem states, as the manager's pipeline list shows them.
const (
	MainstemWorking     = "working"     // 工作中
	MainstemPositioning = "positioning" // 定位中: TAKEING
	MainstemNotWorking  = "not_working" // 未工作: no znode
)

// Mainstem is a pipeline's mainstem znode: who runs select, and how.
type Mainstem struct {
	Status string // MainstemWorking or MainstemPositioning
	Nid    int64
}

// ZKRead is one round's reading of ZooKeeper.
type ZKRead struct {
	LiveNodes map[int64]bool     // children of /otter/node
	Channels  map[int64]string   // START, PAUSE or STOP (a missing znode); absent: unreadable data
	Mainstems map[int64]Mainstem // by pipeline; absent: not working
	Positions map[int64]float64  // cursor znode mtime, UNIX seconds; absent: no cursor
}

// Channel statuses (ChannelStatus).
var channelStatuses = []string{"START", "PAUSE", "STOP"}

// ParseChannelStatus reads /otter/channel/{cid}'s data: fastjson's enum, a
// JSON string such as "START" (quotes included); the bare word is taken
// too.
func ParseChannelStatus(data []byte) (string, bool) {
	s := strings.TrimSpace(string(data))
	var v string
	if err := json.Unmarshal([]byte(s), &v); err == nil {
		s = v
	}
	if slices.Contains(channelStatuses, s) {
		return s, true
	}
	return "", false
}

// ParseMainstem reads /otter/channel/{cid}/{pid}/mainstem's JSON
// (MainStemEventData): status TAKEING is positioning, anything else
// working, as the manager's pipeline list shows it.
func ParseMainstem(data []byte) (Mainstem, bool) {
	var v struct {
		Nid    json.Number `json:"nid"`
		Status string      `json:"status"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return Mainstem{}, false
	}
	m := Mainstem{Status: MainstemWorking}
	if v.Status == "TAKEING" {
		m.Status = MainstemPositioning
	}
	if n, err := strconv.ParseInt(string(v.Nid), 10, 64); err == nil {
		m.Nid = n
	}
	return m, true
}

// ParseDestination reads PIPELINE.PARAMETERS (PipelineParameter JSON) for
// destinationName; "" when absent, unreadable, or not usable as one
// ZooKeeper path element.
func ParseDestination(params string) string {
	var v struct {
		Destination string `json:"destinationName"`
	}
	if json.Unmarshal([]byte(params), &v) != nil {
		return ""
	}
	d := v.Destination
	if d == "" || d == "." || d == ".." || len(d) > 255 || !utf8.ValidString(d) ||
		strings.ContainsFunc(d, func(r rune) bool { return r == '/' || r < 0x20 || r == 0x7f || r == 0xfffd }) {
		return ""
	}
	return d
}

// Log titles (MonitorName); any other becomes OTHER, so that a stray
// TITLE cannot grow the series without bound.
var logTitles = []string{"EXCEPTION", "DELAYTIME", "PIPELINETIMEOUT", "PROCESSTIMEOUT", "POSITIONTIMEOUT"}

// logTitle is the title label of a LOG_RECORD TITLE.
func logTitle(title string) string {
	if t := strings.TrimSpace(title); slices.Contains(logTitles, t) {
		return t
	}
	return "OTHER"
}

// logID is the label of a LOG_RECORD CHANNEL_ID or PIPELINE_ID (text):
// the integer it holds, else "other".
func logID(s string) string {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return "other"
	}
	return strconv.FormatInt(n, 10)
}

// label makes a database string a valid label value.
func label(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// CursorPath is the canal cursor znode of a pipeline: canal's client id is
// the pipeline id as a Java short (PipelineServiceImpl), so it wraps above
// 32767 as Otter's does.
func CursorPath(destination string, pipelineID int64) string {
	return "/otter/canal/destinations/" + destination + "/" + strconv.Itoa(int(int16(pipelineID))) + "/cursor"
}
