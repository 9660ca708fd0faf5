// Package reaper kills the process groups of a run's jobs when the process
// that started them dies without doing so itself, even by SIGKILL.
//
// A job's first process gets a parent-death signal, but the processes it
// starts do not, and a job has its own process group so that a timeout can
// kill all of it. The reaper is a second process that outlives its parent:
// the parent tells it, through a pipe, each group it starts and each group
// that has ended. The parent's death closes the pipe, and the reaper then
// sends SIGKILL to every group still listed and exits.
//
// A group is forgotten once its leader has been reaped, because its id may
// be reused; a process a job left running in the background after the job
// ended is not the job's, and survives.
package reaper

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Arg is the first argument that makes a program run Serve: a program using
// this package checks for it first thing in main, and its tests in TestMain.
const Arg = "__multitask_reaper__"

// IsReaper reports whether args (os.Args) ask this process to be a reaper.
func IsReaper(args []string) bool { return len(args) == 2 && args[1] == Arg }

// Serve is the reaper process's body: it reads group records from r until
// r ends, then kills every group still listed. It returns the exit status.
func Serve(r io.Reader) int {
	groups := make(map[int32]struct{})
	br := bufio.NewReader(r)
	var rec [4]byte
	for {
		if _, err := io.ReadFull(br, rec[:]); err != nil {
			break
		}
		pgid := int32(binary.LittleEndian.Uint32(rec[:]))
		if pgid > 0 {
			groups[pgid] = struct{}{}
		} else {
			delete(groups, -pgid)
		}
	}
	for pgid := range groups {
		_ = syscall.Kill(-int(pgid), syscall.SIGKILL)
	}
	return 0
}

// A Client is the parent's end of a reaper.
type Client struct {
	mu  sync.Mutex // serialises records and Close
	w   *os.File
	cmd *exec.Cmd
	err error // the first write error; later records are not sent

	// Records not yet sent: removals, which wait to go with the next
	// Add, or until flush fires.
	pending []byte
	flush   *time.Timer
}

// removeDelay is the longest a removal waits for an Add to go with. A
// job's slot starts the next job at once, so that a run writes once per
// job rather than twice, and wakes the reaper as often; a group's id is
// not reused within moments of its leader's end.
const removeDelay = 10 * time.Millisecond

// Start starts a reaper: exe is run with Arg as its only argument, in a
// process group of its own so that a terminal's Ctrl-C leaves it alive to
// do its work.
func Start(exe string) (*Client, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("reaper: %w", err)
	}
	cmd := exec.Command(exe, Arg)
	cmd.Stdin = r
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	r.Close()
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("reaper: %w", err)
	}
	return &Client{w: w, cmd: cmd}, nil
}

// Add lists group pgid, to be killed should this process die.
func (c *Client) Add(pgid int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usableLocked(); err != nil {
		return err
	}
	c.pending = binary.LittleEndian.AppendUint32(c.pending, uint32(int32(pgid)))
	return c.sendLocked()
}

// Remove forgets group pgid once its leader has been reaped. The record is
// sent with the next Add, or within removeDelay.
func (c *Client) Remove(pgid int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usableLocked(); err != nil {
		return err
	}
	if len(c.pending) == 0 {
		if c.flush == nil {
			c.flush = time.AfterFunc(removeDelay, c.flushRemoved)
		} else {
			c.flush.Reset(removeDelay)
		}
	}
	c.pending = binary.LittleEndian.AppendUint32(c.pending, uint32(-int32(pgid)))
	return nil
}

func (c *Client) flushRemoved() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.usableLocked() == nil && len(c.pending) > 0 {
		_ = c.sendLocked()
	}
}

func (c *Client) usableLocked() error {
	if c.err != nil {
		return c.err
	}
	if c.w == nil {
		return errClosed
	}
	return nil
}

// sendLocked writes the records waiting, in the order they were made.
func (c *Client) sendLocked() error {
	if _, err := c.w.Write(c.pending); err != nil {
		c.err = fmt.Errorf("reaper: %w", err)
	}
	c.pending = c.pending[:0]
	return c.err
}

var errClosed = errors.New("reaper: closed")

// Close ends the reaper, which kills any group still listed, and waits for
// it to exit.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.flush != nil {
		c.flush.Stop()
	}
	if c.usableLocked() == nil && len(c.pending) > 0 {
		_ = c.sendLocked() // the reaper must not kill groups that ended
	}
	w := c.w
	c.w = nil
	c.mu.Unlock()
	if w == nil {
		return errClosed
	}
	w.Close()
	if err := c.cmd.Wait(); err != nil {
		return fmt.Errorf("reaper: %w", err)
	}
	return nil
}
