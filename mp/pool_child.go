package mp

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/multitask-go/multitask/codec"
	"github.com/multitask-go/multitask/internal/wire"
	"github.com/multitask-go/multitask/mp/internal/launch"
	"github.com/multitask-go/multitask/mp/internal/shm"
	pw "github.com/multitask-go/multitask/mp/internal/worker"
)

// runWorker is a pool worker's life: it runs the initializer, reports
// ready, then runs the tasks the parent sends, one at a time, until the
// task pipe ends and the worker exits. It returns the exit status of a
// worker that could not start.
func runWorker(rights *launch.RightsReader, msg *startMsg) int {
	wm := msg.Worker
	// The shared page of slots, the read end of the task pipe, and the
	// write ends of the result pipe and of the assist pipe.
	files, err := rights.Take(4, "multitask-pool")
	if err != nil {
		fmt.Fprintf(os.Stderr, "mp: pool worker: %v\n", err)
		return exitBootstrap
	}
	mem, err := shm.Map(files[0], pw.PageSize)
	files[0].Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "mp: pool worker: map the shared page: %v\n", err)
		return exitBootstrap
	}
	tasks, out, assist := wire.NewReader(files[1], 0), wire.NewWriter(files[2]), wire.NewWriter(files[3])

	var ready readyMsg
	if wm.Init != "" {
		ready.Err = initialize(wm, rights)
	}
	b, err := marshalMsg(ready)
	if err == nil {
		err = out.WriteFrames(pw.AppendReady(nil, b))
	}
	if err != nil || ready.Err != nil {
		return exitFailed
	}
	if wm.HardMemory > 0 {
		debug.SetMemoryLimit(wm.HardMemory)
		go watchMemory(wm.HardMemory)
	}

	wk := &poolWorker{msg: wm, slots: mem, out: pw.NewOut(out, assist), tasks: make(chan workerTask, maxPrefetch)}
	if wm.Procs > 0 {
		runtime.GOMAXPROCS(wm.Procs)
	}
	go wk.out.Loop()
	go wk.read(tasks, rights)
	wk.runTasks() // until the reader exits the process
	return 0
}

// initialize runs the worker's initializer and returns its error, if any.
// The handles in its argument stay open for the worker's life, for the
// initializer to keep.
func initialize(wm *pw.Config, rights *launch.RightsReader) *errorMsg {
	e, ok := lookup(wm.Init)
	if !ok {
		return toErrorMsg(fmt.Errorf("%w: initializer %q", ErrNotRegistered, wm.Init))
	}
	files, err := handleFiles(wm.InitHandles, rights)
	if err == nil {
		_, err = e.call(context.Background(), wm.InitArg, files, false)
	}
	return toErrorMsg(err)
}

// poolWorker is the worker side of a pool worker process: a reader takes
// the parent's frames, a runner runs the tasks in the order they came.
// Both live as long as the process, so that a task costs no goroutine.
type poolWorker struct {
	msg   *pw.Config
	slots pw.Slots
	out   *pw.Out         // the result pipe and the assist pipe
	tasks chan workerTask // the parent holds at most maxPrefetch tasks on a worker

	mu      sync.Mutex // guards current
	current struct {
		slot   int
		seq    uint64
		cancel context.CancelFunc
	}
}

// read takes the parent's frames from the task pipe, and the descriptors
// a task names from the control socket, where the parent sent them before
// the task. The end of the pipe means the pool is done with this worker,
// or the parent died: either way the worker exits at once.
func (wk *poolWorker) read(r *wire.Reader, rights *launch.RightsReader) {
	for {
		kind, payload, err := r.ReadFrame()
		if err != nil {
			os.Exit(0)
		}
		switch kind {
		case pw.KindTask:
			var t workerTask
			t.Task, err = pw.ParseTask(payload)
			if err == nil && len(t.Refs) > 0 {
				n := 0
				for _, ref := range t.Refs {
					n += ref.Files
				}
				if err = rights.Await(n); err == nil {
					t.files, err = handleFiles(t.Refs, rights)
				}
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "mp: pool worker: corrupt task from the parent: %v\n", err)
				os.Exit(exitBootstrap)
			}
			wk.tasks <- t
		case pw.KindCancel:
			slot, seq, err := pw.ParseSlotSeq(payload)
			if err != nil {
				continue
			}
			wk.mu.Lock()
			if c := wk.current; c.cancel != nil && c.slot == slot && c.seq == seq {
				c.cancel()
			}
			wk.mu.Unlock()
		}
	}
}

// workerTask is a task as the worker runs it: with the worker's copies of
// the descriptors of its handles.
type workerTask struct {
	pw.Task
	files map[uint64][]*os.File
}

// runTasks runs the tasks in the order they came. Each task's outcome is
// written as soon as it has one, with the frame saying that it began: a
// worker that dies later loses no result. The frames of a task whose
// waiter asked for them go on the assist pipe.
func (wk *poolWorker) runTasks() {
	for t := range wk.tasks {
		if !wk.slots.Begin(t.Slot, t.Seq) {
			// Cancelled, or taken back for another worker: the copies of
			// its descriptors that came with it are this worker's to close.
			for _, fs := range t.files {
				for _, f := range fs {
					f.Close()
				}
			}
			wk.out.Done(false, &pw.Done{Slot: t.Slot, Seq: t.Seq, Flags: pw.DoneSkipped})
			if len(wk.tasks) == 0 {
				wk.out.Flush()
			}
			continue
		}
		assisted := wk.slots.CommitAssist(t.Seq)
		wk.out.Began(assisted, t.Slot, t.Seq)
		d := wk.run(&t)
		wk.out.Done(assisted, &d)
		wk.out.Flush()
	}
}

// run runs one task and returns its done frame.
func (wk *poolWorker) run(t *workerTask) pw.Done {
	ctx, cancel := context.WithCancel(context.Background())
	if t.Deadline != 0 {
		ctx, cancel = context.WithDeadline(ctx, time.Unix(0, t.Deadline))
	}
	if wk.msg.Timeout > 0 {
		var cancelTimeout context.CancelFunc
		ctx, cancelTimeout = context.WithTimeout(ctx, time.Duration(wk.msg.Timeout))
		defer cancelTimeout()
	}
	defer cancel()
	wk.mu.Lock()
	wk.current.slot, wk.current.seq, wk.current.cancel = t.Slot, t.Seq, cancel
	wk.mu.Unlock()

	start := time.Now()
	var value codec.Spliced
	var err error
	if e, ok := lookup(t.Fn); !ok {
		err = fmt.Errorf("%w: %q is not registered in this build of the program", ErrNotRegistered, t.Fn)
	} else if t.Flags&pw.TaskBatch != 0 {
		value.Data, err = e.callBatch(ctx, t.Arg, t.files)
	} else {
		value, err = e.call(ctx, t.Arg, t.files, true)
	}
	d := pw.Done{Slot: t.Slot, Seq: t.Seq, Nanos: uint64(time.Since(start)), Rest: value.Data, Pieces: value.Pieces}

	wk.mu.Lock()
	wk.current.cancel = nil
	wk.mu.Unlock()
	if err != nil {
		d.Flags |= pw.DoneErr
		d.Pieces = nil
		if d.Rest, err = marshalMsg(toErrorMsg(err)); err != nil {
			d.Rest, _ = marshalMsg(toErrorMsg(fmt.Errorf("mp: encode the task's error: %w", err)))
		}
	}
	if wk.msg.SoftMemory > 0 && peakRSS() > wk.msg.SoftMemory {
		d.Flags |= pw.DoneRecycle
	}
	return d
}

// memoryCheck is how often a worker with a hard memory limit checks its
// resident memory.
const memoryCheck = 5 * time.Millisecond

// watchMemory ends the worker when its resident memory crosses limit.
func watchMemory(limit int64) {
	pid := os.Getpid()
	for range time.Tick(memoryCheck) {
		if rss := residentBytes(pid); rss > limit {
			fmt.Fprintf(os.Stderr, "mp: pool worker %d: resident memory of %d bytes crossed the hard limit of %d bytes; exiting\n",
				pid, rss, limit)
			os.Exit(exitMemory)
		}
	}
}
