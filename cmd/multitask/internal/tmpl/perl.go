package tmpl

import (
	"strings"
)

// Perl evaluates the Perl code of {= expr =} (see Options.Perl).
type Perl interface {
	// Eval runs expr with $_ set to v for the job j and returns $_. An
	// expression that fails makes the evaluator fail, for the caller to
	// see; Eval then returns the zero PerlResult.
	Eval(expr, v string, j PerlJob) PerlResult
}

// PerlJob is what an expression sees of its job.
type PerlJob struct {
	Seq, Slot int
	Total     int      // the number of jobs, for total_jobs(); 0 if not counted
	Args      []string // the job's values: $arg[1] is Args[0]
}

// PerlResult is the value of an expression for one value.
type PerlResult struct {
	Value string
	// Unquoted is set when the code called uq(): the value goes into the
	// command as it is, for the shell to read.
	Unquoted bool
	// Skip is set when the code called skip(): the job does not run.
	Skip bool
}

// kPerl is {= expr =} and its positional form {=N expr =}.
const kPerl kind = 200

// HasPerlExpr reports whether the words, joined as GNU joins them when a
// {= is left open, hold a {= expr =}.
func HasPerlExpr(words ...string) bool {
	s := strings.Join(words, " ")
	i := strings.Index(s, "{=")
	return i >= 0 && strings.Contains(s[i+2:], "=}")
}

// mergePerlWords joins a word whose {= has no =} with the words after it,
// with spaces, until it has: GNU reads {= $_ =} given as three words as
// one replacement string.
func mergePerlWords(words []string) []string {
	out := make([]string, 0, len(words))
	for i := 0; i < len(words); i++ {
		w := words[i]
		for leftOpen(w) && i+1 < len(words) {
			i++
			w += " " + words[i]
		}
		out = append(out, w)
	}
	return out
}

// leftOpen reports whether s holds a {= that no =} closes, once each
// closed pair is taken out, the last {= first (GNU's
// s/(.*){=.*?=}/$1/ repeated).
func leftOpen(s string) bool {
	for {
		closed := false
		for i := strings.LastIndex(s, "{="); i >= 0; i = strings.LastIndex(s[:i], "{=") {
			if k := strings.Index(s[i+2:], "=}"); k >= 0 {
				s = s[:i] + s[i+2+k+2:]
				closed = true
				break
			}
		}
		if !closed {
			return strings.Contains(s, "{=")
		}
	}
}

// perlMatcher finds the leftmost {= expr =} whose expr holds neither {=
// nor =}, as GNU finds them: the nearest =} after a {=, which closes the
// last {= before it. An expr starting with a number N, other than 0, is
// positional: it runs on the job's N-th value.
func perlMatcher(s string) (int, int, rpl, bool) {
	for from := 0; ; {
		k := strings.Index(s[from:], "=}")
		if k < 0 {
			return 0, 0, rpl{}, false
		}
		k += from
		if i := strings.LastIndex(s[:k], "{="); i >= 0 && i >= from {
			return i, k + 2, newPerl(s[i+2 : k]), true
		}
		from = k + 1
	}
}

// newPerl reads the inside of {= =}: an optional position, then the
// expression, from which GNU strips the blanks before it.
func newPerl(inside string) rpl {
	start := 0
	if strings.HasPrefix(inside, "-") {
		start = 1
	}
	end := start
	for end < len(inside) && inside[end] >= '0' && inside[end] <= '9' {
		end++
	}
	if end == start {
		end = 0 // no number
	}
	r := rpl{kind: kPerl}
	if end > 0 {
		r = newPositional(kPerl, inside[:end])
	}
	r.text = strings.TrimLeft(inside[end:], " ")
	return r
}

// perlKey names an expression's value for one of a job's values: GNU
// evaluates an expression once per value, however often the command
// holds it.
type perlKey struct {
	expr string
	at   int
}

// skipKey records in a job's cache of values that an expression called
// skip(), at an index no value has.
var skipKey = perlKey{expr: "", at: -1}

// evalPerl evaluates r for the value at index at of args, once per job
// when cache is not nil.
func (t *Template) evalPerl(r rpl, at int, args []string, n jobNums, cache map[perlKey]PerlResult) PerlResult {
	k := perlKey{r.text, at}
	if res, ok := cache[k]; ok {
		return res
	}
	res := t.perl.Eval(r.text, args[at], PerlJob{Seq: n.seq, Slot: n.slot, Total: n.total, Args: args})
	if cache != nil {
		cache[k] = res
	}
	return res
}
