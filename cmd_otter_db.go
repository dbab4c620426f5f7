package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.uber.org/zap"

	"otter-entrypoint/internal/otter"
	"otter-entrypoint/jvm"
	"otter-entrypoint/prestart"
	"otter-entrypoint/propsfile"
)

// dbSettings are the settings of the database steps before java: the
// manager's OTTER_DB_INIT and the node's OTTER_REGISTER.
type dbSettings struct {
	init     prestart.DBInitSettings
	register prestart.RegisterSettings

	node     prestart.Node // the NODE row to register (node, OTTER_REGISTER=on)
	password string        // OTTER_REGISTER_PASSWORD or its _FILE's content; never logged
}

// loadDBSettings reads and checks the database settings of role; the
// node's id and address must be known already (s.nid, s.advertiseHost).
func loadDBSettings(a *app, role otter.Role, s *otterSettings) []string {
	d := &s.db
	problems := parseSettings(a, &d.init, &d.register)
	if role != otter.Node || !d.register.On() {
		return problems
	}
	host, _ := os.Hostname()
	ordinal, hasOrdinal := jvm.HostOrdinal(host)
	node, more := d.register.Node(s.nid, host, ordinal, hasOrdinal, s.advertiseHost)
	problems = append(problems, more...)
	d.node, d.password = node, d.register.Password
	if f := d.register.PasswordFile; f != "" && filepath.IsAbs(f) {
		pw, err := propsfile.ReadSecretFile(f)
		if err != nil {
			problems = append(problems, fmt.Sprintf("OTTER_REGISTER_PASSWORD_FILE=%q (environment): cannot read the secret file: %v", f, err))
		}
		d.password = pw
	}
	return problems
}

// planDatabase adds the database steps to p: for the manager, waiting for
// MySQL by logging in and finding Otter's tables (instead of a TCP connect
// to the URL's hosts) when ENTRYPOINT_WAIT_FOR is unset, and preparing the
// database when OTTER_DB_INIT=on; for the node, registering its NODE row
// when OTTER_REGISTER=on. It returns every problem found.
func planDatabase(role otter.Role, s otterSettings, r *propsfile.Result, p *launchPlan, log *zap.Logger) []string {
	d := s.db
	if role == otter.Node {
		if d.init.On() {
			log.Warn("OTTER_DB_INIT=on is a manager setting; the node ignores it")
		}
		if !d.register.On() {
			return nil
		}
		j, err := prestart.ParseJDBC(d.register.URL)
		if err != nil {
			return nil // reported with the settings
		}
		db := prestart.DB{JDBC: j, User: d.register.Username, Password: d.password,
			Settings: "OTTER_REGISTER_URL, OTTER_REGISTER_USERNAME and OTTER_REGISTER_PASSWORD(_FILE)", Log: log}
		reg := prestart.Registrar{DB: db, Node: d.node, Timeout: s.launch.WaitTimeout, Log: log}
		p.before = append(p.before, prestart.Step{Name: "register the node", Run: func(ctx context.Context) error {
			_, cluster, err := reg.Register(ctx)
			p.clusterServers = otter.ServerListConnectString(cluster.Servers)
			return err
		}})
		return nil
	}

	if d.register.On() {
		log.Warn("OTTER_REGISTER=on is a node setting; the manager ignores it")
	}
	if s.waitForSet && !d.init.On() {
		return nil // ENTRYPOINT_WAIT_FOR keeps its meaning; nothing to do with the database
	}
	url, _ := r.Resolved(otter.KeyDBURL)
	if strings.TrimSpace(url) == "" {
		if d.init.On() {
			return []string{fmt.Sprintf("OTTER_DB_INIT=on needs %s, the manager's database; set it (OTTER_DATABASE_DRIVER_URL)", otter.KeyDBURL)}
		}
		return nil
	}
	if _, err := otter.MySQLTargets(url); err != nil && !d.init.On() {
		return nil // derivedWaitTargets reports it
	}
	j, err := prestart.ParseJDBC(url)
	if err != nil {
		return []string{fmt.Sprintf("%s (from %s): %v; fix it, or set ENTRYPOINT_WAIT_FOR (and OTTER_DB_INIT=off) to start without checking the database",
			otter.KeyDBURL, keySource(r, otter.KeyDBURL), err)}
	}
	db := managerDB(r, j, log)

	if !s.waitForSet {
		// The database is checked by logging in; its hosts are no longer
		// TCP targets of their own.
		tcp, _ := otter.MySQLTargets(url)
		p.waitFor = slices.DeleteFunc(p.waitFor, func(t string) bool { return slices.Contains(tcp, t) })
		p.waitChecks = append(p.waitChecks, prestart.MySQLCheck(db, !d.init.On()))
	}
	if !d.init.On() {
		return nil
	}
	var problems []string
	schema, err := prestart.LoadSchema(s.render.OtterHome, d.init.Schema)
	if err != nil {
		problems = append(problems, err.Error())
	}
	zk, _ := r.Resolved(otter.KeyZooKeeper)
	servers := prestart.ZooKeeperServers(zk)
	if len(servers) == 0 {
		problems = append(problems, fmt.Sprintf("OTTER_DB_INIT=on needs %s to add the manager's ZooKeeper cluster; set it (OTTER_ZOOKEEPER_CLUSTER_DEFAULT)", otter.KeyZooKeeper))
	}
	if len(problems) > 0 {
		return problems
	}
	init := prestart.DBInit{DB: db, Schema: schema, ZooKeeper: servers, Timeout: s.launch.WaitTimeout, Log: log}
	p.before = append(p.before, prestart.Step{Name: "prepare the database (OTTER_DB_INIT)", Run: init.Run})
	return nil
}

// managerDB is the manager's database as otter.properties names it: the
// parsed otter.database.driver.url j, with the username and password
// rendered beside it.
func managerDB(r *propsfile.Result, j prestart.JDBC, log *zap.Logger) prestart.DB {
	user, _ := r.Resolved(otter.KeyDBUser)
	password, _ := r.Resolved(otter.KeyDBPassword)
	return prestart.DB{JDBC: j, User: user, Password: password,
		Settings: otter.KeyDBURL + ", .username and .password", Log: log}
}

// keySource says where the rendered value of key came from.
func keySource(r *propsfile.Result, key string) string {
	for _, e := range r.Entries() {
		if e.Key == key {
			return e.Source.String()
		}
	}
	return "nowhere"
}
