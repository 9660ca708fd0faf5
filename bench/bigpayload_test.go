package bench_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/multitask-go/multitask/mp"
)

// bigPayload is the size of the []byte that BenchmarkBigPayload sends, as
// python/big_payload.py.
const bigPayload = 200 << 20

// envBigStep makes the test binary a helper that runs one step of
// BenchmarkBigPayload and prints what it measured (see TestMain).
const envBigStep = "MULTITASK_BENCH_BIG_STEP"

// bigSteps are BenchmarkBigPayload's sub-benchmarks: a big []byte as a
// pool task's argument, as its result, and as a queue item put by a child
// process and got by the parent.
var bigSteps = []string{"argument", "result", "queue"}

// bigQueueRun is the argument of the child that puts the queue item.
type bigQueueRun struct {
	Q *mp.Queue[[]byte]
	N int
}

var (
	bigLen = mp.Register("bench-big-len", func(ctx context.Context, b []byte) (int, error) {
		return len(b), nil
	})
	bigMake = mp.Register("bench-big-make", func(ctx context.Context, n int) ([]byte, error) {
		return filled(n), nil
	})
	bigResetPeak = mp.Register("bench-big-reset-peak", func(ctx context.Context, _ int) (int64, error) {
		return resetPeak()
	})
	bigPeak = mp.Register("bench-big-peak", func(ctx context.Context, _ int) (int64, error) {
		return procStatus("VmHWM")
	})
	// bigPut puts an n-byte item and returns the growth of its own peak
	// resident memory, the item included.
	bigPut = mp.Register("bench-big-put", func(ctx context.Context, r bigQueueRun) (int64, error) {
		defer r.Q.Close()
		r.Q.Empty() // connects
		base, err := resetPeak()
		if err != nil {
			return 0, err
		}
		if err := r.Q.Put(ctx, filled(r.N)); err != nil {
			return 0, err
		}
		peak, err := procStatus("VmHWM")
		return peak - base, err
	})
)

// BenchmarkBigPayload measures the memory a 200 MiB []byte costs on its
// way between processes, as the growth of peak resident memory (VmHWM,
// reset before the step by writing 5 to /proc/self/clear_refs) per payload
// byte: "argument" sends it as the argument of a task to a pool of one
// worker, which returns its length; "result" has the worker make it and
// return it; "queue" has a child process put it into an mp.Queue made by
// the parent, which gets it. rss/B is the parent's growth per byte,
// other-rss/B the worker's (the child's for queue), which includes the
// payload when that process makes it. Each run is a fresh process (this
// test binary again, with envBigStep set), so that nothing of an earlier
// step stays in the peak. python/big_payload.py does the same with
// ProcessPoolExecutor and multiprocessing.Queue.
func BenchmarkBigPayload(b *testing.B) {
	if _, err := os.Stat("/proc/self/clear_refs"); err != nil {
		b.Skip("needs /proc/self/clear_refs (Linux)")
	}
	for _, step := range bigSteps {
		b.Run(step, func(b *testing.B) {
			var parent, other int64
			for range b.N {
				var err error
				if parent, other, err = runBigStep(step); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(parent)/bigPayload, "rss/B")
			b.ReportMetric(float64(other)/bigPayload, "other-rss/B")
		})
	}
}

// runBigStep runs step in a fresh helper process and returns the growth of
// the parent's and the other process's peak resident memory, in bytes.
func runBigStep(step string) (parent, other int64, err error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envBigStep+"="+step)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, 0, fmt.Errorf("big payload helper (%s): %w; stderr:\n%s", step, err, stderr.Bytes())
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 6 && f[0] == "bigpayload" && f[1] == step && f[2] == "parent" && f[4] == "other" {
			parent, err1 := strconv.ParseInt(f[3], 10, 64)
			other, err2 := strconv.ParseInt(f[5], 10, 64)
			return parent, other, errors.Join(err1, err2)
		}
	}
	return 0, 0, fmt.Errorf("big payload helper (%s) printed no figures: %q", step, out)
}

// bigStep is the helper's side of runBigStep: it runs step and prints
//
//	bigpayload <step> parent <bytes> other <bytes>
//
// It returns the exit status.
func bigStep(step string) int {
	if err := measureBigStep(step); err != nil {
		fmt.Fprintf(os.Stderr, "big payload step %s: %v\n", step, err)
		return 1
	}
	return 0
}

func measureBigStep(step string) error {
	ctx := context.Background()
	pool, err := mp.NewPool(mp.Workers(1))
	if err != nil {
		return err
	}
	defer pool.Shutdown(ctx)
	// The worker is up and has run each function once, on a small payload.
	if _, err := bigLen.Submit(ctx, pool, filled(1<<20)).Result(ctx); err != nil {
		return err
	}
	if _, err := bigMake.Submit(ctx, pool, 1<<20).Result(ctx); err != nil {
		return err
	}
	var payload []byte
	if step == "argument" {
		payload = filled(bigPayload) // the caller's; it is in the baseline
	}
	otherBase, err := bigResetPeak.Submit(ctx, pool, 0).Result(ctx)
	if err != nil {
		return err
	}
	base, err := resetPeak()
	if err != nil {
		return err
	}
	var other int64
	switch step {
	case "argument":
		n, err := bigLen.Submit(ctx, pool, payload).Result(ctx)
		if err != nil || n != bigPayload {
			return fmt.Errorf("argument: the worker saw %d bytes, %v", n, err)
		}
	case "result":
		b, err := bigMake.Submit(ctx, pool, bigPayload).Result(ctx)
		if err != nil || len(b) != bigPayload || b[len(b)-1] != byte(len(b)-1) {
			return fmt.Errorf("result: %d bytes, %v", len(b), err)
		}
		runtime.KeepAlive(b)
	case "queue":
		q, err := mp.NewQueue[[]byte](0)
		if err != nil {
			return err
		}
		defer q.Close()
		proc := mp.NewProcess(bigPut, bigQueueRun{Q: q, N: bigPayload})
		if err := proc.Start(); err != nil {
			return err
		}
		b, err := q.Get(ctx)
		if err != nil || len(b) != bigPayload || b[len(b)-1] != byte(len(b)-1) {
			return fmt.Errorf("queue: got %d bytes, %v", len(b), err)
		}
		runtime.KeepAlive(b)
		if other, err = bigPut.Result(ctx, proc); err != nil {
			return err
		}
	}
	peak, err := procStatus("VmHWM")
	if err != nil {
		return err
	}
	if step != "queue" {
		otherPeak, err := bigPeak.Submit(ctx, pool, 0).Result(ctx)
		if err != nil {
			return err
		}
		other = otherPeak - otherBase
	}
	runtime.KeepAlive(payload)
	fmt.Printf("bigpayload %s parent %d other %d\n", step, peak-base, other)
	return nil
}

// filled returns n bytes, each its index's low byte, so that every page is
// touched and the end can be checked.
func filled(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// resetPeak returns what it can of the heap's free memory to the system,
// resets the process's peak resident memory to its current one, and
// returns that.
func resetPeak() (int64, error) {
	runtime.GC()
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return 0, err
	}
	return procStatus("VmRSS")
}

// procStatus returns a figure of /proc/self/status in bytes, such as VmHWM.
func procStatus(key string) (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			f := strings.Fields(v)
			if len(f) != 2 || f[1] != "kB" {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/self/status", key)
}
