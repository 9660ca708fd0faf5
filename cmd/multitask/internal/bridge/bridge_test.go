package bridge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/multitask-go/multitask/cmd/multitask/internal/jobexec"
	"github.com/multitask-go/multitask/internal/proctest"
)

// The test binary is its own bridge: with modeEnv set it serves jobs by
// running them here, refuses, or dies after its first job.
const modeEnv = "BRIDGE_TEST_MODE"

func TestMain(m *testing.M) {
	switch os.Getenv(modeEnv) {
	case "":
	case "serve":
		os.Exit(serveHere(false))
	case "die":
		os.Exit(serveHere(true))
	case "refuse":
		Refuse(os.Stdout, os.Getenv(TokenEnv), errors.New("no cluster at nats://nowhere"))
		os.Exit(1)
	case "silent":
		os.Exit(3)
	}
	os.Exit(proctest.Check(m.Run()))
}

// serveHere serves jobs by running them in this process; with die, it
// exits at the start of the first job that asks for stdin.
func serveHere(die bool) int {
	run := func(ctx context.Context, job jobexec.Job) (jobexec.Report, error) {
		if die && job.Stdin != nil {
			os.Exit(9)
		}
		var out, errOut bytes.Buffer
		o := jobexec.Run(ctx, &jobexec.Spec{Job: job, Stdout: &out, Stderr: &errOut})
		if o.Killed {
			return jobexec.Report{}, context.Cause(ctx)
		}
		return jobexec.NewReport(o, out.Bytes(), errOut.Bytes()), nil
	}
	if err := Serve(os.Stdin, os.Stdout, os.Getenv(TokenEnv), run); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// start starts the test binary as a bridge in mode.
func start(t *testing.T, mode string) (*Client, error) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(modeEnv, mode)
	return Start(exe, nil, os.Stderr)
}

func TestRoundTrip(t *testing.T) {
	jobs := []jobexec.Job{
		{},
		{Line: "echo {}", Argv: []string{}, Shell: "/bin/sh", Env: []string{}, Stdin: []byte{}},
		{Line: "x", Argv: []string{"printf", "%s", "a\x00b"}, Shell: "/bin/bash", Env: []string{"A=1", "PARALLEL_SEQ=7"},
			Stdin: []byte("block\n"), StdinAsFile: true, Timeout: 3 * time.Second, MemLimit: 1 << 30,
			TermSeq: []jobexec.TermStep{{Signal: syscall.SIGINT, Wait: time.Second}, {Signal: syscall.SIGKILL}},
			Dir:     "work/a", Nice: 7},
		{Line: "y", Dir: jobexec.TempDir, Nice: -3, StdinAsFifo: true},
	}
	for i, j := range jobs {
		id, got, err := decodeSubmit(encodeSubmit(uint64(i)<<40, &j))
		if err != nil || id != uint64(i)<<40 || !reflect.DeepEqual(got, j) {
			t.Errorf("submit %d: got %d %#v %v, want %#v", i, id, got, err, j)
		}
	}
	reports := []jobexec.Report{
		{Stdout: []byte{}, Stderr: []byte{}},
		{Start: time.Unix(1700000000, 123456789), Runtime: 1500 * time.Millisecond, Exit: -1, Signal: 15, TimedOut: true,
			OverMem: true, MaxRSS: 1 << 20, Error: "cannot start job", Stdout: []byte("out\n"), Stderr: []byte("err")},
	}
	for i, r := range reports {
		id, failure, got, err := decodeResult(encodeResult(9, "why", &r))
		if err != nil || id != 9 || failure != "why" || !reflect.DeepEqual(got, r) {
			t.Errorf("result %d: got %d %q %#v %v, want %#v", i, id, failure, got, err, r)
		}
	}
	if id, err := decodeCancel(encodeCancel(1 << 63)); err != nil || id != 1<<63 {
		t.Errorf("cancel: %d %v", id, err)
	}
	for _, bad := range [][]byte{nil, {0x80}, append(encodeCancel(1), 0), encodeSubmit(1, &jobs[2])[:20]} {
		if _, _, err := decodeSubmit(bad); !errors.Is(err, errCorrupt) {
			t.Errorf("decodeSubmit(%q) = %v, want a corrupt message", bad, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	j := jobexec.Job{Line: "echo", Argv: []string{"echo"}, Stdin: []byte("x"), TermSeq: jobexec.DefaultTermSeq}
	f.Add(encodeSubmit(1, &j))
	f.Add(encodeResult(2, "", &jobexec.Report{Stdout: []byte("a")}))
	f.Add(encodeCancel(3))
	f.Fuzz(func(t *testing.T, p []byte) {
		if id, j, err := decodeSubmit(p); err == nil {
			if _, j2, err := decodeSubmit(encodeSubmit(id, &j)); err != nil || !reflect.DeepEqual(j, j2) {
				t.Fatalf("submit %#v does not survive a round trip: %#v %v", j, j2, err)
			}
		}
		if id, failure, r, err := decodeResult(p); err == nil {
			if _, f2, r2, err := decodeResult(encodeResult(id, failure, &r)); err != nil || f2 != failure || !reflect.DeepEqual(r, r2) {
				t.Fatalf("result %#v does not survive a round trip: %#v %v", r, r2, err)
			}
		}
		_, _ = decodeCancel(p)
	})
}

func TestExec(t *testing.T) {
	c, err := start(t, "serve")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	}()
	t.Run("jobs", func(t *testing.T) {
		for i, tc := range []struct {
			job          jobexec.Job
			stdout       string
			stderr       string
			exit, signal int
		}{
			{job: jobexec.Job{Line: "echo out; echo err >&2; exit 4"}, stdout: "out\n", stderr: "err\n", exit: 4},
			{job: jobexec.Job{Line: "wc -c", Stdin: []byte("abc")}, stdout: "3\n"},
			{job: jobexec.Job{Line: `echo "$X"`, Env: []string{"X=y z"}}, stdout: "y z\n"},
			{job: jobexec.Job{Line: "x", Argv: []string{"no-such-command-here"}}, stderr: "multitask: no-such-command-here: command not found\n", exit: 127},
			{job: jobexec.Job{Line: "sleep 30", Timeout: 100 * time.Millisecond}, exit: -1, signal: 15},
		} {
			t.Run(strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				tc.job.Shell = "/bin/sh"
				var out, errOut bytes.Buffer
				o := c.Exec(context.Background(), &jobexec.Spec{Job: tc.job, Stdout: &out, Stderr: &errOut})
				if out.String() != tc.stdout || errOut.String() != tc.stderr || o.Exit != tc.exit || o.Signal != tc.signal {
					t.Errorf("stdout %q stderr %q outcome %+v; want %q, %q, exit %d signal %d",
						out.String(), errOut.String(), o, tc.stdout, tc.stderr, tc.exit, tc.signal)
				}
				if (o.Err != nil) != (tc.exit == 127) || o.TimedOut != (tc.signal == 15) || o.Start.IsZero() {
					t.Errorf("outcome %+v", o)
				}
			})
		}
	})
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		var out bytes.Buffer
		o := c.Exec(ctx, &jobexec.Spec{Job: jobexec.Job{Shell: "/bin/sh", Line: "echo early; sleep 30"}, Stdout: &out})
		if !o.Killed || out.Len() != 0 {
			t.Errorf("outcome %+v, output %q; want killed, nothing written", o, out.String())
		}
	})
	t.Run("after close", func(t *testing.T) {
		c, err := start(t, "serve")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		var errOut bytes.Buffer
		o := c.Exec(context.Background(), &jobexec.Spec{Job: jobexec.Job{Shell: "/bin/sh", Line: "true"}, Stderr: &errOut})
		if o.Exit != 255 || errOut.String() != "multitask: bridge: closed\n" {
			t.Errorf("a job after Close: %+v, stderr %q", o, errOut.String())
		}
	})
	t.Run("moving limit", func(t *testing.T) {
		o := c.Exec(context.Background(), &jobexec.Spec{Job: jobexec.Job{Shell: "/bin/sh", Line: "sleep 30", Timeout: time.Hour},
			Limit: func() time.Duration { return 100 * time.Millisecond }})
		if !o.TimedOut {
			t.Errorf("outcome %+v; want the limit taken at the submit", o)
		}
	})
}

func TestRefused(t *testing.T) {
	_, err := start(t, "refuse")
	if err == nil || !strings.Contains(err.Error(), "no cluster at nats://nowhere") {
		t.Fatalf("Start: %v; want the bridge's reason", err)
	}
	_, err = start(t, "silent")
	if err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("Start: %v; want the bridge's exit status", err)
	}
}

func TestBridgeDeath(t *testing.T) {
	c, err := start(t, "die")
	if err != nil {
		t.Fatal(err)
	}
	var errOut bytes.Buffer
	o := c.Exec(context.Background(), &jobexec.Spec{Job: jobexec.Job{Shell: "/bin/sh", Line: "cat", Stdin: []byte("x")}, Stderr: &errOut})
	if o.Exit != 255 || o.Err == nil || !strings.Contains(errOut.String(), "the connection to the cluster ended") {
		t.Fatalf("outcome %+v, stderr %q; want exit 255 and why", o, errOut.String())
	}
	<-c.Done()
	if c.Err() == nil {
		t.Fatal("Err is nil after the bridge died")
	}
	// Later jobs fail at once.
	errOut.Reset()
	if o := c.Exec(context.Background(), &jobexec.Spec{Job: jobexec.Job{Shell: "/bin/sh", Line: "true"}, Stderr: &errOut}); o.Exit != 255 {
		t.Fatalf("a job after the bridge died: %+v", o)
	}
	if err := c.Close(); err == nil {
		t.Fatal("Close returned nil after the bridge died")
	}
}
