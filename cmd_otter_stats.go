package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"otter-entrypoint/internal/otter"
	"otter-entrypoint/otterstats"
	"otter-entrypoint/prestart"
	"otter-entrypoint/propsfile"
)

// statsRun is the manager's Otter statistics: the collector /metrics
// serves and the sources it reads, run from when java is about to start.
type statsRun struct {
	c    *otterstats.Collector
	db   *otterstats.DBSource
	zk   *otterstats.ZKSource
	stop func() // set once started
}

// planStats sets up the manager's statistics (OTTER_STATS, on by default)
// from the database and ZooKeeper otter.properties names. Without a usable
// database URL or ZooKeeper they are off, with a warning, unless
// OTTER_STATS=on asks for them (then a problem).
func planStats(role otter.Role, s otterSettings, r *propsfile.Result, p *launchPlan, log *zap.Logger, now func() time.Time) []string {
	st := s.stats
	if role != otter.Manager {
		if st.Explicit() && st.On() {
			log.Warn("OTTER_STATS=on is a manager setting; the node ignores it")
		}
		return nil
	}
	if !st.On() {
		return nil
	}
	url, _ := r.Resolved(otter.KeyDBURL)
	zkv, _ := r.Resolved(otter.KeyZooKeeper)
	j, dbErr := prestart.ParseJDBC(url)
	cs, zkErr := otter.ParseConnectString(strings.TrimSpace(zkv))
	if dbErr != nil || zkErr != nil {
		why := fmt.Sprintf("Otter's statistics need %s and %s", otter.KeyDBURL, otter.KeyZooKeeper)
		if dbErr != nil {
			why += fmt.Sprintf("; %s: %v", otter.KeyDBURL, dbErr)
		}
		if zkErr != nil {
			why += fmt.Sprintf("; %s: %v", otter.KeyZooKeeper, zkErr)
		}
		if st.Explicit() {
			return []string{"OTTER_STATS=on: " + why + "; fix them or set OTTER_STATS=off"}
		}
		log.Warn(why + "; the otter_* statistics are off (OTTER_STATS=off silences this)")
		return nil
	}
	run := &statsRun{db: otterstats.NewDBSource(managerDB(r, j, log).Open), zk: otterstats.NewZKSource(cs, log)}
	run.c = otterstats.New(otterstats.Config{DB: run.db, ZK: run.zk, Interval: st.Interval, Log: log, Now: now})
	p.stats = run
	p.probes.collectors = append(p.probes.collectors, prometheus.Collector(run.c))
	return nil
}

// start runs the collector in the background; the returned stop ends it
// and closes its connections.
func (r *statsRun) start() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.c.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
		r.db.Close()
		r.zk.Close()
	}
}
