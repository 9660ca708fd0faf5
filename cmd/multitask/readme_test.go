package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// consoleExamples returns the commands and outputs of the README's
// ```console blocks: a line starting with "$ " is a command, the lines up
// to the next command are its stdout.
func consoleExamples(doc string) (cmds, outs []string) {
	in := false
	for line := range strings.Lines(doc) {
		t := strings.TrimRight(line, "\n")
		switch {
		case t == "```console":
			in = true
		case in && t == "```":
			in = false
		case in && strings.HasPrefix(t, "$ "):
			cmds = append(cmds, t[2:])
			outs = append(outs, "")
		case in && len(outs) > 0:
			outs[len(outs)-1] += t + "\n"
		}
	}
	return cmds, outs
}

// TestREADMEExamples runs the README's examples of the command with the
// built binary and compares their stdout with what the README shows.
func TestREADMEExamples(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	cmds, outs := consoleExamples(string(doc))
	if len(cmds) < 3 {
		t.Fatalf("the README shows %d examples of the command, want at least 3", len(cmds))
	}
	path := filepath.Dir(binary(t)) + string(os.PathListSeparator) + os.Getenv("PATH")
	for i, c := range cmds {
		cmd := exec.Command("/bin/sh", "-c", c)
		cmd.Env = append(os.Environ(), "PATH="+path)
		cmd.Dir = t.TempDir()
		var out bytes.Buffer
		cmd.Stdout = &out
		_ = cmd.Run() // the examples show their exit status themselves
		if out.String() != outs[i] {
			t.Errorf("README example %q\n printed %q\nREADME says %q", c, out.String(), outs[i])
		}
	}
}
