package prestart

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"go.uber.org/zap"

	"otter-entrypoint/internal/exit"
)

// RegisterSettings are the node's settings for registering itself in the
// manager's NODE table.
type RegisterSettings struct {
	Register     string `env:"OTTER_REGISTER" envDefault:"off"`
	URL          string `env:"OTTER_REGISTER_URL"`
	Username     string `env:"OTTER_REGISTER_USERNAME"`
	Password     string `env:"OTTER_REGISTER_PASSWORD"`
	PasswordFile string `env:"OTTER_REGISTER_PASSWORD_FILE"`
	NodeName     string `env:"OTTER_NODE_NAME"`
	Port         int    `env:"OTTER_NODE_PORT" envDefault:"2088"`
	DownloadPort int    `env:"OTTER_NODE_DOWNLOAD_PORT"` // 0: Port+1
	MbeanPort    int    `env:"OTTER_NODE_MBEAN_PORT"`    // 0: Port+2
	ExternalIP   string `env:"OTTER_EXTERNAL_IP"`
	ZKClusterID  int64  `env:"OTTER_ZK_CLUSTER_ID" envDefault:"1"`
	PortStride   int    `env:"OTTER_NODE_PORT_STRIDE" envDefault:"0"`
}

// On reports whether OTTER_REGISTER is on.
func (s RegisterSettings) On() bool {
	on, _ := parseOnOff(s.Register)
	return on
}

// Validate reports every invalid setting; the registration's own settings
// are checked only when OTTER_REGISTER is on.
func (s *RegisterSettings) Validate() []string {
	var p []string
	if _, err := parseOnOff(s.Register); err != nil {
		return []string{fmt.Sprintf("OTTER_REGISTER=%q (environment): %v", s.Register, err)}
	}
	if !s.On() {
		return nil
	}
	if strings.TrimSpace(s.URL) == "" {
		p = append(p, "OTTER_REGISTER=on needs OTTER_REGISTER_URL, the JDBC URL of the manager's database (like its otter.database.driver.url)")
	} else if _, err := ParseJDBC(s.URL); err != nil {
		p = append(p, fmt.Sprintf("OTTER_REGISTER_URL (environment): %v", err))
	}
	if strings.TrimSpace(s.Username) == "" {
		p = append(p, "OTTER_REGISTER=on needs OTTER_REGISTER_USERNAME, an account with SELECT, INSERT, UPDATE on NODE and SELECT on AUTOKEEPER_CLUSTER")
	}
	if s.Password != "" && s.PasswordFile != "" {
		p = append(p, "OTTER_REGISTER_PASSWORD and OTTER_REGISTER_PASSWORD_FILE are both set, but they are exclusive: unset one of them")
	}
	if s.PasswordFile != "" && !strings.HasPrefix(s.PasswordFile, "/") {
		p = append(p, fmt.Sprintf("OTTER_REGISTER_PASSWORD_FILE=%q (environment): must be an absolute path", s.PasswordFile))
	}
	for _, c := range []struct {
		name string
		v    int
		zero bool // 0 means the default
	}{{"OTTER_NODE_PORT", s.Port, false}, {"OTTER_NODE_DOWNLOAD_PORT", s.DownloadPort, true}, {"OTTER_NODE_MBEAN_PORT", s.MbeanPort, true}} {
		if (c.v == 0 && !c.zero) || c.v < 0 || c.v > 65535 {
			p = append(p, fmt.Sprintf("%s=%d (environment): want a TCP port from 1 to 65535", c.name, c.v))
		}
	}
	if s.PortStride < 0 {
		p = append(p, fmt.Sprintf("OTTER_NODE_PORT_STRIDE=%d (environment): want 0 or more", s.PortStride))
	}
	if s.ZKClusterID < 1 {
		p = append(p, fmt.Sprintf("OTTER_ZK_CLUSTER_ID=%d (environment): want the positive ID of a row of AUTOKEEPER_CLUSTER (the manager's ZooKeeper clusters)", s.ZKClusterID))
	}
	if n := strings.TrimSpace(s.NodeName); s.NodeName != "" && (n != s.NodeName || len(n) > 200) {
		p = append(p, fmt.Sprintf("OTTER_NODE_NAME=%q (environment): want a name of at most 200 characters without surrounding spaces", s.NodeName))
	}
	if s.ExternalIP != "" && (strings.ContainsAny(s.ExternalIP, " \t\n/") || len(s.ExternalIP) > 200) {
		p = append(p, fmt.Sprintf("OTTER_EXTERNAL_IP=%q (environment): want the host name or IP address clients outside reach this node at", s.ExternalIP))
	}
	return p
}

// Node is the NODE row a node registers: ID is its nid.
type Node struct {
	ID           int64
	Name         string
	IP           string
	Port         int
	DownloadPort int
	MbeanPort    int
	ExternalIP   string // "": useExternalIp false
	ClusterID    int64
}

func (n Node) String() string {
	return fmt.Sprintf("ID=%d NAME=%q IP=%q PORT=%d", n.ID, n.Name, n.IP, n.Port)
}

// Node is the row these settings describe for the node nid on host
// (whose trailing ordinal, when it has one, the port stride multiplies)
// advertised at advertise. Problems name the setting to change.
func (s RegisterSettings) Node(nid int, host string, ordinal int, hasOrdinal bool, advertise string) (Node, []string) {
	var p []string
	n := Node{ID: int64(nid), Name: s.NodeName, IP: advertise, Port: s.Port, DownloadPort: s.DownloadPort, MbeanPort: s.MbeanPort,
		ExternalIP: s.ExternalIP, ClusterID: s.ZKClusterID}
	if n.Name == "" {
		n.Name = host
	}
	if n.Name == "" {
		p = append(p, "OTTER_REGISTER=on: the host name is empty, so the node has no name; set OTTER_NODE_NAME")
	}
	if n.IP == "" {
		p = append(p, "OTTER_REGISTER=on: no address to register; set OTTER_ADVERTISE_HOST to the stable name other pods reach this node at (the pod's DNS name under a headless Service)")
	}
	if n.DownloadPort == 0 {
		n.DownloadPort = n.Port + 1 // as the manager's UI fills a blank one
	}
	if n.MbeanPort == 0 {
		n.MbeanPort = n.Port + 2
	}
	if s.PortStride > 0 {
		if !hasOrdinal {
			p = append(p, fmt.Sprintf("OTTER_NODE_PORT_STRIDE=%d (environment) needs the host name's ordinal, but %q does not end in -<number>; run the node as a StatefulSet pod or set OTTER_NODE_PORT_STRIDE=0", s.PortStride, host))
		}
		add := s.PortStride * ordinal
		n.Port, n.DownloadPort, n.MbeanPort = n.Port+add, n.DownloadPort+add, n.MbeanPort+add
	}
	for _, c := range []struct {
		name string
		v    int
	}{{"OTTER_NODE_PORT", n.Port}, {"OTTER_NODE_DOWNLOAD_PORT", n.DownloadPort}, {"OTTER_NODE_MBEAN_PORT", n.MbeanPort}} {
		if c.v > 65535 {
			p = append(p, fmt.Sprintf("%s: with OTTER_NODE_PORT_STRIDE=%d and ordinal %d the port is %d, above 65535; lower the port or the stride", c.name, s.PortStride, ordinal, c.v))
		}
	}
	return n, p
}

// Cluster is a row of AUTOKEEPER_CLUSTER.
type Cluster struct {
	ID          int64
	Name        string
	Servers     []string // SERVER_LIST
	Description sql.NullString
	Created     int64 // GMT_CREATE in epoch milliseconds (0: none)
	Modified    int64
}

// Registrar writes the node's row into the manager's NODE table before the
// node starts, so that the manager knows it when the node asks (the
// manager reads NODE on every lookup).
type Registrar struct {
	DB      DB
	Node    Node
	Timeout time.Duration // how long to retry while the database is unreachable or not ready
	Log     *zap.Logger
}

// Outcome of a registration.
const (
	Created   = "created"
	Updated   = "updated"
	Unchanged = "unchanged"
)

// Register makes NODE hold the node's row, in one transaction: it creates
// the row with ID = nid, updates it when its address, ports or cluster
// differ (keeping the PARAMETERS keys the entrypoint does not manage), or
// leaves it alone when equal — no write at all. A row with this ID and
// another NAME, or another row with this NAME or with this IP and PORT, is
// a conflict: exit 78 naming both rows, nothing written. It never uses
// REPLACE or ON DUPLICATE KEY (NODE has two unique keys) and never
// deletes. It retries while the database is unreachable or the node's
// cluster is not there yet, up to Timeout (then 69). It returns what it
// did and the node's ZooKeeper cluster.
func (r Registrar) Register(ctx context.Context) (string, Cluster, error) {
	if r.Log == nil {
		r.Log = zap.NewNop()
	}
	log := r.Log
	var (
		outcome string
		cluster Cluster
	)
	what := "register node " + r.Node.String() + " in " + r.DB.JDBC.String()
	err := retry(ctx, what, "ENTRYPOINT_WAIT_TIMEOUT", r.Timeout, log, func(ctx context.Context) error {
		db, err := r.DB.Open(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		if cluster, err = r.cluster(ctx, db); err != nil {
			return err
		}
		conn, err := db.Conn(ctx)
		if err != nil {
			return r.sqlError("connect", err)
		}
		defer conn.Close()
		unlock, err := r.lock(ctx, conn)
		if err != nil {
			return err
		}
		defer unlock()
		for attempt := 1; ; attempt++ {
			outcome, err = r.write(ctx, conn, cluster)
			if err == nil || !transient(err) || attempt == 5 {
				return err
			}
			log.Debug("registration transaction retried", zap.Error(err))
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt*50) * time.Millisecond):
			}
		}
	})
	if err != nil {
		return "", cluster, err
	}
	log.Info("node registered", zap.String("outcome", outcome), zap.Int64("nid", r.Node.ID), zap.String("name", r.Node.Name),
		zap.String("ip", r.Node.IP), zap.Int("port", r.Node.Port), zap.Int("download_port", r.Node.DownloadPort),
		zap.Int("mbean_port", r.Node.MbeanPort), zap.Int64("zk_cluster", cluster.ID), zap.Strings("zk_servers", cluster.Servers))
	return outcome, cluster, nil
}

// transient errors make the transaction run again: a deadlock or lock
// wait timeout, and a duplicate key (another node inserted meanwhile: the
// next round sees its row and names the conflict).
func transient(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205 || me.Number == 1062)
}

// cluster reads the node's cluster; its absence is retried (the manager
// may be preparing its database right now).
func (r Registrar) cluster(ctx context.Context, db *sql.DB) (Cluster, error) {
	c := Cluster{ID: r.Node.ClusterID}
	var list string
	var created, modified sql.NullFloat64
	err := db.QueryRowContext(ctx, "SELECT CLUSTER_NAME, SERVER_LIST, DESCRIPTION, UNIX_TIMESTAMP(GMT_CREATE), UNIX_TIMESTAMP(GMT_MODIFIED) FROM "+
		TableCluster+" WHERE ID = ?", c.ID).Scan(&c.Name, &list, &c.Description, &created, &modified)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return c, fmt.Errorf("OTTER_ZK_CLUSTER_ID=%d: %s has no row with this ID (yet); add the cluster in the manager's UI, start the manager with OTTER_DB_INIT=on, or set OTTER_ZK_CLUSTER_ID to one of its IDs",
			c.ID, TableCluster)
	case err != nil:
		return c, r.sqlError("read "+TableCluster, err)
	}
	if err := json.Unmarshal([]byte(list), &c.Servers); err != nil {
		r.Log.Warn("the cluster's SERVER_LIST is not a JSON array of host:port; registering without it", zap.Int64("zk_cluster", c.ID))
		c.Servers = nil
	}
	c.Created, c.Modified = int64(created.Float64*1000), int64(modified.Float64*1000)
	return c, nil
}

// sqlError says what failed; a missing privilege or table is a settings
// problem (78 at once), anything else is retried.
func (r Registrar) sqlError(what string, err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1142, 1143: // ER_TABLEACCESS_DENIED_ERROR, ER_COLUMNACCESS_DENIED_ERROR
			return exit.ConfigError(fmt.Sprintf("OTTER_REGISTER: cannot %s: %s; the account OTTER_REGISTER_USERNAME=%q needs "+
				"GRANT SELECT, INSERT, UPDATE ON `%s`.`NODE` and GRANT SELECT ON `%s`.`AUTOKEEPER_CLUSTER`",
				what, me.Message, r.DB.User, r.DB.JDBC.Database, r.DB.JDBC.Database))
		case 1146: // ER_NO_SUCH_TABLE: the manager has not created its tables yet
			return fmt.Errorf("cannot %s: %s (the manager may not have prepared its database yet)", what, me.Message)
		}
		if transient(err) {
			return err
		}
	}
	return fmt.Errorf("cannot %s: %v", what, r.DB.reason(err))
}

// registerLockTimeout bounds the wait for another node's registration
// (a few milliseconds' work) before trying again.
const registerLockTimeout = 30 * time.Second

// lock takes the named lock that makes registrations to one database take
// turns: without it, two nodes given the same NAME (or IP and PORT) and
// their own nids could both find no conflict and both insert, since
// NODE's unique key is NAME+IP and the transaction reads the other rows
// without locking them.
func (r Registrar) lock(ctx context.Context, conn *sql.Conn) (unlock func(), err error) {
	name := namedLockName("register", r.DB.JDBC.Database)
	unlock, held, err := takeNamedLock(ctx, conn, name, time.Now().Add(registerLockTimeout), func() {
		r.Log.Debug("another node is registering; waiting for it", zap.String("lock", name))
	})
	switch {
	case err != nil:
		return nil, r.sqlError("take the named lock "+name, err)
	case !held:
		return nil, exit.UnavailableError(fmt.Sprintf("OTTER_REGISTER: another session held the named lock %s on %s for %s; "+
			"SELECT IS_USED_LOCK('%s') names its connection", name, r.DB.JDBC.String(), registerLockTimeout, name))
	}
	return unlock, nil
}

// write is the transaction: compare, then insert, update or nothing.
func (r Registrar) write(ctx context.Context, db *sql.Conn, cluster Cluster) (outcome string, err error) {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return "", r.sqlError("begin a transaction", err)
	}
	defer func() {
		if outcome != Created && outcome != Updated {
			_ = tx.Rollback()
		}
	}()
	want := r.Node
	var (
		row    Node
		params sql.NullString
		exists = true
	)
	err = tx.QueryRowContext(ctx, "SELECT ID, NAME, IP, PORT, PARAMETERS FROM "+TableNode+" WHERE ID = ? FOR UPDATE", want.ID).
		Scan(&row.ID, &row.Name, &row.IP, &row.Port, &params)
	if errors.Is(err, sql.ErrNoRows) {
		exists = false
	} else if err != nil {
		return "", r.sqlError("read NODE", err)
	}
	others, err := tx.QueryContext(ctx, "SELECT ID, NAME, IP, PORT FROM "+TableNode+" WHERE ID <> ? AND (NAME = ? OR (IP = ? AND PORT = ?)) ORDER BY ID",
		want.ID, want.Name, want.IP, want.Port)
	if err != nil {
		return "", r.sqlError("read NODE", err)
	}
	var conflicts []string
	for others.Next() {
		var o Node
		if err := others.Scan(&o.ID, &o.Name, &o.IP, &o.Port); err != nil {
			others.Close()
			return "", r.sqlError("read NODE", err)
		}
		why := "the same NAME"
		if o.Name != want.Name {
			why = "the same IP and PORT"
		}
		conflicts = append(conflicts, fmt.Sprintf("row %s has %s", o, why))
	}
	if err := errors.Join(others.Err(), others.Close()); err != nil {
		return "", r.sqlError("read NODE", err)
	}
	if exists && row.Name != want.Name {
		conflicts = append([]string{fmt.Sprintf("row %s has this node's ID (nid) but another NAME", row)}, conflicts...)
	}
	if len(conflicts) > 0 {
		return "", exit.ConfigError(fmt.Sprintf("OTTER_REGISTER: this node (%s) conflicts with NODE: %s; nothing was written. "+
			"Give the node its own OTTER_NID, OTTER_NODE_NAME, OTTER_ADVERTISE_HOST or OTTER_NODE_PORT, or remove the stale row in the manager's UI",
			want, strings.Join(conflicts, "; ")))
	}

	if !exists {
		p, err := parametersJSON(nil, want, cluster)
		if err != nil {
			return "", err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO "+TableNode+" (ID, NAME, IP, PORT, DESCRIPTION, PARAMETERS, GMT_CREATE, GMT_MODIFIED) VALUES (?, ?, ?, ?, NULL, ?, NOW(), NOW())",
			want.ID, want.Name, want.IP, want.Port, p)
		if err != nil {
			return "", r.sqlError("insert into NODE", err)
		}
		if err := tx.Commit(); err != nil {
			return "", r.sqlError("commit", err)
		}
		return Created, nil
	}
	if row.IP == want.IP && row.Port == want.Port && params.Valid && managedEqual(params.String, want) {
		return Unchanged, nil // the deferred rollback ends the transaction; nothing was written
	}
	if params.Valid && !json.Valid([]byte(params.String)) {
		r.Log.Warn("the node's PARAMETERS were not valid JSON; they are written anew", zap.Int64("nid", want.ID))
	}
	p, err := parametersJSON([]byte(params.String), want, cluster)
	if err != nil {
		return "", err
	}
	_, err = tx.ExecContext(ctx, "UPDATE "+TableNode+" SET IP = ?, PORT = ?, PARAMETERS = ?, GMT_MODIFIED = NOW() WHERE ID = ?",
		want.IP, want.Port, p, want.ID)
	if err != nil {
		return "", r.sqlError("update NODE", err)
	}
	if err := tx.Commit(); err != nil {
		return "", r.sqlError("commit", err)
	}
	return Updated, nil
}

// nodeParams are the PARAMETERS keys the entrypoint manages; every other
// key is the operator's and is kept.
type nodeParams struct {
	DownloadPort  *int    `json:"downloadPort"`
	MbeanPort     *int    `json:"mbeanPort"`
	UseExternalIP *bool   `json:"useExternalIp"`
	ExternalIP    *string `json:"externalIp"`
	ZKCluster     *struct {
		ID *int64 `json:"id"`
	} `json:"zkCluster"`
}

// managedEqual reports whether stored PARAMETERS already say what want
// says in every key the entrypoint manages.
func managedEqual(stored string, want Node) bool {
	var p nodeParams
	if err := json.Unmarshal([]byte(stored), &p); err != nil {
		return false
	}
	useExt := want.ExternalIP != ""
	extOK := (p.ExternalIP == nil && !useExt) || (p.ExternalIP != nil && *p.ExternalIP == want.ExternalIP && useExt)
	return p.DownloadPort != nil && *p.DownloadPort == want.DownloadPort &&
		p.MbeanPort != nil && *p.MbeanPort == want.MbeanPort &&
		p.UseExternalIP != nil && *p.UseExternalIP == useExt && extOK &&
		p.ZKCluster != nil && p.ZKCluster.ID != nil && *p.ZKCluster.ID == want.ClusterID
}

// parametersJSON is the PARAMETERS to write: stored's keys (when it is a
// JSON object) with the managed ones set, in the shape the manager's UI
// writes (fastjson: keys sorted, no spaces, no HTML escaping, null fields
// left out, useExternalIp always there, zkCluster the whole cluster).
func parametersJSON(stored []byte, want Node, c Cluster) (string, error) {
	m := map[string]any{}
	var old map[string]json.RawMessage
	if len(stored) > 0 && json.Unmarshal(stored, &old) == nil {
		for k, v := range old {
			m[k] = v
		}
	}
	m["downloadPort"] = want.DownloadPort
	m["mbeanPort"] = want.MbeanPort
	m["useExternalIp"] = want.ExternalIP != ""
	delete(m, "externalIp")
	if want.ExternalIP != "" {
		m["externalIp"] = want.ExternalIP
	}
	zk := map[string]any{"id": c.ID, "clusterName": c.Name}
	if c.Description.Valid {
		zk["description"] = c.Description.String
	}
	if c.Created > 0 {
		zk["gmtCreate"] = c.Created
	}
	if c.Modified > 0 {
		zk["gmtModified"] = c.Modified
	}
	if c.Servers != nil {
		zk["serverList"] = c.Servers
	}
	m["zkCluster"] = zk
	return fastJSON(m)
}

// fastJSON is v as the manager's fastjson writes it into its tables: map
// keys sorted, no spaces, no HTML escaping.
func fastJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}
