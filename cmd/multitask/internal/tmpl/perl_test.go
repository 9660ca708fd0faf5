package tmpl

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakePerl evaluates a few expressions by name, and counts evaluations.
type fakePerl struct {
	mu    sync.Mutex
	calls int
	jobs  []PerlJob
}

func (f *fakePerl) Eval(expr, v string, j PerlJob) PerlResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.jobs = append(f.jobs, j)
	switch strings.TrimSpace(expr) {
	case "uc":
		return PerlResult{Value: strings.ToUpper(v)}
	case "count":
		return PerlResult{Value: fmt.Sprint(f.calls)}
	case "uq":
		return PerlResult{Value: v, Unquoted: true}
	case "skip":
		return PerlResult{Value: v, Skip: true}
	case "noarg":
		return PerlResult{Value: NoArg}
	case "":
		return PerlResult{Value: v}
	}
	return PerlResult{Value: "<" + expr + ">"}
}

func TestMergePerlWords(t *testing.T) {
	for _, tc := range []struct{ in, want []string }{
		{[]string{"echo", "{=", "uc", "=}", "x"}, []string{"echo", "{= uc =}", "x"}},
		{[]string{"a{=", "b=}c", "d"}, []string{"a{= b=}c", "d"}},
		{[]string{"{=", "x"}, []string{"{= x"}},                              // never closed: GNU joins the rest
		{[]string{"=}", "{=", "a", "=}"}, []string{"=}", "{= a =}"}},         // a =} before opens nothing
		{[]string{"{={==}", "=}"}, []string{"{={==} =}"}},                    // the inner pair closes first
		{[]string{"{==}", "{= a =}", "b"}, []string{"{==}", "{= a =}", "b"}}, // closed already
	} {
		if got := DefaultParens.merge(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("merge(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPerlExpand(t *testing.T) {
	for _, tc := range []struct {
		words   []string
		opt     Options
		args    []string
		line    string
		argv    []string
		skip    bool
		evals   int
		nothing bool
	}{
		{words: []string{"echo", "{= uc =}"}, args: []string{"a b"}, line: "echo 'A B'", argv: []string{"echo", "A B"}, evals: 1},
		{words: []string{"echo", "{=", "uc", "=}"}, args: []string{"x"}, line: "echo X", argv: []string{"echo", "X"}, evals: 1},
		{words: []string{"echo", "{= uc =}", "{1}"}, args: []string{"a", "b"}, line: "echo A B a", argv: []string{"echo", "A", "B", "a"}, evals: 2},
		{words: []string{"echo", "{=2 uc =}", "{=-1 uc =}", "{=3 uc =}"}, args: []string{"a", "b"}, line: "echo B B ", argv: []string{"echo", "B", "B"}, evals: 1},
		{words: []string{"echo", "{=0 uc =}"}, args: []string{"a", "b"}, line: "echo A B", argv: []string{"echo", "A", "B"}, evals: 2},
		// Once per value, however often the command holds the expression.
		{words: []string{"echo", "{= count =}", "{= count =}x", "{=1 count =}"}, args: []string{"a"}, line: "echo 1 1x 1", argv: []string{"echo", "1", "1x", "1"}, evals: 1},
		{words: []string{"echo", "{= uq =}"}, args: []string{"a;b"}, line: "echo a;b", evals: 1},
		{words: []string{"echo", "{= skip =}"}, args: []string{"a"}, line: "echo a", argv: []string{"echo", "a"}, skip: true, evals: 1},
		{words: []string{"echo", "x{= noarg =}y"}, args: []string{"a"}, line: "echo xy", argv: []string{"echo", "xy"}, evals: 1},
		{words: []string{"echo", "{==}", "{={==}=}"}, args: []string{"a"}, line: "echo a {=a=}", evals: 1},
		{words: []string{"echo", "a{= uc =}b"}, opt: Options{Context: true}, args: []string{"x", "y"}, line: "echo aXb aYb", argv: []string{"echo", "aXb", "aYb"}, evals: 2},
		{words: []string{"echo", "{= uc =} z"}, opt: Options{Quote: true}, args: []string{"a"}, line: "echo 'A z'", argv: []string{"echo", "A z"}, evals: 1},
		{words: []string{"{= uc =}"}, opt: Options{Text: true}, args: []string{"a b"}, line: "A B", evals: 1},
		// GNU finds no other replacement string inside {= =}.
		{words: []string{"echo", "{= {} =}"}, args: []string{"a"}, line: "echo '<{} >'", argv: []string{"echo", "<{} >"}, evals: 1},
	} {
		f := &fakePerl{}
		tc.opt.Perl = f
		tp, err := Parse(tc.words, tc.opt)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.words, err)
		}
		c := tp.Expand(3, 2, tc.args)
		if c.Line != tc.line || !slices.Equal(c.Argv, tc.argv) || c.Skip != tc.skip {
			t.Errorf("%q with %q: %q %q skip %v, want %q %q skip %v", tc.words, tc.args, c.Line, c.Argv, c.Skip, tc.line, tc.argv, tc.skip)
		}
		if f.calls != tc.evals {
			t.Errorf("%q with %q: %d evaluations, want %d", tc.words, tc.args, f.calls, tc.evals)
		}
		for _, j := range f.jobs {
			if j.Seq != 3 || j.Slot != 2 || !slices.Equal(j.Args, tc.args) {
				t.Errorf("%q: the expression saw job %+v", tc.words, j)
			}
		}
	}
}

func TestPerlNeedsTotal(t *testing.T) {
	for words, want := range map[string]bool{
		"echo {= $_=total_jobs() =}": true,
		"echo {= $_=seq() =}":        false,
	} {
		tp, err := Parse(strings.Fields(words), Options{Perl: &fakePerl{}})
		if err != nil {
			t.Fatal(err)
		}
		if got := tp.NeedsTotal(); got != want {
			t.Errorf("%s: NeedsTotal %v, want %v", words, got, want)
		}
	}
	tp, err := Parse([]string{"echo", "{= x =}"}, Options{Perl: &fakePerl{}})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakePerl{}
	tp.perl = f
	tp.WithCounts(12, 4).Expand(1, 1, []string{"a"})
	if len(f.jobs) != 1 || f.jobs[0].Total != 12 {
		t.Errorf("the expression saw %+v, want a total of 12", f.jobs)
	}
}

func TestPerlMeasured(t *testing.T) {
	tp, err := Parse([]string{"echo", "{= uc =}"}, Options{Perl: &fakePerl{}, Context: true})
	if err != nil {
		t.Fatal(err)
	}
	// Each value's run: a space and the value, quoted: 'A B'.
	if got := tp.RecordLen([]string{"a b"}, 1, 1); got != len(" 'A B'") {
		t.Errorf("RecordLen = %d, want %d", got, len(" 'A B'"))
	}
}

func TestParseRpl(t *testing.T) {
	for in, want := range map[string]Rpl{
		"{..} s/a/b/;":  {Tag: "{..}", Expr: "s/a/b/;"},
		"X\tuc  ":       {Tag: "X", Expr: "uc  "},
		"Q":             {Tag: "Q"},
		"{x(\\d+)} 1 2": {Tag: "{x(\\d+)}", Expr: "1 2"},
	} {
		if got := ParseRpl(in); got != want {
			t.Errorf("ParseRpl(%q) = %+v, want %+v", in, got, want)
		}
	}
}

// echoPerl returns the code it is asked to evaluate, and the value.
type echoPerl struct{}

func (echoPerl) Eval(expr, v string, _ PerlJob) PerlResult {
	return PerlResult{Value: "[" + expr + "|" + v + "]"}
}

func TestRplExpand(t *testing.T) {
	for _, tc := range []struct {
		rpls  []Rpl
		words []string
		line  string
	}{
		{[]Rpl{{"{..}", "A"}}, []string{"{..}", "{2..}", "{..}x"}, "[A|a] [A|b] [A|b] [A|a] [A|b]x"},
		{[]Rpl{{"{g(a+)(b*)}", "$$2-$$1"}}, []string{"{-1 ga}"}, `[$_pAr_gRp1 = "a";$_pAr_gRp2 = "";$_pAr_gRp2-$_pAr_gRp1|b]`},
		{[]Rpl{{"{q(.)}", "$$1"}}, []string{`{2q$}`, `{1q"}`}, `[$_pAr_gRp1 = "\$";$_pAr_gRp1|b] [$_pAr_gRp1 = "\"";$_pAr_gRp1|a]`},
		// A tag without a brace has no positional form; one of a
		// built-in's name replaces it. Code starting with a number is
		// positional, as in GNU.
		{[]Rpl{{"X", "x"}, {"{}", "y"}}, []string{"X", "{2}", "{.}"}, "[x|a] [x|b] [y|b] a b"},
		{[]Rpl{{"X", "2"}}, []string{"X"}, "[|b]"},
		// The longer tag first, and none inside {= =}.
		{[]Rpl{{"{%}", "s"}, {"{%%}", "l"}}, []string{"{%%}", "{= {%} =}"}, "[l|a] [l|b] [{%} |a] [{%} |b]"},
	} {
		tp, err := Parse(tc.words, Options{Perl: echoPerl{}, Rpls: tc.rpls, Text: true})
		if err != nil {
			t.Fatalf("Parse(%q) with %+v: %v", tc.words, tc.rpls, err)
		}
		if line := tp.Expand(1, 1, []string{"a", "b"}).Line; line != tc.line {
			t.Errorf("%q with %+v:\n got %s\nwant %s", tc.words, tc.rpls, line, tc.line)
		}
	}
	if _, err := Parse([]string{"{x}"}, Options{Perl: echoPerl{}, Rpls: []Rpl{{"{x(*)}", "1"}}}); err == nil {
		t.Error("an --rpl whose regular expression does not compile was taken")
	}
	if _, err := Parse([]string{"echo"}, Options{Rpls: []Rpl{{"X", "1"}}}); !errors.Is(err, ErrPerlExpr) {
		t.Errorf("--rpl without an evaluator: %v, want ErrPerlExpr", err)
	}
}

func TestGlued(t *testing.T) {
	tp, err := Parse([]string{"<{}> {1}{#}"}, Options{Text: true, Glued: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := tp.Expand(3, 1, []string{"a", "b c"}).Line; got != "<ab c> a3" {
		t.Errorf("glued: %q, want the values with nothing between them", got)
	}
}
