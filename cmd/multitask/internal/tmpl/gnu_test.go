package tmpl

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/multitask-go/multitask/cmd/multitask/internal/gnutest"
)

const gnuParallel = "/usr/bin/parallel"

// gnuDryRun runs GNU parallel --dry-run for c and returns its stdout.
func gnuDryRun(t *testing.T, c gnuCase) string {
	t.Helper()
	dir := t.TempDir()
	args := []string{"--will-cite", "--dry-run", "-j1", "-0"}
	args = append(args, c.flags...)
	for i, src := range c.sources {
		f := filepath.Join(dir, "src"+strconv.Itoa(i))
		var b strings.Builder
		for _, v := range src {
			b.WriteString(v)
			b.WriteByte(0)
		}
		if err := os.WriteFile(f, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-a", f)
	}
	args = append(args, c.words...)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gnuParallel, args...)
	// A plain environment: GNU quotes for the shell named by $SHELL (csh
	// and rc quote otherwise) and reads options from $PARALLEL.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "SHELL=/bin/sh", "LC_ALL=C"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("parallel %q: %v\n%s", args, err, stderr.String())
	}
	return stdout.String()
}

// expandAll expands c's template for each of its jobs, as GNU's dry run
// prints them.
func expandAll(t *testing.T, c gnuCase) []Command {
	t.Helper()
	tp, err := Parse(c.words, c.opt)
	if err != nil {
		t.Fatalf("Parse(%q): %v", c.words, err)
	}
	cmds := make([]Command, len(c.jobs))
	for i, job := range c.jobs {
		cmds[i] = tp.Expand(i+1, 1, job)
	}
	return cmds
}

// TestGNUDryRun compares each command line with the one GNU parallel
// prints for the same template and values.
func TestGNUDryRun(t *testing.T) {
	gnutest.Path(t) // skipped, or failed under .ci/run, without GNU parallel
	for _, c := range gnuCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got := gnuDryRun(t, c)
			var want strings.Builder
			for _, cmd := range expandAll(t, c) {
				want.WriteString(cmd.Line)
				want.WriteByte('\n')
			}
			if got != want.String() {
				t.Errorf("GNU parallel printed\n%q\nExpand gave\n%q", got, want.String())
			}
		})
	}
}
