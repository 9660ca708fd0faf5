package perl

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/multitask-go/multitask/cmd/multitask/internal/gnutest"
	"github.com/multitask-go/multitask/cmd/multitask/internal/tmpl"
	"github.com/multitask-go/multitask/internal/proctest"
)

func TestMain(m *testing.M) {
	os.Exit(proctest.Check(m.Run()))
}

// start starts perl for a test, and ends it with the test. perl comes
// with GNU parallel, which the command's tests require where gnutest
// says so.
func start(t *testing.T) *Interp {
	t.Helper()
	if _, err := exec.LookPath("perl"); err != nil {
		gnutest.Path(t) // skips, or fails where GNU parallel is required
	}
	p, err := Start(&testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

func TestEval(t *testing.T) {
	p := start(t)
	job := tmpl.PerlJob{Seq: 7, Slot: 2, Total: 9, Args: []string{"a.tar.gz", "b"}}
	for _, tc := range []struct {
		expr, v string
		want    tmpl.PerlResult
	}{
		{"s/\\.gz$//", "a.tar.gz", tmpl.PerlResult{Value: "a.tar"}},
		{"", "same", tmpl.PerlResult{Value: "same"}},
		{"$_ = seq().' '.slot().' '.total_jobs().' '.$job->seq().' '.$job->slot()", "", tmpl.PerlResult{Value: "7 2 9 7 2"}},
		{"$_ = join ',', map { defined $_ ? $_ : 'undef' } @arg", "", tmpl.PerlResult{Value: "undef,a.tar.gz,b"}},
		{"$_ = Q($_)", "it's", tmpl.PerlResult{Value: `'it'"'"'s'`}},
		{"$_ = Q($_)", "", tmpl.PerlResult{Value: "''"}},
		{"$_ = Q($_)", "plain-1.2+x/y_z", tmpl.PerlResult{Value: "plain-1.2+x/y_z"}},
		{"$_ = pQ($_)", `a$b@c"d\e`, tmpl.PerlResult{Value: `a\$b\@c\"d\\e`}},
		{"uq()", "a b", tmpl.PerlResult{Value: "a b", Unquoted: true}},
		{"skip()", "x", tmpl.PerlResult{Value: "x", Skip: true}},
		{"$job->skip(); uq()", "x", tmpl.PerlResult{Value: "x", Unquoted: true, Skip: true}},
		{"undef $_", "x", tmpl.PerlResult{}},
		{"$_ = 5 / 2", "", tmpl.PerlResult{Value: "2.5"}},
		{"print STDOUT 'to stderr'; $_ .= <STDIN> // 'eof'", "x", tmpl.PerlResult{Value: "xeof"}},
		{"$_ = length", "a\x00\n\xffb", tmpl.PerlResult{Value: "5"}},
		{"$_ = chr(0x263A)", "", tmpl.PerlResult{Value: "\u263a"}},
	} {
		if got := p.Eval(tc.expr, tc.v, job); got != tc.want {
			t.Errorf("Eval(%q, %q) = %+v, want %+v", tc.expr, tc.v, got, tc.want)
		}
	}
	if err := p.Err(); err != nil {
		t.Fatal(err)
	}
	// Bytes pass through unchanged.
	v := "a\x00\n\xff\r\nb"
	if got := p.Eval("", v, job); got.Value != v {
		t.Errorf("Eval of %q = %q", v, got.Value)
	}
}

func TestVariablesPersist(t *testing.T) {
	p := start(t)
	for i, want := range []string{"1", "2", "3"} {
		if got := p.Eval("$_ = ++$n", "", tmpl.PerlJob{Seq: i + 1}); got.Value != want {
			t.Errorf("evaluation %d: %q, want %q", i+1, got.Value, want)
		}
	}
	// Flags are the last evaluation's only.
	p.Eval("uq(); skip()", "", tmpl.PerlJob{})
	if got := p.Eval("", "x", tmpl.PerlJob{}); got.Unquoted || got.Skip {
		t.Errorf("flags outlived their evaluation: %+v", got)
	}
}

func TestErrorsStick(t *testing.T) {
	for _, tc := range []struct{ expr, msg string }{
		{"syntax error (", "syntax error"},
		{"die 'boom'", "boom at "},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			p := start(t)
			if got := p.Eval(tc.expr, "x", tmpl.PerlJob{}); got != (tmpl.PerlResult{}) {
				t.Errorf("Eval = %+v, want the zero result", got)
			}
			var ee *ExprError
			if err := p.Err(); !errors.As(err, &ee) || ee.Expr != tc.expr || !strings.Contains(ee.Msg, tc.msg) {
				t.Fatalf("Err() = %v, want an ExprError for %q saying %q", err, tc.expr, tc.msg)
			}
			if !strings.HasPrefix(p.Err().Error(), "Cannot use "+tc.expr+": ") {
				t.Errorf("message %q is not GNU parallel's", p.Err())
			}
			// Later evaluations fail with the same error.
			if got := p.Eval("$_ = 1", "", tmpl.PerlJob{}); got.Value != "" {
				t.Errorf("evaluated after an error: %+v", got)
			}
			if !errors.As(p.Err(), &ee) || ee.Expr != tc.expr {
				t.Errorf("Err() changed to %v", p.Err())
			}
		})
	}
}

func TestNoPerl(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := Start(io.Discard); !errors.Is(err, ErrNoPerl) {
		t.Fatalf("Start without perl: %v, want ErrNoPerl", err)
	}
}

// testWriter logs what perl prints.
type testWriter struct{ t *testing.T }

func (w *testWriter) Write(b []byte) (int, error) {
	w.t.Logf("perl's stderr: %s", b)
	return len(b), nil
}

func TestFilter(t *testing.T) {
	p := start(t)
	for code, want := range map[string]bool{
		"1 < 2":          true,
		"'a' ne 'b'":     true,
		"0":              false,
		"":               false,
		"a ne 'b'":       false, // a bareword, refused under strict as in GNU
		"die 'x'":        false,
		"syntax error (": false,
	} {
		if got := p.Filter(code); got != want {
			t.Errorf("Filter(%q) = %v, want %v", code, got, want)
		}
	}
	if err := p.Err(); err != nil {
		t.Fatalf("a filter's failure is no error: %v", err)
	}
	p.Eval("die", "", tmpl.PerlJob{})
	if p.Filter("1") {
		t.Error("Filter after an error was true")
	}
}
