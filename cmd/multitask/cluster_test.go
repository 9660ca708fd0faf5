package main

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
)

func TestClusterSubcommands(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"worker", "nats://h:4222"}, true},
		{[]string{"server"}, true},
		{[]string{"status"}, true},
		{[]string{"echo", "worker"}, false},
		{[]string{"-j2", "status"}, false},
		{nil, false},
	} {
		if got := isClusterCommand(tc.args); got != tc.want {
			t.Errorf("isClusterCommand(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}

func TestWithoutTheClusterProgram(t *testing.T) {
	// Neither beside the binary nor on an empty PATH.
	bin := binary(t)
	for _, args := range [][]string{
		{"status", "nats://127.0.0.1:4222"},
		{"worker", "nats://127.0.0.1:4222"},
		{"--cluster", "embedded", "echo", ":::", "1"},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"PATH=" + t.TempDir()}
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 255 || out.Len() != 0 ||
			!strings.Contains(errOut.String(), "multitask-cluster is neither beside multitask nor on PATH") {
			t.Errorf("%q: %v, stdout %q, stderr %q; want exit 255 and why", args, err, out.String(), errOut.String())
		}
	}
}
