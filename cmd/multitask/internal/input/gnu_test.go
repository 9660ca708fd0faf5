package input

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multitask-go/multitask/cmd/multitask/internal/gnutest"
)

// gnuParallel is where Debian installs GNU parallel, the specification.
const gnuParallel = "/usr/bin/parallel"

// showScript prints each of its arguments followed by NUL, then a record
// separator (0x1e) to end the job; no test value holds that byte.
const showScript = `#!/bin/sh
for a do printf '%s\0' "$a"; done
printf '\036'
`

// TestAgainstGNU runs GNU parallel on every case of the table, checks that
// it runs the jobs the table states, and that this package yields the same.
func TestAgainstGNU(t *testing.T) {
	t.Parallel()
	gnutest.Path(t) // skipped, or failed under .ci/run, without GNU parallel
	show := filepath.Join(t.TempDir(), "show")
	if err := os.WriteFile(show, []byte(showScript), 0o755); err != nil {
		t.Fatal(err)
	}
	// GNU parallel keeps state under $HOME/.parallel; the first run fills
	// its cache of the system's limits, which each later run then reads.
	home := t.TempDir()
	if _, code, stderr := runGNU(t, gnuCase{args: []string{":::", "warm"}}, nil, show, home); code != 0 {
		t.Fatalf("GNU parallel exited with %d; stderr:\n%s", code, stderr)
	}
	for _, c := range gnuCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := caseFiles(t, c)
			got, code, stderr := runGNU(t, c, path, show, home)
			wantCode := 0
			if c.wantErr != nil {
				wantCode = 255
			}
			if code != wantCode {
				t.Fatalf("GNU parallel exited with %d, want %d; stderr:\n%s", code, wantCode, stderr)
			}
			assertJobs(t, got, c.want)
			mine, _, err := readJobs(t, c, path)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("error %v, want %v", err, c.wantErr)
			}
			assertJobs(t, mine, got)
		})
	}
}

// runGNU runs the case with GNU parallel and returns the words each job
// received, in job order (-k), and GNU's exit status and stderr.
func runGNU(t *testing.T, c gnuCase, path func(string) string, show, home string) (jobs [][]string, code int, stderr string) {
	t.Helper()
	if path == nil {
		path = func(s string) string { return s }
	}
	argv := []string{"--will-cite", "-k", "-j", "4"}
	split := len(c.args)
	for i, a := range c.args {
		if isSep(a) {
			split = i
			break
		}
	}
	for _, a := range c.args[:split] {
		argv = append(argv, path(a))
	}
	argv = append(argv, show)
	for _, w := range c.cmd {
		argv = append(argv, path(w))
	}
	for _, a := range c.args[split:] {
		argv = append(argv, path(a))
	}
	cmd := exec.Command(gnuParallel, argv...)
	cmd.Env = append(os.Environ(), "HOME="+home, "LC_ALL=C")
	cmd.Stdin = strings.NewReader(c.stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	parts := bytes.Split(out.Bytes(), []byte{0x1e})
	if last := parts[len(parts)-1]; len(last) != 0 {
		t.Fatalf("GNU parallel's output ends in an unfinished job %q", last)
	}
	for _, job := range parts[:len(parts)-1] {
		jobs = append(jobs, parseShow(job))
	}
	return jobs, code, errOut.String()
}

// parseShow decodes one job printed by showScript.
func parseShow(b []byte) []string {
	if len(b) == 0 {
		return []string{}
	}
	return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
}
