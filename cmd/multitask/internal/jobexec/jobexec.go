package jobexec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/multitask-go/multitask/internal/supervise"
	"golang.org/x/sys/unix"
)

// A Job is one try of a job as plain data: what runs, with what input and
// within what limits.
type Job struct {
	// Line is the command line. It runs as Shell -c Line unless Argv is
	// set, and also when Argv names a script without a #! line.
	Line  string
	Argv  []string // when not nil, executed directly to the same effect as Line
	Shell string
	Env   []string // added to the environment of the process that runs it
	// Stdin is the job's stdin (a --pipe block); nil reads /dev/null.
	Stdin []byte
	// StdinAsFile puts the job's stdin (Stdin, or the Spec's StdinFile)
	// in a temporary file instead, named in $PARALLEL_TMP and removed
	// once the job has ended; the job reads /dev/null (--cat).
	StdinAsFile bool
	// StdinAsFifo puts the job's stdin in a named pipe instead, named in
	// $PARALLEL_TMP and removed once the job has ended; the job reads
	// /dev/null (--fifo). The pipe is written while the job runs; what the
	// job leaves unread is dropped when it ends.
	StdinAsFifo bool
	// Timeout, when positive, kills the job's group with TermSeq once it
	// has run that long.
	Timeout time.Duration
	TermSeq []TermStep // DefaultTermSeq when empty
	// MemLimit, when positive, kills the job's group with SIGKILL once the
	// resident memory of its processes passes it (bytes).
	MemLimit int64
	// Dir is the directory the job runs in, made first if need be; empty
	// or "." for this process's. TempDir makes a new one for the job.
	Dir string
	// Nice, when not 0, is the niceness the job runs at.
	Nice int
}

// TempDir as a Job's Dir runs the job in a new temporary directory,
// removed with what is left in it once the job has ended: GNU parallel's
// --workdir "...".
const TempDir = "..."

// A TermStep sends Signal to the job's group, then waits up to Wait for
// the job to end.
type TermStep struct {
	Signal syscall.Signal
	Wait   time.Duration
}

// DefaultTermSeq is GNU parallel's default --termseq: TERM, and again,
// and again, then KILL.
var DefaultTermSeq = []TermStep{
	{syscall.SIGTERM, 200 * time.Millisecond},
	{syscall.SIGTERM, 100 * time.Millisecond},
	{syscall.SIGTERM, 50 * time.Millisecond},
	{syscall.SIGKILL, 25 * time.Millisecond},
}

// A Spec is a Job and how this process runs it.
type Spec struct {
	Job

	// Limit, when not nil, replaces Job.Timeout: it returns the current
	// time limit (0 for none), and is asked again every 50ms while the job
	// runs, for a limit that moves (--timeout N% of a median).
	Limit func() time.Duration

	// Suspend, when not nil, is asked every 50ms while the job runs
	// whether its process group should be stopped (SIGSTOP) or go on
	// (SIGCONT), as --memsuspend has it.
	Suspend func() bool

	// Stdout and Stderr receive the job's output. An *os.File is given to
	// the job as it is; any other writer is fed from a pipe by a goroutine
	// of Run, and Run returns once the pipe is drained. A nil writer
	// discards.
	Stdout, Stderr io.Writer

	// StdinFile, when not nil, replaces Job.Stdin: the job reads that
	// range of a file, which moves into its stdin pipe without passing
	// through this process's memory.
	StdinFile *Section

	// TTY gives the job the terminal (/dev/tty) as its stdin when it has
	// no other, or /dev/null without a terminal (--tty).
	TTY bool

	// StdinStream, when not nil, replaces Job.Stdin: the job reads what
	// comes from it, until it ends or the job stops reading, when it is
	// closed if it is an io.Closer (--tee).
	StdinStream io.Reader

	// Lookup finds the program of Argv[0]; LookPath when nil.
	Lookup func(name string) (string, error)

	// Groups, when not nil, learns the job's process group while it runs
	// (a reaper, which kills the group should this process die).
	Groups Groups
}

// Groups are told of the process groups of running jobs.
type Groups interface {
	Add(pgid int) error
	Remove(pgid int) error
}

// An Outcome is how a try of a job ended.
type Outcome struct {
	Start   time.Time
	Runtime time.Duration
	// Exit is the exit status; -1 when the job was killed by its MemLimit,
	// or by its Timeout unless it exited with a status of its own, as GNU
	// parallel logs a timeout.
	Exit     int
	Signal   int // the signal that ended the job, 0 if none
	TimedOut bool
	OverMem  bool  // killed for passing MemLimit
	Killed   bool  // killed because Run's ctx ended
	MaxRSS   int64 // the peak resident memory of the job's largest process, bytes
	// Err says why the job could not start; its Exit is then 126 or 127,
	// as a shell's would be, and the message went to Stderr.
	Err error
}

// Failed reports whether the job counts as failed: it exited non-zero or a
// signal ended it.
func (o *Outcome) Failed() bool { return o.Exit != 0 || o.Signal != 0 }

// ErrStartFailed wraps the error of a job that could not start.
var ErrStartFailed = errors.New("cannot start job")

// Run runs s once and returns how it ended. When ctx ends while the job
// runs, its group is killed with the term sequence and the outcome says
// Killed. Run is safe for concurrent use with distinct Specs.
func Run(ctx context.Context, s *Spec) Outcome {
	var o Outcome
	if s.StdinAsFile {
		path, err := s.stdinToFile()
		if err != nil {
			return startFailed(s, err)
		}
		defer os.Remove(path)
		spec := *s
		spec.Env = append(slices.Clip(s.Env), "PARALLEL_TMP="+path)
		spec.Stdin, spec.StdinFile, spec.StdinAsFile = nil, nil, false
		s = &spec
	}
	if s.StdinAsFifo {
		path, err := s.tempName()
		if err == nil {
			err = syscall.Mkfifo(path, 0o600)
		}
		if err != nil {
			return startFailed(s, fmt.Errorf("a named pipe for the job's input: %w", err))
		}
		defer feedFifo(path, s.stdin())()
		spec := *s
		spec.Env = append(slices.Clip(s.Env), "PARALLEL_TMP="+path)
		spec.Stdin, spec.StdinFile, spec.StdinStream, spec.StdinAsFifo = nil, nil, nil, false
		s = &spec
	}
	dir, err := s.workdir()
	if err != nil {
		return startFailed(s, err)
	}
	if s.Dir == TempDir {
		defer os.RemoveAll(dir)
	}
	c, err := s.command(dir)
	if err != nil {
		o.Start = time.Now()
		o.Exit, o.Err = notFoundStatus(err), err
		fmt.Fprintf(orDiscard(s.Stderr), "multitask: %v\n", err)
		return o
	}
	if s.TTY && s.stdin() == nil {
		if tty, err := os.Open("/dev/tty"); err == nil {
			defer tty.Close()
			c.Stdin = tty
		}
	}
	st, err := attach(c, s.stdin(), s.Stdout, s.Stderr)
	if err != nil {
		return startFailed(s, err)
	}
	o.Start = time.Now()
	// multitask's programs never end a goroutine locked to its thread:
	// forking on any thread is safe, and spares two thread switches a job.
	opts := supervise.Options{AnyThread: true, Nice: s.Nice}
	child, err := supervise.Start(c, opts)
	if errors.Is(err, syscall.ENOEXEC) && s.Argv != nil {
		// A file without a #! line: the shell runs it as a script. A Cmd
		// starts once, even when its start failed.
		c = &exec.Cmd{Path: s.Shell, Args: []string{s.Shell, "-c", s.Line}, Env: c.Env, Dir: c.Dir,
			Stdin: c.Stdin, Stdout: c.Stdout, Stderr: c.Stderr, SysProcAttr: &syscall.SysProcAttr{Setpgid: true}}
		child, err = supervise.Start(c, opts)
	}
	st.started()
	if err != nil {
		st.wait()
		return startFailed(s, err)
	}
	pgid := child.Pid()
	if s.Groups != nil {
		_ = s.Groups.Add(pgid)
	}
	s.await(ctx, child, pgid, &o)
	o.Runtime = time.Since(o.Start)
	if s.Groups != nil {
		_ = s.Groups.Remove(pgid)
	}
	st.wait()
	if ps := c.ProcessState; ps != nil {
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			o.MaxRSS = ru.Maxrss * 1024
		}
	}
	code := child.ExitCode()
	switch {
	case o.TimedOut:
		// GNU parallel logs -1 unless the job exited with a status of
		// its own, and the signal that ended it, if one did: the job may
		// catch the first signals of the term sequence.
		o.Exit = -1
		if code > 0 {
			o.Exit = code
		} else if code < 0 {
			o.Signal = -code
		}
	case o.OverMem:
		o.Exit, o.Signal = -1, int(syscall.SIGKILL)
	case code < 0:
		o.Signal = -code
	default:
		o.Exit = code
	}
	return o
}

func startFailed(s *Spec, err error) Outcome {
	o := Outcome{Start: time.Now(), Exit: 127, Err: fmt.Errorf("%w: %v", ErrStartFailed, err)}
	fmt.Fprintf(orDiscard(s.Stderr), "multitask: %v\n", o.Err)
	return o
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// tempDir is where the job's temporary files go: the TMPDIR the job is
// given, as GNU parallel's --tmpdir gives it, else this process's.
func (s *Spec) tempDir() string {
	for i := len(s.Env) - 1; i >= 0; i-- {
		if dir, ok := strings.CutPrefix(s.Env[i], "TMPDIR="); ok && dir != "" {
			return dir
		}
	}
	return os.TempDir()
}

// workdir makes the job's directory, as GNU parallel's mkdir -p does.
func (s *Spec) workdir() (string, error) {
	switch s.Dir {
	case "", ".":
		return "", nil
	case TempDir:
		return os.MkdirTemp(s.tempDir(), "multitask-wd-")
	}
	return s.Dir, os.MkdirAll(s.Dir, 0o777)
}

// command builds the process of a job that runs in dir ("": here).
func (s *Spec) command(dir string) (*exec.Cmd, error) {
	c := &exec.Cmd{Dir: dir}
	// A program named by a relative path is found from dir, as the shell
	// that cd's there finds it.
	relative := dir != "" && s.Argv != nil && strings.Contains(s.Argv[0], "/") && !filepath.IsAbs(s.Argv[0])
	if s.Argv != nil && !relative {
		lookup := s.Lookup
		if lookup == nil {
			lookup = LookPath
		}
		path, err := lookup(s.Argv[0])
		if err != nil {
			return nil, err
		}
		c.Path, c.Args = path, s.Argv
	} else {
		c.Path, c.Args = s.Shell, []string{s.Shell, "-c", s.Line}
	}
	c.Env = append(os.Environ(), s.Env...)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return c, nil
}

// await waits for the child, killing its group on a timeout, a memory
// limit or the end of ctx.
func (s *Spec) await(ctx context.Context, child *supervise.Child, pgid int, o *Outcome) {
	limit := s.Timeout
	if s.Limit != nil {
		limit = s.Limit()
	}
	var timeout <-chan time.Time
	if limit > 0 {
		t := time.NewTimer(limit)
		defer t.Stop()
		timeout = t.C
	}
	var recheck <-chan time.Time
	stopped := false // by Suspend
	// A stopped job goes on before it is told to end, so that it can.
	goOn := func() {
		if stopped {
			_ = syscall.Kill(-pgid, syscall.SIGCONT)
		}
	}
	if s.Limit != nil || s.MemLimit > 0 || s.Suspend != nil {
		tk := time.NewTicker(50 * time.Millisecond)
		defer tk.Stop()
		recheck = tk.C
	}
	for {
		select {
		case <-child.Done():
			return
		case <-timeout:
			o.TimedOut = true
			goOn()
			s.terminate(child, pgid)
			return
		case <-recheck:
			if s.Suspend != nil {
				if stop := s.Suspend(); stop != stopped {
					sig := syscall.SIGCONT
					if stop {
						sig = syscall.SIGSTOP
					}
					_ = syscall.Kill(-pgid, sig)
					stopped = stop
				}
			}
			if s.Limit != nil {
				if d := s.Limit(); d > 0 && time.Since(o.Start) > d {
					timeout = closedTime
				}
			}
			if s.MemLimit > 0 && treeRSS(child.Pid()) > s.MemLimit {
				o.OverMem = true
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
				<-child.Done()
				return
			}
		case <-ctx.Done():
			o.Killed = true
			goOn()
			s.terminate(child, pgid)
			return
		}
	}
}

var closedTime = func() chan time.Time {
	c := make(chan time.Time)
	close(c)
	return c
}()

// terminate sends the term sequence to the job's process group.
func (s *Spec) terminate(child *supervise.Child, pgid int) {
	seq := s.TermSeq
	if len(seq) == 0 {
		seq = DefaultTermSeq
	}
	for _, step := range seq {
		_ = syscall.Kill(-pgid, step.Signal)
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

// A Section is a range of a file: a --pipe block of a regular file.
type Section struct {
	File     *os.File
	Off, Len int64
}

// Bytes reads the section into memory.
func (sec *Section) Bytes() ([]byte, error) {
	b := make([]byte, sec.Len)
	if _, err := sec.File.ReadAt(b, sec.Off); err != nil {
		return nil, fmt.Errorf("reading stdin: %w", err)
	}
	return b, nil
}

// stdinToFile writes the job's stdin to a new temporary file, as GNU
// parallel's --cat does, and returns its path.
func (s *Spec) stdinToFile() (path string, err error) {
	f, err := TempFile(s.tempDir(), "")
	if err != nil {
		return "", fmt.Errorf("a file for the job's input: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("a file for the job's input: %w", cerr)
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	if sec := s.StdinFile; sec != nil {
		_, err = io.Copy(f, io.NewSectionReader(sec.File, sec.Off, sec.Len))
	} else {
		_, err = f.Write(s.Stdin)
	}
	if err != nil {
		return "", fmt.Errorf("a file for the job's input: %w", err)
	}
	return f.Name(), nil
}

// tempName returns a name for a new temporary file of the job's, that
// nothing holds yet.
func (s *Spec) tempName() (string, error) {
	f, err := TempFile(s.tempDir(), "")
	if err != nil {
		return "", err
	}
	f.Close()
	return f.Name(), os.Remove(f.Name())
}

// feedFifo writes src into the named pipe at path as soon as a reader
// opens it, and returns what ends the writing and removes the pipe, once
// the job has ended: a job that never opened the pipe, or stopped
// reading, would otherwise keep the writer waiting for ever.
func feedFifo(path string, src stdinSource) (end func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		w, err := os.OpenFile(path, os.O_WRONLY, 0) // blocks until a reader opens
		if err != nil {
			return
		}
		if src != nil {
			src.writeTo(w)
		}
		w.Close()
	}()
	return func() {
		select {
		case <-done:
		default:
			// Open and close a reader of our own: a writer waiting to
			// open goes on, and its writes fail for want of a reader.
			if r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
				r.Close()
			}
			<-done
		}
		os.Remove(path)
	}
}

// TempFile makes a new file in dir, named as GNU parallel names its
// temporary files: par, five letters, digits or underscores, and suffix,
// so that a job that prints the name prints as many bytes.
func TempFile(dir, suffix string) (*os.File, error) {
	const chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
	name := []byte("par.....")
	for {
		for i := 3; i < len(name); i++ {
			name[i] = chars[rand.IntN(len(chars))]
		}
		// dir/name, not filepath.Join's cleaned path: GNU names ./parXXXXX
		// in ".".
		path := strings.TrimSuffix(dir, "/") + "/" + string(name) + suffix
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
}

// stdin is what the job reads: its block, its section, or nothing.
func (s *Spec) stdin() stdinSource {
	switch {
	case s.StdinStream != nil:
		return streamSource{s.StdinStream}
	case s.StdinFile != nil:
		return s.StdinFile
	case s.Stdin != nil:
		return blockSource(s.Stdin)
	}
	return nil
}

type streamSource struct{ r io.Reader }

// writeTo copies the stream until it ends or the job stops reading; then
// it closes the stream, so that its writer stops writing to this job.
func (s streamSource) writeTo(pw *os.File) {
	_, _ = io.Copy(pw, s.r)
	if c, ok := s.r.(io.Closer); ok {
		c.Close()
	}
}

// A stdinSource writes a job's stdin into the pipe the job reads.
type stdinSource interface{ writeTo(pw *os.File) }

type blockSource []byte

func (b blockSource) writeTo(pw *os.File) { _, _ = pw.Write(b) }

// writeTo splices the section into the pipe: the kernel moves the file's
// cached pages into it, so the bytes are never copied through this
// process. It copies them where splice cannot be used.
func (sec *Section) writeTo(pw *os.File) {
	off, end := sec.Off, sec.Off+sec.Len
	rc, err := pw.SyscallConn()
	if err != nil {
		return
	}
	in := int(sec.File.Fd())
	var serr error
	werr := rc.Write(func(fd uintptr) bool {
		for off < end {
			n, err := unix.Splice(in, &off, int(fd), nil, int(min(end-off, 1<<30)), unix.SPLICE_F_NONBLOCK|unix.SPLICE_F_MORE)
			switch {
			case err == unix.EAGAIN:
				return false // wait until the job has read some
			case err == unix.EINTR:
			case err != nil:
				serr = err
				return true
			case n == 0:
				return true // the file is shorter than it was
			}
		}
		return true
	})
	if werr == nil && errors.Is(serr, unix.EINVAL) {
		// A file system that cannot splice.
		_, _ = io.Copy(pw, io.NewSectionReader(sec.File, off, end-off))
	}
}

// attach connects the job's stdout and stderr to the writers: a file as it
// is, any other writer through a pipe.
func attach(c *exec.Cmd, stdin stdinSource, stdout, stderr io.Writer) (*streams, error) {
	s := &streams{}
	null, nullErr := devNull()
	if stdin != nil {
		if err := s.feed(c, stdin); err != nil {
			return nil, err
		}
	} else if nullErr == nil && c.Stdin == nil {
		c.Stdin = null
	}
	for _, o := range []struct {
		w    io.Writer
		real *io.Writer
	}{{stdout, &c.Stdout}, {stderr, &c.Stderr}} {
		if o.w == nil {
			if nullErr == nil {
				*o.real = null
			}
			continue // else exec opens /dev/null for the job
		}
		if f, ok := o.w.(*os.File); ok {
			*o.real = f
			continue
		}
		pr, pw, err := os.Pipe()
		if err != nil {
			s.started()
			s.wait()
			return nil, err
		}
		*o.real = pw
		s.closeAfterStart = append(s.closeAfterStart, pw)
		w := o.w
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer pr.Close()
			copyOutput(w, pr)
		}()
	}
	return s, nil
}

// devNull is /dev/null, opened once for the jobs that read it or discard
// an output: exec would open and close it for each job.
var devNull = sync.OnceValues(func() (*os.File, error) { return os.OpenFile(os.DevNull, os.O_RDWR, 0) })

// copyBuffers serve copyOutput. Jobs are short and many: a buffer of
// their own would make two of them per job, mostly for jobs that print
// nothing, and the garbage collector would run every few hundred jobs.
var copyBuffers = sync.Pool{New: func() any { return new([32 << 10]byte) }}

// copyOutput copies a job's output from its pipe to w, through a buffer
// of copyBuffers.
func copyOutput(w io.Writer, pr *os.File) {
	buf := copyBuffers.Get().(*[32 << 10]byte)
	defer copyBuffers.Put(buf)
	// Hidden behind a plain Reader, the file's WriteTo, which would
	// allocate a buffer of its own, goes unused.
	_, _ = io.CopyBuffer(w, struct{ io.Reader }{pr}, buf[:])
}

// stdinPipeSize is the pipe buffer asked for a --pipe block: with the
// default 64 KiB, a 10 MiB block costs the writer and the job hundreds of
// wake-ups each.
const stdinPipeSize = 1 << 20

// feed gives the job its stdin through a pipe with a large buffer, written
// by a goroutine of s; a job that exits without reading it all ends the
// write with EPIPE.
func (s *streams) feed(c *exec.Cmd, in stdinSource) error {
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	// Best effort: the limit is /proc/sys/fs/pipe-max-size. Control, not
	// Fd, keeps the pipe in the runtime's poller.
	if rc, err := pw.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) { _, _ = unix.FcntlInt(fd, unix.F_SETPIPE_SZ, stdinPipeSize) })
	}
	c.Stdin = pr
	s.closeAfterStart = append(s.closeAfterStart, pr)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer pw.Close()
		in.writeTo(pw)
	}()
	return nil
}

// LookPath finds the program name on PATH, with the errors a shell gives
// for a command it cannot run.
func LookPath(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err == nil {
		return p, nil
	}
	if strings.Contains(name, "/") {
		if _, serr := os.Stat(name); serr == nil {
			return "", fmt.Errorf("%s: %w", name, errNotExecutable)
		}
		return "", fmt.Errorf("%s: No such file or directory", name)
	}
	return "", fmt.Errorf("%s: command not found", name)
}

// Paths caches LookPath: each name is looked up once, or once per TTL.
// Its Lookup is safe for concurrent use.
type Paths struct {
	// TTL is how long a path found stays in the cache; 0 for as long as
	// the Paths lives. A process that serves jobs for long sets it, so
	// that a program installed or removed meanwhile is seen.
	TTL time.Duration

	mu    sync.Mutex // guards paths
	paths map[string]foundPath
}

type foundPath struct {
	path string
	at   time.Time
}

// Lookup returns LookPath(name), from the cache once found.
func (p *Paths) Lookup(name string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if f, ok := p.paths[name]; ok && (p.TTL == 0 || time.Since(f.at) < p.TTL) {
		return f.path, nil
	}
	path, err := LookPath(name)
	if err != nil {
		delete(p.paths, name)
		return "", err
	}
	if p.paths == nil {
		p.paths = make(map[string]foundPath)
	}
	p.paths[name] = foundPath{path, time.Now()}
	return path, nil
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

// A Report is how a try of a job that ran elsewhere ended, with its output,
// as plain data that crosses to the machine that asked for it.
type Report struct {
	Start    time.Time
	Runtime  time.Duration
	Exit     int
	Signal   int
	TimedOut bool
	OverMem  bool
	MaxRSS   int64
	Error    string // the message of Outcome.Err: why the job could not start
	Stdout   []byte
	Stderr   []byte
}

// NewReport returns the report of an outcome and the output captured.
func NewReport(o Outcome, stdout, stderr []byte) Report {
	r := Report{Start: o.Start, Runtime: o.Runtime, Exit: o.Exit, Signal: o.Signal,
		TimedOut: o.TimedOut, OverMem: o.OverMem, MaxRSS: o.MaxRSS, Stdout: stdout, Stderr: stderr}
	if o.Err != nil {
		r.Error = o.Err.Error()
	}
	return r
}

// Outcome returns the outcome the report tells of; its Err, when the job
// could not start, carries the message only.
func (r *Report) Outcome() Outcome {
	o := Outcome{Start: r.Start, Runtime: r.Runtime, Exit: r.Exit, Signal: r.Signal,
		TimedOut: r.TimedOut, OverMem: r.OverMem, MaxRSS: r.MaxRSS}
	if r.Error != "" {
		o.Err = errors.New(r.Error)
	}
	return o
}
