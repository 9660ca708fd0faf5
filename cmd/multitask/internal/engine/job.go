package engine

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/multitask-go/multitask/internal/supervise"
)

// DefaultTermSeq is GNU parallel's default --termseq: TERM, and again,
// and again, then KILL.
var DefaultTermSeq = []TermStep{
	{syscall.SIGTERM, 200 * time.Millisecond},
	{syscall.SIGTERM, 100 * time.Millisecond},
	{syscall.SIGTERM, 50 * time.Millisecond},
	{syscall.SIGKILL, 25 * time.Millisecond},
}

// runJob runs a job, retrying it as configured, and returns its last try.
func (r *runner) runJob(job Job, slot int, cmd Command) *Result {
	if r.cfg.Verbose && r.cfg.Print && r.cfg.Output != Group {
		r.outputMu.Lock()
		fmt.Fprintln(r.cfg.Stdout, cmd.Line)
		r.outputMu.Unlock()
	}
	for try := 1; ; try++ {
		res := r.try(job, slot, cmd)
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
func (r *runner) try(job Job, slot int, cmd Command) *Result {
	res := &Result{Job: job, Slot: slot, Command: cmd, Stdout: &spool{}, Stderr: &spool{}}
	c, err := r.command(job, slot, cmd)
	if err != nil {
		res.Start = time.Now()
		res.Exit, res.Err = notFoundStatus(err), err
		fmt.Fprintf(res.Stderr, "multitask: %v\n", err)
		return res
	}
	streams, err := r.attach(c, res)
	if err != nil {
		res.Start = time.Now()
		res.Exit, res.Err = 127, fmt.Errorf("%w: %v", ErrStartFailed, err)
		fmt.Fprintf(res.Stderr, "multitask: %v\n", res.Err)
		return res
	}
	res.Start = time.Now()
	child, err := supervise.Start(c, supervise.Options{})
	if errors.Is(err, syscall.ENOEXEC) && cmd.Argv != nil {
		// A file without a #! line: the shell runs it as a script.
		c.Path, c.Args, c.Process = r.cfg.Shell, []string{r.cfg.Shell, "-c", cmd.Line}, nil
		child, err = supervise.Start(c, supervise.Options{})
	}
	streams.started()
	if err != nil {
		streams.wait()
		res.Exit, res.Err = 127, fmt.Errorf("%w: %v", ErrStartFailed, err)
		fmt.Fprintf(res.Stderr, "multitask: %v\n", res.Err)
		return res
	}
	pgid := child.Pid()
	if r.cfg.Reaper != nil {
		r.cfg.Reaper.Add(pgid)
	}
	r.await(child, pgid, res)
	res.Runtime = time.Since(res.Start)
	if r.cfg.Reaper != nil {
		r.cfg.Reaper.Remove(pgid)
	}
	streams.wait()
	if ps := c.ProcessState; ps != nil {
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			res.MaxRSS = ru.Maxrss * 1024
		}
	}
	code := child.ExitCode()
	switch {
	case res.TimedOut:
		res.Exit, res.Signal = -1, int(syscall.SIGTERM)
	case res.OverMem:
		res.Exit, res.Signal = -1, int(syscall.SIGKILL)
	case code < 0:
		res.Signal = -code
	default:
		res.Exit = code
	}
	return res
}

// await waits for the child, killing its group on a timeout, a halt that
// says now, or the end of the run's context.
func (r *runner) await(child *supervise.Child, pgid int, res *Result) {
	var timeout <-chan time.Time
	if d := r.timeout(); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	var recheck <-chan time.Time
	if r.cfg.Timeout.Percent > 0 || r.cfg.MemLimit > 0 {
		tk := time.NewTicker(50 * time.Millisecond)
		defer tk.Stop()
		recheck = tk.C
	}
	for {
		select {
		case <-child.Done():
			return
		case <-timeout:
			res.TimedOut = true
			r.terminate(child, pgid)
			fmt.Fprintf(r.cfg.Stderr, "multitask: Warning: This job was killed because it timed out:\nmultitask: Warning: %s\n", res.Command.Line)
			return
		case <-recheck:
			if d := r.timeout(); d > 0 && time.Since(res.Start) > d {
				timeout = closedTime
			}
			if r.cfg.MemLimit > 0 && treeRSS(child.Pid()) > r.cfg.MemLimit {
				res.OverMem = true
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
				<-child.Done()
				fmt.Fprintf(r.cfg.Stderr, "multitask: Warning: This job was killed because its memory passed %d bytes:\nmultitask: Warning: %s\n", r.cfg.MemLimit, res.Command.Line)
				return
			}
		case <-r.killAll:
			res.Killed = true
			r.terminate(child, pgid)
			return
		case <-r.ctx.Done():
			res.Killed = true
			r.terminate(child, pgid)
			return
		}
	}
}

var closedTime = func() chan time.Time {
	c := make(chan time.Time)
	close(c)
	return c
}()

// timeout is the current time limit of a job, 0 for none.
func (r *runner) timeout() time.Duration {
	if r.cfg.Timeout.Percent > 0 {
		m, ok := r.runtimes.median()
		if !ok {
			return 0
		}
		return time.Duration(float64(m) * r.cfg.Timeout.Percent / 100)
	}
	return r.cfg.Timeout.After
}

// terminate sends the term sequence to the job's process group.
func (r *runner) terminate(child *supervise.Child, pgid int) {
	for _, step := range r.cfg.TermSeq {
		_ = syscall.Kill(-pgid, step.Signal.(syscall.Signal))
		t := time.NewTimer(step.Wait)
		select {
		case <-child.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	<-child.Done()
}

// command builds the process for a job.
func (r *runner) command(job Job, slot int, cmd Command) (*exec.Cmd, error) {
	c := &exec.Cmd{}
	if cmd.Argv != nil {
		path, err := r.execs.path(cmd.Argv[0])
		if err != nil {
			return nil, err
		}
		c.Path, c.Args = path, cmd.Argv
	} else {
		c.Path, c.Args = r.cfg.Shell, []string{r.cfg.Shell, "-c", cmd.Line}
	}
	env := make([]string, len(r.env), len(r.env)+3)
	copy(env, r.env)
	c.Env = append(env,
		"PARALLEL_SEQ="+strconv.Itoa(job.Seq),
		"PARALLEL_JOBSLOT="+strconv.Itoa(slot),
		"PARALLEL_PID="+strconv.Itoa(os.Getpid()))
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if job.Input != nil {
		c.Stdin = bytes.NewReader(job.Input)
	}
	return c, nil
}

// streams owns the parent's ends of a job's output pipes and the
// goroutines that drain them.
type streams struct {
	closeAfterStart []*os.File
	wg              sync.WaitGroup
}

func (s *streams) started() {
	for _, f := range s.closeAfterStart {
		f.Close()
	}
	s.closeAfterStart = nil
}

func (s *streams) wait() { s.wg.Wait() }

// attach connects the job's stdout and stderr as the output mode says.
func (r *runner) attach(c *exec.Cmd, res *Result) (*streams, error) {
	s := &streams{}
	if r.cfg.Output == Ungroup && r.cfg.Print {
		c.Stdout, c.Stderr = r.cfg.Stdout, r.cfg.Stderr
		return s, nil
	}
	outs := []struct {
		dst  **os.File
		sp   *spool
		w    io.Writer
		real *io.Writer
	}{{sp: res.Stdout, w: r.cfg.Stdout, real: &c.Stdout}, {sp: res.Stderr, w: r.cfg.Stderr, real: &c.Stderr}}
	for i := range outs {
		pr, pw, err := os.Pipe()
		if err != nil {
			s.started()
			return nil, err
		}
		*outs[i].real = pw
		s.closeAfterStart = append(s.closeAfterStart, pw)
		sp, w := outs[i].sp, outs[i].w
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer pr.Close()
			if r.cfg.Output == LineBuffer && r.cfg.Print {
				r.copyLines(w, pr, res, sp)
				return
			}
			io.Copy(sp, pr)
		}()
	}
	return s, nil
}

// copyLines prints whole lines from r as they come, counting them in sp.
func (r *runner) copyLines(w io.Writer, rd io.Reader, res *Result, sp *spool) {
	tag := ""
	if r.cfg.Tag != nil {
		tag = r.cfg.Tag(res.Job)
	}
	br := bufio.NewReaderSize(rd, 64<<10)
	var partial []byte
	for {
		line, err := br.ReadSlice('\n')
		sp.n += int64(len(line))
		if err == bufio.ErrBufferFull {
			partial = append(partial, line...)
			continue
		}
		if len(line) > 0 || len(partial) > 0 {
			r.outputMu.Lock()
			io.WriteString(w, tag)
			if partial != nil {
				w.Write(partial)
				partial = partial[:0]
			}
			w.Write(line)
			r.outputMu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// lookup resolves command names on PATH once per name.
type lookup struct {
	mu    sync.Mutex
	paths map[string]string
}

func newLookup() *lookup { return &lookup{paths: make(map[string]string)} }

func (l *lookup) path(name string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p, ok := l.paths[name]; ok {
		return p, nil
	}
	p, err := exec.LookPath(name)
	if err != nil {
		if strings.Contains(name, "/") {
			if _, serr := os.Stat(name); serr == nil {
				return "", fmt.Errorf("%s: %w", name, errNotExecutable)
			}
			return "", fmt.Errorf("%s: No such file or directory", name)
		}
		return "", fmt.Errorf("%s: command not found", name)
	}
	l.paths[name] = p
	return p, nil
}

var errNotExecutable = errors.New("permission denied")

// notFoundStatus is the shell's exit status for a command it could not
// run: 126 when the file exists but cannot be executed, 127 otherwise.
func notFoundStatus(err error) int {
	if errors.Is(err, errNotExecutable) {
		return 126
	}
	return 127
}

// medianTracker keeps the runtimes of succeeded jobs for --timeout N%.
type medianTracker struct {
	mu sync.Mutex
	d  []time.Duration
}

func (m *medianTracker) add(d time.Duration) {
	m.mu.Lock()
	i, _ := slices.BinarySearch(m.d, d)
	m.d = slices.Insert(m.d, i, d)
	m.mu.Unlock()
}

func (m *medianTracker) median() (time.Duration, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	// GNU waits for a few jobs before trusting the median.
	if len(m.d) < 3 {
		return 0, false
	}
	return m.d[len(m.d)/2], true
}
