package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{"a.txt": "abc", "b/c.txt": "", "b/d.bin": strings.Repeat("x", 1<<20)}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"-workers", "2", dir}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, errOut.String())
	}
	got := out.String()
	for _, want := range []string{
		"hashing 3 files", "on 2 goroutines",
		"ba7816bf8f01  " + filepath.Join(dir, "a.txt"),   // SHA-256 of "abc"
		"e3b0c44298fc  " + filepath.Join(dir, "b/c.txt"), // SHA-256 of ""
		"3 files, 1048579 bytes hashed, 0 failed; largest: " + filepath.Join(dir, "b/d.bin"),
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

func TestRunBadInput(t *testing.T) {
	for name, args := range map[string][]string{
		"missing dir": {filepath.Join(t.TempDir(), "nope")},
		"empty dir":   {t.TempDir()},
		"bad flag":    {"-workers", "many"},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(args, &out, &errOut); code == 0 || errOut.Len() == 0 {
				t.Fatalf("exit %d, stderr %q: want a failure explained on stderr", code, errOut.String())
			}
		})
	}
}
