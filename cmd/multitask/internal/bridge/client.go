package bridge

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/multitask-go/multitask/cmd/multitask/internal/jobexec"
	"github.com/multitask-go/multitask/internal/wire"
)

// A Client is the command's end of a bridge process. Its Exec is safe for
// concurrent use; Close ends the bridge.
type Client struct {
	cmd    *exec.Cmd
	stdin  *os.File // our end of the bridge's stdin; closing it ends the bridge
	w      *wire.Writer
	r      *wire.Reader
	done   chan struct{} // closed when the bridge's stdout ended
	exited chan struct{} // closed when the bridge process has been reaped

	mu      sync.Mutex // guards the fields below
	next    uint64
	waiting map[uint64]chan answer
	err     error // why the bridge ended, once done is closed
	closed  bool

	exitErr error // the bridge's exit status; read after exited is closed
}

// answer is a Result as the client hands it to Exec.
type answer struct {
	failure string
	report  jobexec.Report
}

// Start runs exe with args as a bridge, and returns once the bridge has
// reached its cluster, or has said why it could not. The bridge writes
// its own messages to stderr and runs in a session of its own, so that a
// terminal's Ctrl-C reaches the command only, which decides what to stop.
func Start(exe string, args []string, stderr io.Writer) (*Client, error) {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("bridge: %w", err)
	}
	token := hex.EncodeToString(raw[:])
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("bridge: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, fmt.Errorf("bridge: %w", err)
	}
	cmd := &exec.Cmd{
		Path: exe, Args: append([]string{exe}, args...),
		Env:    append(os.Environ(), TokenEnv+"="+token),
		Stdin:  inR,
		Stdout: outW,
		Stderr: stderr,
		// A session of its own: no terminal signal reaches it. It ends
		// when its stdin does, which the command's death closes too.
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("bridge: start %s: %w", exe, err)
	}
	c := &Client{
		cmd: cmd, stdin: inW, w: wire.NewWriter(inW),
		done: make(chan struct{}), exited: make(chan struct{}), waiting: make(map[uint64]chan answer),
	}
	go func() {
		c.exitErr = cmd.Wait()
		close(c.exited)
	}()
	if err := c.handshake(outR, token); err != nil {
		inW.Close()
		<-c.exited
		outR.Close()
		var refused refusedError
		if c.exitErr != nil && !errors.As(err, &refused) {
			err = fmt.Errorf("%w (%s: %w)", err, exe, c.exitErr)
		}
		return nil, err
	}
	go c.read(outR)
	return c, nil
}

// refusedError is the reason the bridge gave for refusing.
type refusedError string

func (e refusedError) Error() string { return string(e) }

// handshake reads the bridge's hello and its Ready or Refused.
func (c *Client) handshake(out io.Reader, token string) error {
	got, err := wire.ReadHello(out, len(token))
	if err != nil {
		return fmt.Errorf("bridge: the bridge did not answer: %w", err)
	}
	if subtle.ConstantTimeCompare(got, []byte(token)) != 1 {
		return errors.New("bridge: the bridge answered with another token")
	}
	c.r = wire.NewReader(out, 0)
	kind, p, err := c.r.ReadFrame()
	switch {
	case err != nil:
		return fmt.Errorf("bridge: the bridge ended before it was ready: %w", err)
	case kind == kindRefused:
		return refusedError(p)
	case kind != kindReady:
		return fmt.Errorf("%w: a frame of kind %d before Ready", errCorrupt, kind)
	}
	return nil
}

// read delivers the bridge's results until its stdout ends, then fails
// the jobs still waiting.
func (c *Client) read(out *os.File) {
	defer out.Close()
	var err error
	for {
		var kind wire.Kind
		var p []byte
		if kind, p, err = c.r.ReadFrame(); err != nil {
			break
		}
		if kind != kindResult {
			err = fmt.Errorf("%w: a frame of kind %d", errCorrupt, kind)
			break
		}
		id, failure, rep, derr := decodeResult(p)
		if derr != nil {
			err = derr
			break
		}
		c.mu.Lock()
		ch := c.waiting[id]
		delete(c.waiting, id)
		c.mu.Unlock()
		if ch != nil {
			ch <- answer{failure, rep}
		}
	}
	c.mu.Lock()
	if !c.closed || !errors.Is(err, io.EOF) {
		c.err = fmt.Errorf("bridge: the connection to the cluster ended: %w", err)
		if errors.Is(err, io.EOF) {
			c.err = errors.New("bridge: the connection to the cluster ended")
		}
	}
	waiting := c.waiting
	c.waiting = nil
	c.mu.Unlock()
	for _, ch := range waiting {
		ch <- answer{failure: "the connection to the cluster ended"}
	}
	close(c.done)
}

// Exec runs a try of a job on the cluster, as jobexec.Run runs it here:
// the job's output is written to s's writers once it has ended, and when
// ctx ends the job is cancelled there and the outcome says Killed. A limit
// that moves (s.Limit) is taken at the submit. When the cluster cannot
// run the job, it fails with exit status 255 and the reason on s.Stderr,
// as GNU parallel's jobs do when ssh cannot reach their host.
func (c *Client) Exec(ctx context.Context, s *jobexec.Spec) jobexec.Outcome {
	job := s.Job
	if s.Limit != nil {
		job.Timeout = s.Limit()
	}
	if s.StdinFile != nil {
		var err error
		if job.Stdin, err = s.StdinFile.Bytes(); err != nil {
			return failed(s, err)
		}
	}
	ch := make(chan answer, 1)
	c.mu.Lock()
	if c.waiting == nil {
		err := c.err
		c.mu.Unlock()
		if err == nil {
			err = errors.New("bridge: closed")
		}
		return failed(s, err)
	}
	id := c.next
	c.next++
	c.waiting[id] = ch
	c.mu.Unlock()
	start := time.Now()
	if err := c.w.WriteFrame(kindSubmit, encodeSubmit(id, &job)); err != nil {
		// The reader fails the job once the bridge's stdout ends.
		return c.outcome(s, <-ch, nil, start)
	}
	select {
	case a := <-ch:
		return c.outcome(s, a, nil, start)
	case <-ctx.Done():
		_ = c.w.WriteFrame(kindCancel, encodeCancel(id))
		return c.outcome(s, <-ch, ctx, start)
	}
}

// outcome turns an answer into the outcome of a try, writing its output.
func (c *Client) outcome(s *jobexec.Spec, a answer, cancelled context.Context, start time.Time) jobexec.Outcome {
	if a.failure != "" {
		if cancelled != nil {
			return jobexec.Outcome{Start: start, Runtime: time.Since(start), Killed: true}
		}
		return failed(s, errors.New("cluster: "+a.failure))
	}
	for _, o := range []struct {
		w io.Writer
		p []byte
	}{{s.Stdout, a.report.Stdout}, {s.Stderr, a.report.Stderr}} {
		if o.w != nil && len(o.p) > 0 {
			_, _ = o.w.Write(o.p)
		}
	}
	out := a.report.Outcome()
	out.Killed = cancelled != nil
	return out
}

// failed is the outcome of a job the cluster could not run.
func failed(s *jobexec.Spec, err error) jobexec.Outcome {
	if s.Stderr != nil {
		fmt.Fprintf(s.Stderr, "multitask: %v\n", err)
	}
	return jobexec.Outcome{Start: time.Now(), Exit: 255, Err: err}
}

// Done returns a channel that is closed when the bridge has ended: after
// Close, or when it failed (see Err).
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns why the bridge ended on its own, or nil while it runs and
// after a Close.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close ends the bridge: it closes the bridge's stdin, so that the bridge
// cancels what still runs, and waits for the bridge to exit. It returns
// the bridge's failure, if it failed. Call it once, after the last Exec
// has returned.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.stdin.Close()
	<-c.done
	<-c.exited
	if err := c.Err(); err != nil {
		return err
	}
	if c.exitErr != nil {
		return fmt.Errorf("bridge: %w", c.exitErr)
	}
	return nil
}
