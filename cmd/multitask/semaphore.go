package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/multitask-go/multitask/cmd/multitask/internal/engine"
	"github.com/multitask-go/multitask/cmd/multitask/internal/tmpl"
)

// GNU parallel's --semaphore (its sem): the command runs once, as a job,
// when it can take one of the -j places (default 1) of a counting
// semaphore that every multitask of the user shares by name (--id).
// Unless --fg, multitask waits for a place, leaves the job running in the
// background and exits 0; with --fg it exits with the job's own status.
// --wait waits until no job holds a place of the semaphore (with -j N,
// until fewer than N do).
//
// A place is a file of the semaphore's directory, locked with flock(2)
// for as long as its job runs: the lock ends with the process that holds
// it, however that ends, so a job killed leaves no place taken, which
// GNU's links to pid files need a check of their own for. The directories
// are in the temporary directory, not in the home directory.

// semaphoreHeldEnv tells a multitask that its parent took a place for
// it, and handed it the place's file, which it names, as descriptor 3.
const semaphoreHeldEnv = "MULTITASK_SEMAPHORE_HELD"

// isSemaphore reports whether the options ask for a semaphore, as GNU
// parallel reads them: any of its options but -j implies --semaphore.
func (o *options) isSemaphore() bool {
	return o.semaphore || o.semName != "" || o.semTimeoutArg != "" || o.fg || o.bg || o.wait
}

// semaphoreJob is the one job of a semaphore: GNU's empty argument,
// which inserts nothing, and stdin (or the file of -a) as its stdin.
func (p *runPlan) semaphoreJob() iter.Seq2[engine.Job, error] {
	return func(yield func(engine.Job, error) bool) {
		yield(engine.Job{Seq: 1, Args: []string{tmpl.NoArg}, InputStream: p.stdin}, nil)
	}
}

// runSemaphore runs the command line o, whose arguments are args (those
// of the profiles and $PARALLEL first), as a semaphore's job, and returns
// its exit status, or the error that kept it from running.
func (o *options) runSemaphore(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if len(o.argFiles) > 1 {
		//lint:ignore ST1005 GNU parallel's words
		return 0, errors.New("A semaphore cannot take input from more files")
	}
	if len(o.argFiles) == 1 {
		f, err := os.Open(o.argFiles[0])
		if err != nil {
			return 0, err
		}
		defer f.Close()
		stdin = f
	}
	// The job's one value is none, and stdin is its own: what follows
	// ::: is dropped, as GNU drops it.
	o.argFiles, o.sources = nil, []source{{values: []string{tmpl.NoArg}}}
	if o.wait {
		o.command = []string{"true"}
	}
	var held *os.File
	if place, ok := os.LookupEnv(semaphoreHeldEnv); ok {
		// Started by background, below, with the place taken (or, after
		// a timeout, the semaphore taken without one).
		os.Unsetenv(semaphoreHeldEnv)
		if place != "" {
			var err error
			if held, err = heldPlace(place); err != nil {
				return 0, err
			}
		}
	} else {
		count, err := o.slots()
		if err != nil {
			return 0, err
		}
		name := o.semName
		if name == "" {
			name = ttyName()
		}
		dir, err := semaphoreDir(name)
		if err != nil {
			return 0, fmt.Errorf("--semaphore: %w", err)
		}
		held, err = acquire(dir, count, o.semTimeout, stderr)
		switch {
		case errors.Is(err, errSemaphoreTimeout):
			return 1, nil
		case err != nil:
			return 0, fmt.Errorf("--semaphore: %w", err)
		}
		if o.wait {
			// GNU runs true in the background: nothing to wait for.
			if held != nil {
				held.Close()
			}
			return 0, nil
		}
		if !o.fg {
			if code, ok := background(args, held, stdin, stdout, stderr); ok {
				return code, nil
			}
		}
	}
	if held != nil {
		defer held.Close()
	}
	r, err := o.plan(stdin, stdout, stderr)
	if err != nil {
		return 0, err
	}
	return r.execute(ctx), nil
}

// background starts this program again, with args, to run the job in the
// background while it holds the place in held, and returns 0, as GNU's
// sem forks. The job's output goes where this program's goes. That
// process is not waited for: it is the background job the user asked
// for. Streams that are not files cannot outlive this program: it then
// returns false, and the job runs in the foreground.
func background(args []string, held *os.File, stdin io.Reader, stdout, stderr io.Writer) (int, bool) {
	in, inFile := stdin.(*os.File)
	out, outFile := stdout.(*os.File)
	errOut, errFile := stderr.(*os.File)
	if !inFile || !outFile || !errFile {
		return 0, false
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "multitask: --semaphore: %v\n", err)
		return 255, true
	}
	// args hold the options of the profiles and $PARALLEL already.
	cmd := exec.Command(exe, append([]string{"--plain"}, args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, out, errOut
	// A place taken is handed over, named; after a timeout took the
	// semaphore anyway there is none, and the name is empty.
	cmd.Env = append(os.Environ(), semaphoreHeldEnv+"=")
	if held != nil {
		defer held.Close()
		cmd.Env[len(cmd.Env)-1] += held.Name()
		cmd.ExtraFiles = []*os.File{held}
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(stderr, "multitask: --semaphore: %v\n", err)
		return 255, true
	}
	_ = cmd.Process.Release()
	return 0, true
}

// heldPlace returns descriptor 3, which background handed this process,
// once it is sure that it is the place named place.
func heldPlace(place string) (*os.File, error) {
	f := os.NewFile(3, place)
	fi, err := f.Stat()
	if err == nil {
		var named os.FileInfo
		if named, err = os.Stat(place); err == nil && !os.SameFile(fi, named) {
			err = errors.New("it is another file")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s=%s, but descriptor 3 is no place of a semaphore: %w", semaphoreHeldEnv, place, err)
	}
	unix.CloseOnExec(3) // the job holds the place through this process only
	return f, nil
}

// errSemaphoreTimeout is acquire's when a negative timeout ran out.
var errSemaphoreTimeout = errors.New("the semaphore timed out")

// acquire takes a place of the semaphore in dir, whose places are count,
// waiting for one as long as timeout allows: a positive one then takes
// the semaphore anyway, and returns a nil file; a negative one fails with
// errSemaphoreTimeout. Each is said on stderr, in GNU's words. The file
// returned holds the place until it is closed.
func acquire(dir string, count int, timeout time.Duration, stderr io.Writer) (*os.File, error) {
	start := time.Now()
	for wait := time.Millisecond; ; wait = min(wait*3/2, 100*time.Millisecond) {
		f, err := takePlace(dir, count)
		if err != nil || f != nil {
			return f, err
		}
		waited := time.Since(start)
		switch {
		case timeout > 0 && waited > timeout:
			fmt.Fprintln(stderr, "multitask: Warning: Semaphore timed out. Stealing the semaphore.")
			return nil, nil
		case timeout < 0 && waited > -timeout:
			fmt.Fprintln(stderr, "multitask: Warning: Semaphore timed out. Exiting.")
			return nil, errSemaphoreTimeout
		}
		time.Sleep(wait)
	}
}

// ttyName is the name GNU parallel gives a semaphore without --id: the
// terminal on stdin, as tty(1) prints it.
func ttyName() string {
	if _, err := unix.IoctlGetTermios(0, unix.TCGETS); err == nil {
		if name, err := os.Readlink("/proc/self/fd/0"); err == nil {
			return name
		}
	}
	return "not a tty"
}

// semaphoreDir returns the directory of the semaphore name, made if need
// be, under a directory of the user's own in the temporary directory.
func semaphoreDir(name string) (string, error) {
	base := filepath.Join(os.TempDir(), "multitask-"+strconv.Itoa(os.Getuid()))
	if err := os.Mkdir(base, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", err
	}
	// Another user may have made it first, to read or steal the places.
	var st unix.Stat_t
	if err := unix.Lstat(base, &st); err != nil {
		return "", err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR || int(st.Uid) != os.Getuid() || st.Mode&0o077 != 0 {
		return "", fmt.Errorf("%s is not a directory of this user's alone", base)
	}
	// GNU's escape of the name: every character but a letter, a digit,
	// - and _ as its bytes in hex.
	var id strings.Builder
	id.WriteString("id-")
	for _, b := range []byte(name) {
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '-', b == '_':
			id.WriteByte(b)
		default:
			id.WriteString(hex.EncodeToString([]byte{b}))
		}
	}
	dir := filepath.Join(base, "semaphores", id.String())
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return dir, nil
}

// takePlace takes a place of the semaphore in dir, when fewer than count
// are held, and returns its file, locked; nil when count are held. The
// directory's own lock makes the count and the take one step.
func takePlace(dir string, count int) (*os.File, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	if err := flock(d, unix.LOCK_EX); err != nil {
		return nil, err
	}
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	held := 0
	var free *os.File
	for _, name := range names {
		path := filepath.Join(dir, name)
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			continue // removed meanwhile
		}
		if flock(f, unix.LOCK_EX|unix.LOCK_NB) != nil {
			held++
			f.Close()
			continue
		}
		if free == nil {
			free = f
			continue
		}
		// A place left by a job that ended: one free file is enough.
		os.Remove(path)
		f.Close()
	}
	if held >= count {
		if free != nil {
			free.Close()
		}
		return nil, nil
	}
	if free != nil {
		return free, nil
	}
	f, err := os.CreateTemp(dir, "place-")
	if err != nil {
		return nil, err
	}
	if err := flock(f, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// flock locks f as how says, again when a signal interrupts the wait.
func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
