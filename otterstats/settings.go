package otterstats

import (
	"fmt"
	"strings"
	"time"
)

// MinInterval bounds OTTER_STATS_INTERVAL from below: each round costs the
// database a few index dives per pipeline.
const MinInterval = time.Second

// Settings are the manager's statistics settings.
type Settings struct {
	// Stats is OTTER_STATS: on (the manager's default) or off.
	Stats    string        `env:"OTTER_STATS"`
	Interval time.Duration `env:"OTTER_STATS_INTERVAL" envDefault:"30s"`
}

// Validate reports every invalid value.
func (s *Settings) Validate() []string {
	var p []string
	if _, _, err := s.parse(); err != nil {
		p = append(p, fmt.Sprintf("OTTER_STATS=%q (environment): %v", s.Stats, err))
	}
	if s.Interval < MinInterval {
		p = append(p, fmt.Sprintf("OTTER_STATS_INTERVAL=%q (environment): must be at least %s; use e.g. 30s (Otter writes its statistics once a minute)", s.Interval, MinInterval))
	}
	return p
}

// On reports whether the manager serves the statistics (on unless
// OTTER_STATS says off).
func (s Settings) On() bool {
	on, _, _ := s.parse()
	return on
}

// Explicit reports whether OTTER_STATS was set (to on or off), rather than
// left to the default.
func (s Settings) Explicit() bool {
	_, set, _ := s.parse()
	return set
}

func (s Settings) parse() (on, set bool, err error) {
	switch strings.ToLower(strings.TrimSpace(s.Stats)) {
	case "":
		return true, false, nil
	case "on", "true":
		return true, true, nil
	case "off", "false":
		return false, true, nil
	}
	return false, true, fmt.Errorf("accepted values are on and off")
}
