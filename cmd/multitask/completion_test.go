package main

import (
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestBashCompletion sources the bash code and completes a prefix with it.
func TestBashCompletion(t *testing.T) {
	var code bytes.Buffer
	if err := printCompletion(&code, "bash"); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, t.TempDir(), "complete.bash", code.String())
	out, err := exec.Command("bash", "-c", `source "$1"; COMP_WORDS=(multitask --sema); COMP_CWORD=1; _comp_multitask; printf '%s\n' "${COMPREPLY[@]}"`, "bash", file).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	got := strings.Fields(string(out))
	slices.Sort(got)
	if want := []string{"--semaphore", "--semaphore-name", "--semaphore-timeout", "--semaphorename", "--semaphoretimeout"}; !slices.Equal(got, want) {
		t.Fatalf("--sema completes to %q, want %q", got, want)
	}
}

// TestZshCompletion checks that the zsh code names every option, and
// quotes what it says so that a shell reads it whole (bash -n: zsh is not
// on every machine, and reads these words as bash does).
func TestZshCompletion(t *testing.T) {
	var code bytes.Buffer
	if err := printCompletion(&code, "zsh"); err != nil {
		t.Fatal(err)
	}
	for _, f := range newFlagSet(&options{}).flags {
		for _, name := range f.names() {
			if !strings.Contains(code.String(), name) {
				t.Errorf("%s is not in the zsh completion", name)
			}
		}
	}
	file := writeFile(t, t.TempDir(), "complete.zsh", code.String())
	if out, err := exec.Command("bash", "-n", file).CombinedOutput(); err != nil {
		t.Fatalf("the zsh code does not parse: %v: %s", err, out)
	}
}

func TestCompletionOfAnotherShell(t *testing.T) {
	t.Setenv("SHELL", "/usr/bin/fish")
	if err := printCompletion(&bytes.Buffer{}, "auto"); err == nil || !strings.Contains(err.Error(), "'fish'") {
		t.Fatalf("auto with fish: %v", err)
	}
	t.Setenv("SHELL", "/bin/bash")
	var code bytes.Buffer
	if err := printCompletion(&code, "auto"); err != nil || !strings.HasPrefix(code.String(), "complete -F") {
		t.Fatalf("auto with bash: %v, %q", err, code.String())
	}
}
