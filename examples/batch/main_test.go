package main

import (
	"bytes"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/multitask-go/multitask/mp"
)

func TestMain(m *testing.M) {
	mp.Main()
	goleak.VerifyTestMain(m)
}

func TestRun(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-jobs", "100", "-timeout", "500ms"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut.String())
	}
	got := out.String()
	for _, want := range []string{
		"job  17: worker ",
		"job  33: past its 500ms limit, killed with its worker",
		"job  67: worker ",
		"job  83: past its 500ms limit, killed with its worker",
		"100 jobs: 91 ok, 5 refused their input, 2 crashed their worker, 2 killed past the limit",
		"6 workers started, 4 of them to replace one",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "should have ended") {
		t.Errorf("a job ended the wrong way:\n%s", got)
	}
}

func TestRunBadInput(t *testing.T) {
	for name, args := range map[string][]string{
		"no workers": {"-workers", "0"},
		"bad flag":   {"-timeout", "soon"},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(args, &out, &errOut); code == 0 || errOut.Len() == 0 {
				t.Fatalf("exit %d, stderr %q", code, errOut.String())
			}
		})
	}
}
