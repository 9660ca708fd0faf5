package tmpl

import (
	"fmt"
	"regexp"
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

// Parens are the brackets of a Perl expression: {= and =} unless
// --parens changes them.
type Parens struct{ Left, Right string }

// DefaultParens are GNU parallel's.
var DefaultParens = Parens{"{=", "=}"}

// ParseParens reads the value of --parens: the left and the right
// bracket, each half of it, as GNU splits it.
func ParseParens(s string) (Parens, error) {
	if len(s) < 2 {
		return Parens{}, fmt.Errorf("tmpl: --parens %q: give the left and the right bracket, such as {==}", s)
	}
	return Parens{s[:len(s)/2], s[len(s)/2:]}, nil
}

func (p Parens) orDefault() Parens {
	if p.Left == "" {
		return DefaultParens
	}
	return p
}

// Has reports whether the words, joined as GNU joins them when a left
// bracket is left open, hold a Perl expression.
func (p Parens) Has(words ...string) bool {
	p = p.orDefault()
	s := strings.Join(words, " ")
	i := strings.Index(s, p.Left)
	return i >= 0 && strings.Contains(s[i+len(p.Left):], p.Right)
}

// merge joins a word whose left bracket has no right one with the words
// after it, with spaces, until it has: GNU reads {= $_ =} given as three
// words as one replacement string.
func (p Parens) merge(words []string) []string {
	out := make([]string, 0, len(words))
	for i := 0; i < len(words); i++ {
		w := words[i]
		for p.leftOpen(w) && i+1 < len(words) {
			i++
			w += " " + words[i]
		}
		out = append(out, w)
	}
	return out
}

// leftOpen reports whether s holds a left bracket that no right one
// closes, once each closed pair is taken out, the last left one first
// (GNU's s/(.*)$l.*?$r/$1/ repeated).
func (p Parens) leftOpen(s string) bool {
	for {
		closed := false
		for i := strings.LastIndex(s, p.Left); i >= 0; i = strings.LastIndex(s[:i], p.Left) {
			if k := strings.Index(s[i+len(p.Left):], p.Right); k >= 0 {
				s = s[:i] + s[i+len(p.Left)+k+len(p.Right):]
				closed = true
				break
			}
		}
		if !closed {
			return strings.Contains(s, p.Left)
		}
	}
}

// matcher finds the leftmost expression as GNU's regular expression
// L((?:(?!L|R).)*?)R finds it: from a left bracket, the code up to the
// first right bracket, provided no bracket starts inside the code. Code
// starting with a number N, other than 0, is positional: it runs on the
// job's N-th value.
func (p Parens) matcher() matcher {
	return func(s string) (int, int, rpl, bool) {
		for i := 0; ; i++ {
			j := strings.Index(s[i:], p.Left)
			if j < 0 {
				return 0, 0, rpl{}, false
			}
			i += j
			code := i + len(p.Left)
			for q := code; q <= len(s); q++ {
				if strings.HasPrefix(s[q:], p.Right) {
					return i, q + len(p.Right), newPerl(s[code:q]), true
				}
				if strings.HasPrefix(s[q:], p.Left) {
					break
				}
			}
		}
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

// Rpl is a replacement string of --rpl: Tag stands for {= Expr =}. A Tag
// may hold a group of a regular expression, from its first ( to its last
// ), as {/(.+?)/(.*)} does; what the groups match is then $$1, $$2 ... in
// Expr. A Tag starting with a brace has a positional form too: {2tag}
// works on the second value.
type Rpl struct {
	Tag, Expr string
}

// ParseRpl reads the value of --rpl: the tag, a blank, and the Perl
// expression.
func ParseRpl(s string) Rpl {
	for i := 0; i < len(s); i++ {
		if isPerlSpace(s[i]) {
			return Rpl{Tag: s[:i], Expr: s[i+1:]}
		}
	}
	return Rpl{Tag: s}
}

// userRpl is an Rpl ready to be found in command words.
type userRpl struct {
	plain, positional *regexp.Regexp // positional is nil unless Tag starts with {
	expr              string         // with $$N written as GNU's variables
}

// groupRef is $$N, which GNU turns into the variable of the N-th group.
var groupRef = regexp.MustCompile(`\$\$(\d+)`)

// compileRpl makes the regular expressions that find r: its tag, with the
// group of regular expression it may hold, and its positional form.
func compileRpl(r Rpl) (*userRpl, error) {
	prefix, group, postfix := r.Tag, "", ""
	if open, end := strings.IndexByte(r.Tag, '('), strings.LastIndexByte(r.Tag, ')'); open >= 0 && end > open {
		prefix, group, postfix = r.Tag[:open], r.Tag[open:end+1], r.Tag[end+1:]
	}
	u := &userRpl{expr: groupRef.ReplaceAllString(r.Expr, `$$_pAr_gRp$1`)}
	var err error
	if u.plain, err = regexp.Compile(regexp.QuoteMeta(prefix) + group + regexp.QuoteMeta(postfix)); err != nil {
		return nil, fmt.Errorf("tmpl: --rpl %q: %w", r.Tag, err)
	}
	if rest, ok := strings.CutPrefix(prefix, "{"); ok {
		u.positional = regexp.MustCompile(`\{(-?\d+)\s*` + regexp.QuoteMeta(rest) + group + regexp.QuoteMeta(postfix))
	}
	return u, nil
}

// matcher finds u, or its positional form, as GNU does: the code GNU
// writes for it is the position, an assignment of each group's match to
// its variable, quoted for Perl, and the expression.
func (u *userRpl) matcher(positional bool) matcher {
	re := u.plain
	if positional {
		re = u.positional
	}
	return func(s string) (int, int, rpl, bool) {
		m := re.FindStringSubmatchIndex(s)
		if m == nil {
			return 0, 0, rpl{}, false
		}
		var code strings.Builder
		first := 1
		if positional {
			code.WriteString(s[m[2]:m[3]])
			first = 2
		}
		for g := first; 2*g < len(m) && m[2*g] >= 0; g++ {
			fmt.Fprintf(&code, `$_pAr_gRp%d = "%s";`, g-first+1, perlQuote(s[m[2*g]:m[2*g+1]]))
		}
		code.WriteString(u.expr)
		return m[0], m[1], newPerl(code.String()), true
	}
}

// perlQuote is GNU's perl_quote_scalar: \, ", $ and @ escaped, for a
// string in double quotes.
func perlQuote(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\\' || c == '"' || c == '$' || c == '@' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
