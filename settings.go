package main

import (
	"errors"
	"fmt"
	"io"
	"otter-entrypoint/internal/exit"
	"otter-entrypoint/jvm"
	"otter-entrypoint/otterstats"
	"otter-entrypoint/prestart"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// supervisorSettings are the settings every command that runs a child uses.
type supervisorSettings struct {
	StopTimeout      time.Duration `env:"ENTRYPOINT_STOP_TIMEOUT" envDefault:"25s"`
	DrainTimeout     time.Duration `env:"ENTRYPOINT_DRAIN_TIMEOUT" envDefault:"2s"`
	SignalGroup      bool          `env:"ENTRYPOINT_SIGNAL_GROUP" envDefault:"false"`
	SuccessExitCodes []int         `env:"ENTRYPOINT_SUCCESS_EXIT_CODES" envSeparator:","`
}

// logSettings configure the supervisor's own log.
type logSettings struct {
	LogFormat string `env:"ENTRYPOINT_LOG_FORMAT" envDefault:"json"`
	LogLevel  string `env:"ENTRYPOINT_LOG_LEVEL" envDefault:"info"`
}

func (s *supervisorSettings) validate() []string {
	var p []string
	if s.StopTimeout < 0 {
		p = append(p, fmt.Sprintf("ENTRYPOINT_STOP_TIMEOUT=%q: must not be negative; use a duration such as 25s", s.StopTimeout))
	}
	if s.DrainTimeout < 0 {
		p = append(p, fmt.Sprintf("ENTRYPOINT_DRAIN_TIMEOUT=%q: must not be negative; use a duration such as 2s", s.DrainTimeout))
	}
	for _, c := range s.SuccessExitCodes {
		if c < 0 || c > 255 {
			p = append(p, fmt.Sprintf("ENTRYPOINT_SUCCESS_EXIT_CODES: %d is not an exit code; list codes from 0 to 255, e.g. 143", c))
		}
	}
	return p
}

func (s *logSettings) validate() []string {
	var p []string
	if s.LogFormat != "json" && s.LogFormat != "console" {
		p = append(p, fmt.Sprintf("ENTRYPOINT_LOG_FORMAT=%q: accepted values are json and console", s.LogFormat))
	}
	if _, err := zapcore.ParseLevel(s.LogLevel); err != nil {
		p = append(p, fmt.Sprintf("ENTRYPOINT_LOG_LEVEL=%q: accepted values are debug, info, warn and error", s.LogLevel))
	}
	return p
}

// handReadSettings are the variables read without an env tag: where an
// empty value means something of its own (ENTRYPOINT_LISTEN), where the
// default depends on the command (ENTRYPOINT_READY_CHECK,
// ENTRYPOINT_TAIL_LOGS), or where a package reads them itself (jvm: the
// node's id and address, JAVA_HOME).
var handReadSettings = []string{
	"ENTRYPOINT_LISTEN", "ENTRYPOINT_READY_CHECK", "ENTRYPOINT_READY_INTERVAL", "ENTRYPOINT_LIVENESS_STALL", "ENTRYPOINT_TAIL_LOGS",
	"JAVA_HOME", "OTTER_NID", "OTTER_NID_OFFSET", "OTTER_ADVERTISE_HOST",
}

// settingStructs are every struct of settings read with env tags.
func settingStructs() []any {
	return []any{&logSettings{}, &supervisorSettings{}, &launchSettings{}, &renderSettings{}, &jvm.Settings{},
		&prestart.DBInitSettings{}, &prestart.RegisterSettings{}, &zkSettings{}, &otterstats.Settings{}}
}

// reservedEnv lists the entrypoint's own OTTER_* settings, which are never
// properties: the env tags of every settings struct and the hand-read
// names, so that a new setting can never silently become a property.
func reservedEnv() []string {
	var out []string
	add := func(name string) {
		if strings.HasPrefix(name, "OTTER_") && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	for _, s := range settingStructs() {
		params, err := env.GetFieldParams(s)
		if err != nil {
			panic(err) // a malformed tag: a programming error the tests catch
		}
		for _, p := range params {
			add(p.Key)
		}
	}
	for _, n := range handReadSettings {
		add(n)
	}
	return out
}

// parseSettings fills each of dsts (pointers to structs with env tags) from
// the app's environment and returns every problem found, each naming the
// variable, its value and what is accepted. Each struct is also
// checked with its validate (or Validate) method when it has one.
func parseSettings(a *app, dsts ...any) []string {
	envm := a.envMap()
	var problems []string
	for _, dst := range dsts {
		err := env.ParseWithOptions(dst, env.Options{Environment: envm})
		var agg env.AggregateError
		switch {
		case errors.As(err, &agg):
			for _, e := range agg.Errors {
				problems = append(problems, describeEnvError(dst, envm, e))
			}
		case err != nil:
			problems = append(problems, err.Error())
		}
		// The fields that did parse are checked too, so that every
		// problem is reported at once.
		switch v := dst.(type) {
		case interface{ validate() []string }:
			problems = append(problems, v.validate()...)
		case interface{ Validate() []string }:
			problems = append(problems, v.Validate()...)
		}
	}
	return problems
}

func describeEnvError(dst any, envm map[string]string, err error) string {
	var pe env.ParseError
	if errors.As(err, &pe) {
		name := envName(dst, pe.Name)
		return fmt.Sprintf("%s=%q: %s", name, envm[name], accepted(pe.Type))
	}
	return err.Error()
}

// envName finds the variable name of a struct field from its env tag.
func envName(dst any, field string) string {
	t := reflect.TypeOf(dst)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if f, ok := t.FieldByName(field); ok {
		name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		return name
	}
	return field
}

func accepted(t reflect.Type) string {
	switch {
	case t == reflect.TypeOf(time.Duration(0)):
		return "not a duration; use a number with a unit, such as 500ms, 25s or 5m"
	case t.Kind() == reflect.Bool:
		return "not a boolean; use true or false"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Int:
		return "not a list of integers; use comma-separated numbers such as 143,130"
	case t.Kind() == reflect.Int, t.Kind() == reflect.Int64:
		return "not an integer"
	case t.Kind() == reflect.Float64:
		return "not a number"
	}
	return "invalid value of type " + t.String()
}

// newLogger builds the supervisor's own logger: zap on stderr, JSON or
// console, never sampled. Each entry is written with a single write, so it
// is never interleaved mid-line with the child's output.
func newLogger(w io.Writer, s logSettings) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(s.LogLevel)
	if err != nil {
		return nil, err
	}
	ec := zap.NewProductionEncoderConfig()
	ec.TimeKey = "ts"
	ec.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	ec.EncodeDuration = zapcore.StringDurationEncoder
	ec.CallerKey = ""
	var enc zapcore.Encoder
	if s.LogFormat == "console" {
		ec.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(ec)
	} else {
		enc = zapcore.NewJSONEncoder(ec)
	}
	ws := zapcore.Lock(zapcore.AddSync(w)) // AddSync keeps an *os.File as it is
	core := zapcore.NewCore(enc, ws, level)
	return zap.New(core, zap.ErrorOutput(ws)).Named("otter-entrypoint"), nil
}

// loggerFor returns the settings problems found so far as one error (exit
// code 78), or builds the supervisor's logger.
func loggerFor(a *app, ls logSettings, problems []string) (*zap.Logger, error) {
	if len(problems) > 0 {
		return nil, exit.ConfigError(problems...)
	}
	return newLogger(a.stderr, ls)
}
