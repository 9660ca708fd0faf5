// Package examples holds the project's runnable programs, one main package
// per directory, and checks that the README's Go snippets compile.
package examples

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// goSnippets returns the bodies of the fenced ```go blocks of a Markdown
// document, in order.
func goSnippets(doc []byte) []string {
	var (
		snippets []string
		cur      *strings.Builder
	)
	for line := range strings.Lines(string(doc)) {
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && trimmed == "```go":
			cur = new(strings.Builder)
		case cur != nil && trimmed == "```":
			snippets = append(snippets, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line)
		}
	}
	return snippets
}

// TestREADMESnippetsCompile builds every Go snippet of the README as a
// program of this module, so that a newcomer who copies one gets code that
// compiles. Each snippet must be a whole main package. The snippets are laid
// over directories that do not exist, with go build's -overlay, so nothing is
// written into the source tree.
func TestREADMESnippetsCompile(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	snippets := goSnippets(doc)
	if len(snippets) == 0 {
		t.Fatal("README.md has no ```go snippets")
	}
	here, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	overlay := map[string]string{}
	var pkgs []string
	for i, s := range snippets {
		if !strings.HasPrefix(s, "package main\n") {
			t.Errorf("README snippet %d is not a whole program (it must start with \"package main\"):\n%s", i+1, s)
			continue
		}
		src := filepath.Join(tmp, fmt.Sprintf("snippet%d.go", i+1))
		if err := os.WriteFile(src, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		dir := fmt.Sprintf("readme-snippet-%d", i+1)
		overlay[filepath.Join(here, dir, "main.go")] = src
		pkgs = append(pkgs, "./"+dir)
	}
	if len(pkgs) == 0 {
		return
	}
	ov, err := json.Marshal(map[string]any{"Replace": overlay})
	if err != nil {
		t.Fatal(err)
	}
	ovFile := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovFile, ov, 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"build", "-overlay", ovFile, "-o", os.DevNull}, pkgs...)
	cmd := exec.Command("go", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("README snippets do not compile (readme-snippet-N is the N-th ```go block): %v\n%s", err, out.String())
	}
}
