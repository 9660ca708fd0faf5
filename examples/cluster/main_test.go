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
	for _, workers := range []string{"0", "2"} {
		var out, errOut bytes.Buffer
		if code := run([]string{"-workers", workers, "-ranges", "10", "-size", "1000"}, &out, &errOut); code != 0 {
			t.Fatalf("-workers %s: exit %d; stderr:\n%s", workers, code, errOut.String())
		}
		got := out.String()
		// 1229 primes lie below 10,000; 168 below 1,000.
		for _, want := range []string{"[       0,     1000):   168 primes", "1229 primes below 10000"} {
			if !strings.Contains(got, want) {
				t.Errorf("-workers %s: output lacks %q:\n%s", workers, want, got)
			}
		}
		if workers == "2" && !strings.Contains(got, "2 workers") {
			t.Errorf("-workers 2: the stats do not count 2 workers:\n%s", got)
		}
	}
}
