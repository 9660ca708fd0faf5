package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/multitask-go/multitask/cmd/multitask/internal/gnutest"
)

// onTerminal runs name with args in a session of its own whose
// controlling terminal is a new pseudo-terminal, on which answers are
// typed; its stdout and stderr are pipes. It returns what it printed and
// its exit status.
func onTerminal(t *testing.T, env []string, answers, name string, args ...string) outcome {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ptm.Close()
	if err := unix.IoctlSetPointerInt(int(ptm.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer pts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = pts
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	// The answers wait in the terminal, a line for each read.
	if _, err := ptm.WriteString(answers); err != nil {
		t.Fatal(err)
	}
	err = cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return outcome{out.String(), errOut.String(), cmd.ProcessState.ExitCode()}
}

// TestInteractiveMatchesGNU answers y, n, then Y with blanks before it:
// the second job is skipped, and both tools print, log and exit alike.
func TestInteractiveMatchesGNU(t *testing.T) {
	gnu := gnutest.Path(t)
	home := gnuHome(t, gnu)
	dir := t.TempDir()
	answers := "y\nn\n  Yes\n"
	args := func(log string) []string {
		return []string{"-k", "-p", "--joblog", filepath.Join(dir, log), "echo", ":::", "a", "b", "c"}
	}
	want := onTerminal(t, []string{"HOME=" + home}, answers, gnu, append([]string{"--will-cite"}, args("gnu")...)...)
	got := onTerminal(t, nil, answers, binary(t), args("ours")...)
	if got != want {
		t.Fatalf("multitask: %+v\nGNU parallel: %+v", got, want)
	}
	if got.stdout != "a\nc\n" || got.stderr != "echo a ?...echo b ?...echo c ?..." {
		t.Fatalf("outcome %+v; want b skipped and three questions", got)
	}
	logs := make([]string, 2)
	for i, name := range []string{"gnu", "ours"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(string(b)) {
			f := strings.Split(line, "\t")
			logs[i] += f[0] + " " + f[6] + " " + f[8]
		}
	}
	if logs[0] != logs[1] {
		t.Fatalf("joblog (Seq, Exitval, Command)\n got %q\nwant %q (GNU parallel)", logs[1], logs[0])
	}
}

func TestInteractiveNeedsATerminal(t *testing.T) {
	cmd := exec.Command(binary(t), "-p", "echo", ":::", "a")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no terminal at all
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 255 || !strings.Contains(string(out), "--interactive asks on the terminal") {
		t.Fatalf("%v: %s", err, out)
	}
}
