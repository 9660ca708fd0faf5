package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/multitask-go/multitask/cmd/multitask/internal/jobexec"
	"github.com/multitask-go/multitask/cmd/multitask/internal/reaper"
)

// A Job is one run of the command: its sequence number ({#}) and values.
type Job struct {
	Seq  int
	Args []string
	// Input, when not nil, is the job's stdin (--pipe); otherwise the job
	// reads /dev/null.
	Input []byte
	// InputFile, when not nil, is the job's stdin instead of Input: a
	// --pipe block that lies in a regular file.
	InputFile *jobexec.Section
	// InputStream, when not nil, is the job's stdin instead of Input: what
	// every job of --tee reads. It counts as no input in the joblog, as in
	// GNU parallel, and a retry reads what is left of it.
	InputStream io.Reader
	// InputSent, when not nil, tells the bytes InputStream gave the job,
	// which the joblog's Send then gives (--round-robin).
	InputSent func() int64
	// Measured, when not 0, is the length of the job's command line as
	// measured when its values were gathered (-m, -X), which
	// Config.LineLen may give in place of the line's own.
	Measured int
}

// InputLen is the length of the job's stdin, as the joblog's Send gives it.
func (j *Job) InputLen() int64 {
	if j.InputSent != nil {
		return j.InputSent()
	}
	if j.InputFile != nil {
		return j.InputFile.Len
	}
	return int64(len(j.Input))
}

// A Command is a job's command line: Line runs through the shell; Argv,
// when not nil, is exec'd directly with the same effect. Dir is the
// directory it runs in (see jobexec.Job.Dir).
type Command struct {
	Line string
	Argv []string
	Dir  string
	// Skip ends the job at once with exit value -2, as GNU parallel ends
	// a job whose {= =} called skip(): nothing runs, and it counts as
	// failed.
	Skip bool
	// Err, when set, stops the run before this job starts: its command
	// could not be made. Run returns it.
	Err error
}

// Output says how jobs' output reaches the user.
type Output int

const (
	// Group prints each job's stdout then stderr whole when it ends.
	Group Output = iota
	// LineBuffer prints whole lines as they come; lines never mix.
	LineBuffer
	// Ungroup hands the jobs our own stdout and stderr.
	Ungroup
)

// Config says how to run a stream of jobs.
type Config struct {
	Slots   int                                        // jobs at once (at least 1)
	Command func(seq, slot int, args []string) Command // a job's command
	// SlotVar names the variable that gives a job its slot number less
	// one (GNU parallel's --process-slot-var); none when empty.
	SlotVar string
	Shell   string // runs Command.Line as Shell -c Line

	KeepOrder bool                         // print in input order
	Output    Output                       // how output is printed
	Tag       func(j Job, slot int) string // when set, the prefix of each printed line
	Print     bool                         // print the jobs' output at all (false with --results)
	Verbose   bool                         // print each job's command line on Stdout before its output
	Trace     bool                         // print each job's command line on Stderr as it starts
	Stdout    io.Writer
	Stderr    io.Writer

	Timeout    Timeout
	TermSeq    []TermStep // how a job is killed; jobexec.DefaultTermSeq when nil
	Retries    int        // tries per job, at least 1 (GNU's --retries)
	RetryDelay time.Duration
	Halt       Halt
	Total      int // the number of jobs, needed by percentage halts only

	// MemLimit, when positive, kills a job whose processes' resident
	// memory passes it (bytes).
	MemLimit int64
	// Nice, when not 0, is the niceness jobs run at.
	Nice int
	// TTY gives jobs without input the terminal as their stdin.
	TTY bool
	// Color, when not nil, colours each line a job prints, as GNU
	// parallel's --color prints them: start before its tag, reset at its
	// end; a carriage return inside a line resets the colour and starts
	// it again with the tag. Grouped output asks once the job has ended,
	// and ends a last line without a newline with one; line by line
	// output asks as the job starts, colours nothing when both are empty,
	// and prints a last line without a newline as it is.
	Color func(r *Result) (start, reset string)
	// TempDir is where output too big to hold in memory waits to be
	// printed; "" for os.TempDir.
	TempDir string

	Delay time.Duration // between starts
	// MemFree starts a job only with this much memory available, and,
	// when jobs run here (Exec is nil), kills the youngest running job
	// while less than half of it is.
	MemFree int64
	// MemSuspend starts a job only with this much more memory available,
	// and, when jobs run here, stops the youngest running jobs while less
	// than twice it is, as GNU parallel's --memsuspend does.
	MemSuspend int64
	Load       float64 // start a job only while fewer processes than this run (GNU's load)
	// Limit runs --limit's command and returns its exit status: 0 lets a
	// job start, any other holds the starts back, and 2, when jobs run
	// here, also kills the youngest running job.
	Limit func() int

	// Env is added to each job's environment, after os.Environ().
	Env []string

	// Reaper, when set, learns each job's process group.
	Reaper *reaper.Client

	// InputAsFile gives each job its input (Job.Input or InputFile) in a
	// temporary file named in $PARALLEL_TMP instead of on its stdin
	// (--cat).
	InputAsFile bool
	// InputAsFifo gives it in a named pipe instead (--fifo).
	InputAsFifo bool

	// MaxLine, when not 0, stops the run at the first job whose command
	// line is that long or longer, with a *TooLongError, and kills the
	// running jobs unprinted, as GNU parallel stops on a command line
	// too long for it. LineLen, when not nil, measures the line instead
	// of its length in bytes.
	MaxLine int
	LineLen func(Job, Command) int

	// Skip is called before each job starts, with its command, from the
	// scheduling goroutine; true skips the job, which Ended then never
	// sees. It serves --resume.
	Skip func(Job, Command) bool
	// Confirm, when not nil, is asked before each job starts, once its
	// resources are there, whether it should run (--interactive); a job
	// it refuses is skipped, as Command.Skip skips it.
	Confirm func(Command) bool

	// Ended is called once per job (its last try) right after its output
	// is printed, so in input order with KeepOrder, from one goroutine, as
	// GNU parallel writes its joblog. It serves --joblog and --results.
	Ended func(*Result)

	// Stop, when it fires, starts no more jobs (the first Ctrl-C). Ending
	// Run's ctx kills the running jobs as well.
	Stop <-chan struct{}

	// Exec runs one try of a job, from several goroutines at once, and
	// kills it when ctx ends; jobexec.Run, which runs it here, when nil.
	// It may run the job elsewhere, writing its output to the Spec's
	// writers before it returns.
	Exec func(ctx context.Context, s *jobexec.Spec) jobexec.Outcome

	// NoSwap starts no job while the machine swaps both in and out, as
	// GNU parallel's --noswap.
	NoSwap bool

	// memAvailable replaces the available memory's reading, for tests.
	memAvailable func() int64
	// swapCounts replaces the reading of the pages swapped in and out so
	// far, for tests.
	swapCounts func() (in, out int64)

	// Resize, when not nil, is asked each time a job ends for a new
	// number of slots, 0 for no change (-j FILE, whose file may change as
	// jobs run). Fewer slots let the running jobs finish and start none
	// until fewer run; more start more jobs. At most MaxResize.
	Resize func() int
}

// A TooLongError is a job whose command line reached Config.MaxLine.
type TooLongError struct {
	Seq, Len, Max int
	Args          []string
}

func (e *TooLongError) Error() string {
	args := strings.Join(e.Args, " ")
	if len(args) > 50 {
		args = args[:50] + "..."
	}
	return fmt.Sprintf("Command line too long (%d >= %d) at input %d: %s", e.Len, e.Max, e.Seq, args)
}

// MaxResize is the most slots Config.Resize can make.
const MaxResize = 1 << 16

// Timeout limits a job's runtime: After, or Percent of the median runtime
// of the jobs that succeeded so far.
type Timeout struct {
	After   time.Duration
	Percent float64
}

// A TermStep sends a signal to a job's group, then waits for it to end.
type TermStep = jobexec.TermStep

// A Result is one ended job.
type Result struct {
	Job
	Slot     int
	Command  Command
	Start    time.Time
	Runtime  time.Duration
	Exit     int // exit status; -1 when killed by MemLimit, or by a timeout unless it exited with a status of its own, as GNU logs a timeout
	Signal   int // the signal that ended it, 0 if none
	TimedOut bool
	OverMem  bool // killed for passing MemLimit
	Killed   bool // killed by a halt or an interrupt: not printed
	Tries    int
	MaxRSS   int64 // bytes
	Err      error // the job could not start (its exit status is 126 or 127)

	// The job's output; valid during Ended only.
	Stdout, Stderr *spool
	idx            int
}

// Failed reports whether the job counts as failed.
func (r *Result) Failed() bool { return r.Exit != 0 || r.Signal != 0 }

// ExitValue is the job's status as GNU parallel's --halt ...=1 exits with
// it: its exit status if not 0 (-1 for a timeout or MemLimit, which exits
// as 255), else 128 + the signal that killed it.
func (r *Result) ExitValue() int {
	switch {
	case r.Exit != 0:
		return r.Exit & 0xff
	case r.Signal != 0:
		return 128 + r.Signal
	}
	return 0
}

// StdoutLen returns the number of bytes the job wrote on stdout.
func (r *Result) StdoutLen() int64 {
	if r.Stdout == nil {
		return 0
	}
	return r.Stdout.Len()
}

// WriteStdout copies the job's captured stdout to w.
func (r *Result) WriteStdout(w io.Writer) error { return writeSpool(w, r.Stdout) }

// WriteStderr copies the job's captured stderr to w.
func (r *Result) WriteStderr(w io.Writer) error { return writeSpool(w, r.Stderr) }

func writeSpool(w io.Writer, s *spool) error {
	if s == nil {
		return nil
	}
	_, err := s.WriteTo(w)
	return err
}

// Summary is what Run did.
type Summary struct {
	Started int
	Done    int
	Failed  int
	Halt    Halt
	Total   int
	Trigger *Result // the job that triggered the halt, nil if none did
	// HaltExit is the exit status the halt fixed when it triggered; the
	// jobs that end after it change nothing.
	HaltExit int
	Stopped  bool // Stop fired or ctx ended before all jobs started
}

// ExitCode is GNU parallel's exit status for the run.
func (s Summary) ExitCode() int {
	switch {
	case s.Trigger != nil:
		return s.HaltExit
	case s.Halt.When != Never && s.Halt.Percent > 0:
		// A percentage halt that never triggered: the percentage of the
		// started jobs that failed, in GNU parallel's floating point.
		return int(math.Ceil(float64(s.Failed) / float64(max(s.Started, 1)) * 100))
	}
	return min(s.Failed, 101)
}

// Run runs jobs as cfg says and returns when every started job has ended
// and its output is printed. An error from jobs stops the run; it is
// returned after the running jobs end.
func Run(ctx context.Context, cfg Config, jobs iter.Seq2[Job, error]) (Summary, error) {
	if cfg.Slots < 1 {
		cfg.Slots = 1
	}
	if cfg.Retries < 1 {
		cfg.Retries = 1
	}
	kill, killAll := context.WithCancel(ctx)
	defer killAll()
	r := &runner{
		cfg:     cfg,
		ctx:     ctx,
		ended:   make(chan *Result, cfg.Slots),
		slots:   make(chan int, cfg.Slots),
		made:    cfg.Slots,
		halting: make(chan struct{}),
		kill:    kill,
		killAll: killAll,
		exec:    cfg.Exec,
	}
	if r.cfg.memAvailable == nil {
		r.cfg.memAvailable = memAvailable
	}
	r.swap.counts = swapCounts
	if r.cfg.swapCounts != nil {
		r.swap.counts = r.cfg.swapCounts
	}
	var watching sync.WaitGroup
	if r.exec == nil {
		r.exec = jobexec.Run
		if cfg.MemFree > 0 || cfg.MemSuspend > 0 || cfg.Limit != nil {
			r.mem = newMemWatch(cfg.MemFree, cfg.MemSuspend, r.cfg.memAvailable, cfg.Limit)
			watchCtx, stopWatch := context.WithCancel(ctx)
			defer func() { stopWatch(); watching.Wait() }()
			watching.Go(func() { r.mem.watch(watchCtx) })
		}
	}
	if cfg.Resize != nil {
		r.slots = make(chan int, max(cfg.Slots, MaxResize))
	}
	for s := 1; s <= cfg.Slots; s++ {
		r.slots <- s
	}
	if cfg.Output == LineBuffer && cfg.KeepOrder && cfg.Print {
		r.held = make(map[int]*heldLines)
	}
	collected := make(chan struct{})
	go func() {
		defer close(collected)
		r.collect()
	}()
	err := r.schedule(jobs)
	if _, ok := errors.AsType[*TooLongError](err); ok {
		r.killAll()
	}
	r.running.Wait()
	close(r.ended)
	<-collected
	r.sum.Halt = cfg.Halt
	r.sum.Total = cfg.Total
	return r.sum, err
}

type runner struct {
	cfg   Config
	ctx   context.Context
	ended chan *Result
	slots chan int // free slot numbers
	paths jobexec.Paths
	exec  func(context.Context, *jobexec.Spec) jobexec.Outcome

	// Under Config.Resize: slot numbers made so far, how many to take out
	// of use as they come free, and those taken out, to reuse first.
	// Guarded by slotsMu.
	slotsMu sync.Mutex
	made    int
	retire  int
	retired []int

	running sync.WaitGroup
	// halting is closed by the collector when a halt triggers; kill ends,
	// by killAll, when the running jobs must die too, or when ctx ends.
	halting  chan struct{}
	kill     context.Context
	killAll  context.CancelFunc
	haltOnce sync.Once
	runtimes remedian
	mem      *memWatch  // under MemFree, when jobs run here
	swap     swapWatch  // under NoSwap
	sum      Summary    // written by the collector, and Started by schedule
	outputMu sync.Mutex // keeps lines of different jobs apart under LineBuffer
	// Under LineBuffer with KeepOrder, the job whose turn it is to print
	// (its index in start order), and what the others hold back; nil
	// otherwise. Guarded by outputMu.
	turn int
	held map[int]*heldLines
}

// schedule starts jobs as slots free up until jobs end or the run stops.
func (r *runner) schedule(jobs iter.Seq2[Job, error]) error {
	var last time.Time
	for job, err := range jobs {
		if err != nil {
			return err
		}
		slot, ok := r.acquire()
		if !ok {
			r.sum.Stopped = true
			return nil
		}
		cmd := r.cfg.Command(job.Seq, slot, job.Args)
		if cmd.Err != nil {
			r.slots <- slot
			return cmd.Err
		}
		if r.cfg.MaxLine > 0 {
			n := len(cmd.Line)
			if r.cfg.LineLen != nil {
				n = r.cfg.LineLen(job, cmd)
			}
			if n >= r.cfg.MaxLine {
				r.slots <- slot
				return &TooLongError{Seq: job.Seq, Len: n, Max: r.cfg.MaxLine, Args: job.Args}
			}
		}
		if r.cfg.Skip != nil && r.cfg.Skip(job, cmd) {
			r.slots <- slot
			continue
		}
		if !r.waitResources(&last) {
			r.slots <- slot
			r.sum.Stopped = true
			return nil
		}
		if r.cfg.Confirm != nil && !cmd.Skip && !r.cfg.Confirm(cmd) {
			cmd.Skip = true
		}
		idx := r.sum.Started
		r.sum.Started++
		if r.held != nil {
			r.outputMu.Lock()
			h := r.newHeld()
			r.held[idx] = &h
			r.outputMu.Unlock()
		}
		r.running.Add(1)
		go func() {
			defer r.running.Done()
			res := r.runJob(job, slot, idx, cmd)
			r.ended <- res // the collector frees the slot, after the halt check
		}()
	}
	return nil
}

// release makes slot free again, or takes it out of use when Resize asked
// for fewer slots than are in use.
func (r *runner) release(slot int) {
	if r.cfg.Resize != nil {
		if n := r.cfg.Resize(); n > 0 {
			r.resize(min(n, cap(r.slots)))
		}
		r.slotsMu.Lock()
		retire := r.retire > 0
		if retire {
			r.retire--
			r.retired = append(r.retired, slot)
		}
		r.slotsMu.Unlock()
		if retire {
			return
		}
	}
	r.slots <- slot
}

// resize sets the number of slots in use to n: the lowest numbers out of
// use are used again first, then new ones are made; fewer are taken out
// of use as they come free, those free now at once.
func (r *runner) resize(n int) {
	r.slotsMu.Lock()
	defer r.slotsMu.Unlock()
	inUse := r.made - len(r.retired) - r.retire
	if n < inUse {
		r.retire += inUse - n
		for r.retire > 0 {
			select {
			case s := <-r.slots:
				r.retire--
				r.retired = append(r.retired, s)
				continue
			default:
			}
			break
		}
		return
	}
	add := n - inUse
	undo := min(add, r.retire)
	r.retire -= undo
	for add -= undo; add > 0; add-- {
		if len(r.retired) > 0 {
			slices.Sort(r.retired)
			r.slots <- r.retired[0]
			r.retired = r.retired[1:]
			continue
		}
		r.made++
		r.slots <- r.made
	}
}

// acquire waits for a free slot; false when the run must start no more jobs.
func (r *runner) acquire() (int, bool) {
	if r.stopping() {
		return 0, false
	}
	select {
	case s := <-r.slots:
		if r.stopping() {
			r.slots <- s
			return 0, false
		}
		return s, true
	case <-r.halting:
	case <-r.cfg.Stop:
	case <-r.ctx.Done():
	}
	return 0, false
}

func (r *runner) stopping() bool {
	select {
	case <-r.halting:
		return true
	case <-r.cfg.Stop:
		return true
	case <-r.ctx.Done():
		return true
	default:
		return false
	}
}

// waitResources honours --delay, --memfree and --load before a start.
func (r *runner) waitResources(last *time.Time) bool {
	if d := r.cfg.Delay - time.Since(*last); r.cfg.Delay > 0 && d > 0 {
		if !r.sleep(d) {
			return false
		}
	}
	for !resourcesFree(r.cfg.MemFree+r.cfg.MemSuspend, r.cfg.memAvailable, r.cfg.Load) || r.cfg.NoSwap && r.swap.swapping() || r.cfg.Limit != nil && r.cfg.Limit() != 0 {
		if !r.sleep(100 * time.Millisecond) {
			return false
		}
	}
	*last = time.Now()
	return true
}

func (r *runner) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.halting:
	case <-r.cfg.Stop:
	case <-r.ctx.Done():
	}
	return false
}

// collect takes each ended job: reports it, tallies it, checks the halt,
// and prints its output in the order asked for.
func (r *runner) collect() {
	pending := make(map[int]*Result)
	next := 0
	var c counts
	for res := range r.ended {
		if !res.Killed {
			c.done++
			if res.Failed() {
				c.failed++
			}
			if res.Exit == 0 && r.cfg.Timeout.Percent > 0 {
				// GNU parallel counts a job killed by a signal too.
				r.runtimes.add(res.Runtime)
			}
			r.sum.Done, r.sum.Failed = c.done, c.failed
		}
		if !res.Killed && r.sum.Trigger == nil && r.cfg.Halt.triggered(c, r.cfg.Total) {
			r.sum.Trigger = res
			r.sum.HaltExit = r.cfg.Halt.exitStatus(c, r.cfg.Total, res)
			r.haltMessage(res)
			r.haltOnce.Do(func() { close(r.halting) })
			if r.cfg.Halt.When == Now {
				r.killAll()
			}
		}
		r.release(res.Slot)
		if !r.cfg.KeepOrder {
			r.print(res)
			continue
		}
		pending[res.idx] = res
		for {
			p, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			if r.held != nil {
				r.passTurn(p)
			}
			r.print(p)
		}
	}
	// Jobs that never ended in order (none should) still free their spools.
	for _, p := range pending {
		r.print(p)
	}
}

func (r *runner) haltMessage(res *Result) {
	what := "failed"
	switch {
	case r.cfg.Halt.On == Success:
		what = "succeeded"
	case r.cfg.Halt.On == Done:
		what = "finished"
	}
	fmt.Fprintf(r.cfg.Stderr, "multitask: This job %s:\n%s\n", what, res.Command.Line)
}

// print writes a job's captured output, reports the job ended, and frees
// its output.
func (r *runner) print(res *Result) {
	defer func() {
		if r.cfg.Ended != nil {
			r.cfg.Ended(res)
		}
		for _, s := range []*spool{res.Stdout, res.Stderr} {
			if s != nil {
				s.release()
			}
		}
	}()
	if !r.cfg.Print || res.Killed || r.cfg.Output != Group {
		return
	}
	if r.cfg.Verbose {
		fmt.Fprintln(r.cfg.Stdout, res.Command.Line)
	}
	tag := ""
	if r.cfg.Tag != nil {
		tag = r.cfg.Tag(res.Job, res.Slot)
	}
	for _, p := range []struct {
		s *spool
		w io.Writer
	}{{res.Stdout, r.cfg.Stdout}, {res.Stderr, r.cfg.Stderr}} {
		if p.s == nil || p.s.Len() == 0 {
			continue
		}
		rd, err := p.s.reader()
		switch {
		case err != nil:
		case r.cfg.Color != nil:
			start, reset := r.cfg.Color(res)
			err = writeColored(p.w, start+tag, reset, rd)
		default:
			err = writeTagged(p.w, tag, rd)
		}
		if err != nil {
			fmt.Fprintf(r.cfg.Stderr, "multitask: output of job %d: %v\n", res.Seq, err)
		}
	}
}
