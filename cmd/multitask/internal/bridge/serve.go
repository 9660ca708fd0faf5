package bridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/multitask-go/multitask/cmd/multitask/internal/jobexec"
	"github.com/multitask-go/multitask/internal/wire"
)

// A Runner runs one try of a job on a cluster and returns its report, or
// why the cluster did not run it. Its ctx ends when the command cancels
// the job, or goes away.
type Runner func(ctx context.Context, job jobexec.Job) (jobexec.Report, error)

// Serve is the bridge's side of the conversation: it opens w with the
// hello of token and Ready, then runs each job that r submits with run, in
// a goroutine of its own, and writes its Result to w, until r ends. It
// then cancels the jobs still running, waits for their runs to return,
// and returns nil, or the error that broke the conversation.
func Serve(r io.Reader, w io.Writer, token string, run Runner) error {
	if err := wire.WriteHello(w, []byte(token)); err != nil {
		return fmt.Errorf("bridge: %w", err)
	}
	ww := wire.NewWriter(w)
	if err := ww.WriteFrame(kindReady, nil); err != nil {
		return fmt.Errorf("bridge: %w", err)
	}
	ctx, cancelAll := context.WithCancel(context.Background())
	var (
		mu      sync.Mutex // guards running
		running = make(map[uint64]context.CancelFunc)
		wg      sync.WaitGroup
	)
	defer wg.Wait()
	defer cancelAll() // before the wait: the runs end when told
	rd := wire.NewReader(r, 0)
	for {
		kind, p, err := rd.ReadFrame()
		if errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("bridge: %w", err)
		}
		switch kind {
		case kindSubmit:
			id, job, err := decodeSubmit(p)
			if err != nil {
				return err
			}
			jctx, cancel := context.WithCancel(ctx)
			mu.Lock()
			_, dup := running[id]
			running[id] = cancel
			mu.Unlock()
			if dup {
				cancel()
				return fmt.Errorf("%w: job %d submitted twice", errCorrupt, id)
			}
			wg.Go(func() {
				rep, err := run(jctx, job)
				mu.Lock()
				delete(running, id)
				mu.Unlock()
				cancel()
				failure := ""
				if err != nil {
					failure = err.Error()
					if failure == "" {
						failure = "the job failed"
					}
				}
				// A write that fails fails them all: the command is gone,
				// and r ends soon.
				_ = ww.WriteFrame(kindResult, encodeResult(id, failure, &rep))
			})
		case kindCancel:
			id, err := decodeCancel(p)
			if err != nil {
				return err
			}
			mu.Lock()
			cancel := running[id]
			mu.Unlock()
			if cancel != nil {
				cancel()
			}
		default:
			return fmt.Errorf("%w: a frame of kind %d", errCorrupt, kind)
		}
	}
}

// Refuse tells the command, on w, that the bridge cannot serve it, and
// why: it writes the hello of token and Refused.
func Refuse(w io.Writer, token string, reason error) error {
	if err := wire.WriteHello(w, []byte(token)); err != nil {
		return fmt.Errorf("bridge: %w", err)
	}
	if err := wire.NewWriter(w).WriteFrame(kindRefused, []byte(reason.Error())); err != nil {
		return fmt.Errorf("bridge: %w", err)
	}
	return nil
}
