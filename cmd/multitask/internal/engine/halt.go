package engine

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// When says what a triggered halt does to the jobs still running.
type When int

const (
	// Never halts: every job runs.
	Never When = iota
	// Soon starts no more jobs and waits for the running ones.
	Soon
	// Now starts no more jobs and kills the running ones.
	Now
)

// On says which jobs count towards a halt.
type On int

const (
	// Fail counts failed jobs.
	Fail On = iota
	// Success counts jobs that succeeded.
	Success
	// Done counts every job that ended.
	Done
)

// Halt is GNU parallel's --halt: when Count jobs (or Percent of all jobs)
// have ended as On says, stop as When says.
type Halt struct {
	When    When
	On      On
	Count   int     // 0 when Percent is set
	Percent float64 // of the total number of jobs; 0 when Count is set
}

// ParseHalt parses --halt's argument: "never", "now|soon,fail|success|done=N"
// or "…=P%", "P%" for "soon,fail=P%", or the legacy numbers 0, 1, 2, -1, -2.
func ParseHalt(s string) (Halt, error) {
	if strings.HasSuffix(s, "%") && !strings.Contains(s, ",") {
		s = "soon,fail=" + s
	}
	switch s {
	case "never", "0":
		return Halt{}, nil
	case "1":
		return Halt{When: Soon, On: Fail, Count: 1}, nil
	case "2":
		return Halt{When: Now, On: Fail, Count: 1}, nil
	case "-1":
		return Halt{When: Soon, On: Success, Count: 1}, nil
	case "-2":
		return Halt{When: Now, On: Success, Count: 1}, nil
	}
	bad := fmt.Errorf("--halt must be never or when,why=N[%%] (when: now or soon; why: fail, success or done): %q", s)
	when, rest, ok := strings.Cut(s, ",")
	if !ok {
		return Halt{}, bad
	}
	var h Halt
	switch when {
	case "now":
		h.When = Now
	case "soon":
		h.When = Soon
	default:
		return Halt{}, bad
	}
	why, n, ok := strings.Cut(rest, "=")
	if !ok {
		return Halt{}, bad
	}
	switch why {
	case "fail":
		h.On = Fail
	case "success":
		h.On = Success
	case "done":
		h.On = Done
	default:
		return Halt{}, bad
	}
	if p, ok := strings.CutSuffix(n, "%"); ok {
		v, err := strconv.ParseFloat(p, 64)
		if err != nil || v <= 0 || v > 100 {
			return Halt{}, bad
		}
		h.Percent = v
		return h, nil
	}
	v, err := strconv.Atoi(n)
	if err != nil || v < 1 {
		return Halt{}, bad
	}
	h.Count = v
	return h, nil
}

// counts tallies ended jobs for halts and the exit status.
type counts struct {
	done, failed int
}

// triggered reports whether the ended jobs c, out of total, trigger h.
// A percentage is compared as GNU parallel compares it, in floating point:
// 7% of 100 jobs is a little more than 7 jobs.
func (h Halt) triggered(c counts, total int) bool {
	if h.When == Never {
		return false
	}
	n := c.done
	switch h.On {
	case Fail:
		n = c.failed
	case Success:
		n = c.done - c.failed
	}
	if h.Percent > 0 {
		return total > 0 && float64(n) >= float64(total)*(h.Percent/100)
	}
	return n >= h.Count
}

// exitStatus is the run's exit status fixed when job, the last of the
// ended jobs c out of total, triggered h, by GNU parallel's rules.
func (h Halt) exitStatus(c counts, total int, job *Result) int {
	switch {
	case h.On == Success:
		return 0
	case h.Percent > 0:
		return int(math.Ceil(float64(c.failed) / float64(max(total, 1)) * 100))
	case h.Count == 1:
		return job.ExitValue()
	}
	return min(c.failed, 101)
}
