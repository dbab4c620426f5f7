package probes

import (
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"
)

// MinLivenessStall is the shortest ENTRYPOINT_LIVENESS_STALL accepted:
// anything shorter would restart a JVM that is only in a long garbage
// collection or answering its readiness check slowly for a moment.
const MinLivenessStall = 30 * time.Second

// tickCounter is the hsperfdata counter that proves the JVM makes progress:
// HotSpot's StatSampler, a periodic task of the VM's own WatcherThread,
// writes the high-resolution clock into it every PerfDataSamplingInterval
// (50 ms), whatever the application threads do and whether a safepoint or
// garbage collection runs. It stands still only when the whole VM does (the
// process is stopped, or the VM is wedged). The safepoint and thread
// counters are no proof: an idle JVM leaves them alone for minutes.
const tickCounter = "sun.os.hrt.ticks"

// CheckLivenessStall checks an ENTRYPOINT_LIVENESS_STALL value against the
// readiness interval: 0 is off; else at least MinLivenessStall and three
// readiness intervals (so that one slow check never decides).
func CheckLivenessStall(stall, readyInterval time.Duration) error {
	if stall == 0 {
		return nil
	}
	if readyInterval <= 0 {
		readyInterval = DefaultReadyInterval
	}
	if stall < MinLivenessStall || stall < 3*readyInterval {
		return settingErrorf("ENTRYPOINT_LIVENESS_STALL=%s: want off, or a duration of at least %s and three ENTRYPOINT_READY_INTERVALs (%s), e.g. 5m",
			stall, MinLivenessStall, 3*readyInterval)
	}
	return nil
}

// progress remembers the JVM's tick counter and when it last moved, per
// child pid.
type progress struct {
	file *perfFile

	mu        sync.Mutex
	pid       int
	ticks     int64
	seen      bool      // ticks holds a value read for pid
	changedAt time.Time // when ticks was first seen at its current value
}

// observe reads pid's tick counter at now and returns how long it has not
// moved; known is false when the counter cannot be read (no file yet,
// -XX:-UsePerfData): no judgement is made then.
func (p *progress) observe(pid int, now time.Time) (still time.Duration, ticks int64, known bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pid != pid {
		p.pid, p.seen = pid, false
	}
	snap, err := p.file.read(pid)
	var v int64
	ok := err == nil
	if ok {
		v, ok = snap.Long(tickCounter)
	}
	if !ok {
		p.seen = false
		return 0, 0, false
	}
	if !p.seen || v != p.ticks {
		p.ticks, p.changedAt, p.seen = v, now, true
	}
	return now.Sub(p.changedAt), v, true
}

// stalled reports why the running child counts as hung at now, or "" when
// it does not (or ENTRYPOINT_LIVENESS_STALL is off). Two signs, each for
// longer than the stall: the JVM's tick counter stood still, or /readyz
// did not answer 200 (counted from the child's start or its last passed
// check; a stop in progress is not counted).
func (s *Server) stalled(st state, now time.Time) string {
	stall := s.cfg.LivenessStall
	if stall <= 0 || st.phase != phaseRunning || st.stopping {
		return ""
	}
	if still, ticks, ok := s.progress.observe(st.pid, now); ok && still > stall {
		return fmt.Sprintf("the JVM made no progress for %s (hsperfdata %s stuck at %d; ENTRYPOINT_LIVENESS_STALL=%s)",
			still.Round(time.Second), tickCounter, ticks, stall)
	}
	if !st.ready && !st.notReadySince.IsZero() {
		if d := now.Sub(st.notReadySince); d > stall {
			why := "the check has not run"
			if st.lastErr != nil {
				why = st.lastErr.Error()
			}
			return fmt.Sprintf("not ready for %s (ENTRYPOINT_LIVENESS_STALL=%s): %s", d.Round(time.Second), stall, why)
		}
	}
	return ""
}

// logStall logs the change between hung and not hung once per change, so
// that the reason for the kubelet's restart is in the container's log.
func (s *Server) logStall(pid int, why string) {
	hung := why != ""
	s.stallMu.Lock()
	defer s.stallMu.Unlock()
	was := s.stallHung && s.stallPid == pid
	s.stallPid, s.stallHung = pid, hung
	switch {
	case hung && !was:
		s.log.Error("/livez fails: java counts as hung", zap.Int("pid", pid), zap.String("reason", why))
	case !hung && was:
		s.log.Info("/livez passes again: java made progress", zap.Int("pid", pid))
	}
}
