package engine

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/multitask-go/multitask/cmd/multitask/internal/jobexec"
)

// runJob runs a job, the idx-th to start, retrying it as configured, and
// returns its last try.
func (r *runner) runJob(job Job, slot, idx int, cmd Command) *Result {
	if r.cfg.Trace && !cmd.Skip {
		r.outputMu.Lock()
		fmt.Fprintln(r.cfg.Stderr, cmd.Line)
		r.outputMu.Unlock()
	}
	if r.cfg.Verbose && r.cfg.Print && r.cfg.Output != Group {
		r.outputMu.Lock()
		fmt.Fprintln(r.lineDest(idx, false), cmd.Line)
		r.outputMu.Unlock()
	}
	if cmd.Skip {
		return &Result{Job: job, Slot: slot, Command: cmd, Stdout: &spool{}, Stderr: &spool{}, idx: idx,
			Start: time.Now(), Exit: skippedExit, Tries: 1}
	}
	for try := 1; ; try++ {
		res := r.try(job, slot, idx, cmd)
		res.Tries = try
		if !res.Failed() || res.Killed || try >= r.cfg.Retries {
			return res
		}
		if !r.sleep(retryDelay(r.cfg.RetryDelay, try)) {
			return res
		}
		res.Stdout.release()
		res.Stderr.release()
	}
}

// skippedExit is the exit value GNU parallel gives a skipped job.
const skippedExit = -2

// retryDelay doubles base at each try, with up to a quarter of jitter so
// that jobs failing together do not retry together.
func retryDelay(base time.Duration, try int) time.Duration {
	if base <= 0 {
		return 0
	}
	d := base << min(try-1, 20)
	return d + time.Duration(rand.Int64N(int64(d)/4+1))
}

// try runs a job once.
func (r *runner) try(job Job, slot, idx int, cmd Command) *Result {
	res := &Result{Job: job, Slot: slot, Command: cmd, Stdout: &spool{dir: r.cfg.TempDir}, Stderr: &spool{dir: r.cfg.TempDir}, idx: idx}
	env := make([]string, len(r.cfg.Env), len(r.cfg.Env)+4)
	copy(env, r.cfg.Env)
	if r.cfg.SlotVar != "" {
		env = append(env, r.cfg.SlotVar+"="+strconv.Itoa(slot-1))
	}
	spec := &jobexec.Spec{
		Job: jobexec.Job{
			Line: cmd.Line, Argv: cmd.Argv, Shell: r.cfg.Shell, Stdin: job.Input, StdinAsFile: r.cfg.InputAsFile, StdinAsFifo: r.cfg.InputAsFifo,
			Env: append(env,
				"PARALLEL_SEQ="+strconv.Itoa(job.Seq),
				"PARALLEL_JOBSLOT="+strconv.Itoa(slot),
				"PARALLEL_PID="+strconv.Itoa(os.Getpid())),
			Timeout: r.cfg.Timeout.After, TermSeq: r.cfg.TermSeq, MemLimit: r.cfg.MemLimit,
			Dir: cmd.Dir, Nice: r.cfg.Nice,
		},
		StdinFile: job.InputFile, StdinStream: job.InputStream, TTY: r.cfg.TTY,
		Lookup: r.paths.Lookup,
	}
	if r.cfg.Timeout.Percent > 0 {
		spec.Limit = r.timeout
	}
	var watch *watched
	if r.mem != nil {
		watch = r.mem.add(job.Seq)
		defer r.mem.remove(job.Seq)
		limit := spec.Limit
		spec.Limit = func() time.Duration {
			switch {
			case watch.kill.Load() != 0:
				return killNow
			case limit != nil:
				return limit()
			}
			return r.cfg.Timeout.After
		}
		if r.cfg.MemSuspend > 0 {
			spec.Suspend = watch.stop.Load
		}
	}
	if r.cfg.Reaper != nil {
		spec.Groups = r.cfg.Reaper
	}
	flush := r.sinks(spec, res)
	o := r.exec(r.kill, spec)
	flush()
	res.Start, res.Runtime, res.MaxRSS, res.Err = o.Start, o.Runtime, o.MaxRSS, o.Err
	res.Exit, res.Signal = o.Exit, o.Signal
	res.TimedOut, res.OverMem, res.Killed = o.TimedOut, o.OverMem, o.Killed
	switch {
	case o.TimedOut && watch != nil && watch.kill.Load() == killedForLimit:
		// GNU parallel says nothing of it.
	case o.TimedOut && watch != nil && watch.kill.Load() == killedForMem:
		fmt.Fprintf(r.cfg.Stderr, "multitask: Warning: This job was killed because less than half of --memfree was available:\nmultitask: Warning: %s\n", cmd.Line)
	case o.TimedOut:
		fmt.Fprintf(r.cfg.Stderr, "multitask: Warning: This job was killed because it timed out:\nmultitask: Warning: %s\n", cmd.Line)
	case o.OverMem:
		fmt.Fprintf(r.cfg.Stderr, "multitask: Warning: This job was killed because its memory passed %d bytes:\nmultitask: Warning: %s\n", r.cfg.MemLimit, cmd.Line)
	}
	return res
}

// timeout is the current time limit of a job, 0 for none. A percentage
// sets none until a job has exited 0, as in GNU parallel, nor while the
// median is 0 (GNU would kill every job it found running).
func (r *runner) timeout() time.Duration {
	if r.cfg.Timeout.Percent > 0 {
		m, ok := r.runtimes.value()
		if !ok {
			return 0
		}
		return time.Duration(r.cfg.Timeout.Percent / 100 * m * float64(time.Second))
	}
	return r.cfg.Timeout.After
}

// sinks points the job's stdout and stderr where the output mode says, and
// returns what prints a last line without a newline once the job ended.
func (r *runner) sinks(spec *jobexec.Spec, res *Result) (flush func()) {
	if r.cfg.Output == Ungroup && r.cfg.Print {
		spec.Stdout, spec.Stderr = r.cfg.Stdout, r.cfg.Stderr
		return func() {}
	}
	if r.cfg.Output != LineBuffer || !r.cfg.Print {
		spec.Stdout, spec.Stderr = res.Stdout, res.Stderr
		return func() {}
	}
	tag := ""
	if r.cfg.Tag != nil {
		tag = r.cfg.Tag(res.Job, res.Slot)
	}
	out := &lineWriter{r: r, idx: res.idx, tag: tag, count: res.Stdout}
	if r.cfg.Color != nil {
		// Only a colour known as the job starts: --color-failed's is not.
		if start, reset := r.cfg.Color(res); start != "" || reset != "" {
			out.tag, out.colored, out.reset = start+tag, true, reset
		}
	}
	errs := &lineWriter{r: r, idx: res.idx, stderr: true, tag: out.tag, colored: out.colored, reset: out.reset, count: res.Stderr}
	spec.Stdout, spec.Stderr = out, errs
	return func() { out.flush(); errs.flush() }
}

// A lineWriter prints whole lines as they come, each after the tag, and
// counts the bytes in a spool that keeps none of them.
type lineWriter struct {
	r       *runner
	idx     int  // the job's index in start order
	stderr  bool // the job's stderr, not its stdout
	tag     string
	colored bool   // lines end with reset, as Config.Color says
	reset   string // what ends a coloured line
	count   *spool
	partial []byte // the start of a line whose end has not come
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	l.count.n += int64(n)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			l.partial = append(l.partial, p...)
			break
		}
		l.print(p[:i+1])
		p = p[i+1:]
	}
	return n, nil
}

// flush prints a last line that has no newline.
func (l *lineWriter) flush() {
	if len(l.partial) > 0 {
		l.print(nil)
	}
}

func (l *lineWriter) print(end []byte) {
	l.r.outputMu.Lock() // keeps lines of different jobs apart
	defer l.r.outputMu.Unlock()
	w := l.r.lineDest(l.idx, l.stderr)
	switch {
	case l.colored && end == nil:
		// A last line without a newline: GNU parallel prints it as it is.
		w.Write(l.partial)
	case l.colored:
		writeColoredLine(w, l.tag, l.reset, append(l.partial, end...))
	default:
		io.WriteString(w, l.tag)
		w.Write(l.partial)
		w.Write(end)
	}
	l.partial = l.partial[:0]
}

// remedian is GNU parallel's running median of the runtimes of the jobs
// that exited 0, for --timeout N%: the remedian of Rousseeuw and Bassett
// over three levels of 999 values, where each level's median is the lower
// middle of its values sorted as strings. The values are runtimes printed
// as seconds with three decimals, so that 10.000 sorts before 9.000, as in
// GNU's Perl.
type remedian struct {
	mu     sync.Mutex
	n      int
	levels [3][]string
	median float64 // seconds
}

func (m *remedian) add(d time.Duration) {
	v := fmt.Sprintf("%.3f", float64(d.Milliseconds())/1000)
	m.mu.Lock()
	defer m.mu.Unlock()
	i := m.n
	m.n++
	put(&m.levels[0], i%999, v)
	put(&m.levels[1], i/999%999, lowerMiddle(m.levels[0]))
	put(&m.levels[2], i/999/999%999, lowerMiddle(m.levels[1]))
	m.median, _ = strconv.ParseFloat(lowerMiddle(m.levels[2]), 64)
}

// value returns the median in seconds; false before the first job.
func (m *remedian) value() (float64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.median, m.n > 0
}

// put sets l[i], growing l by one when i is its length.
func put(l *[]string, i int, v string) {
	if i == len(*l) {
		*l = append(*l, v)
		return
	}
	(*l)[i] = v
}

func lowerMiddle(l []string) string {
	s := slices.Clone(l)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}
