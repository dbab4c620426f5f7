package jvm

import "fmt"

// Settings are the JVM settings read from the environment (parse with
// caarlos0/env: env.ParseWithOptions(&s, env.Options{Environment: m})).
// JAVA_HOME is read by Detect, OTTER_NID and OTTER_NID_OFFSET by Nid, and
// OTTER_ADVERTISE_HOST by AdvertiseHost.
type Settings struct {
	JavaOptions     string  `env:"JAVA_OPTIONS"`
	MaxMemRatio     float64 `env:"JAVA_MAX_MEM_RATIO" envDefault:"75"`
	InitialMemRatio float64 `env:"JAVA_INITIAL_MEM_RATIO"`
	Debug           bool    `env:"JAVA_DEBUG" envDefault:"false"`
	DebugPort       int     `env:"JAVA_DEBUG_PORT" envDefault:"5005"`
}

// Validate lists every invalid setting (name, value, what is accepted),
// including JAVA_OPTIONS whose quotes do not balance.
func (s Settings) Validate() []string {
	p := s.numberProblems(true)
	if _, err := SplitOptions(s.JavaOptions); err != nil {
		p = append(p, "JAVA_OPTIONS: "+err.Error()+"; quote as in a POSIX shell, nothing is expanded")
	}
	return p
}

// numberProblems checks the ratios and, when withPort, JAVA_DEBUG_PORT;
// Validate and Build share it (Build checks the port only with JAVA_DEBUG).
func (s Settings) numberProblems(withPort bool) []string {
	var p []string
	if s.MaxMemRatio < 0 || s.MaxMemRatio > 100 {
		p = append(p, fmt.Sprintf("JAVA_MAX_MEM_RATIO=%v: want a percentage of the container's memory from 0 (leave it to the JVM: 25) to 100; default 75", s.MaxMemRatio))
	}
	if s.InitialMemRatio < 0 || s.InitialMemRatio > 100 {
		p = append(p, fmt.Sprintf("JAVA_INITIAL_MEM_RATIO=%v: want a percentage of the container's memory from 0 (unset) to 100", s.InitialMemRatio))
	}
	if withPort && (s.DebugPort < 1 || s.DebugPort > 65535) {
		p = append(p, fmt.Sprintf("JAVA_DEBUG_PORT=%d: want a TCP port from 1 to 65535; default 5005", s.DebugPort))
	}
	return p
}
