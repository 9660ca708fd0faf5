package tmpl

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strings"
)

// Options says how [Parse] reads a template. The zero value is GNU
// parallel's default.
type Options struct {
	// Replace is the string that stands for {} (-I, -i, --replace). Empty
	// means "{}". Like GNU, the new string takes over {}'s positional form
	// {N} only when it starts with a brace ({x} gives {1x}), and {} is
	// then plain text.
	Replace string
	// Quote is -q: each command word, with its values inserted, is quoted
	// as one shell word instead of the values alone.
	Quote bool
	// Shell is --shell: commands always run through the shell, so
	// [Command.Argv] is always nil.
	Shell bool
	// Names are the column names of --header, in column order: {name},
	// {name/}, {name//}, {name.} and {name/.} stand for {N}, {N/}, ... of
	// the name's column N. A {word} that names no column stays plain text,
	// as in GNU (which reports no error for it).
	Names []string
	// Context is context replace: the run of text around a replacement
	// string, up to a blank or the word's end, is repeated once per value
	// (-X). GNU also turns it on for -N, and for -L without -m or
	// --xargs, so the caller sets it for those too.
	Context bool
	// Multi is -m. It changes only which values form a job, the input
	// reader's business: {} already inserts all of a job's values,
	// separated by spaces, so the template expands as without it.
	Multi bool
	// Env is the environment commands run in, as os.Environ returns it;
	// nil means the current process's. When it sets BASH_ENV or exports
	// command_not_found_handle, or when a command's first word names a
	// function that bash exports in it (BASH_FUNC_name%%, as export -f
	// makes), the command runs through the shell, which GNU users rely on
	// to call their functions.
	Env []string
	// Text makes a template of text rather than of a command, as
	// --tagstring's: values go in as they are, never quoted, and none are
	// appended when it holds no replacement string.
	Text bool
	// Plus adds GNU's --plus replacement strings: {+/} {+.} {+..} {+...}
	// {..} {...} {/..} {/...}; {##} {0#} {0%}, which need the counts of
	// [Template.WithCounts]; and those that take an argument ({%re},
	// {/re/str} and the others after bash's), whose regular expressions
	// are Go's. {^re} is then GNU's upper-casing, not {^suffix}.
	Plus bool
	// Perl evaluates {= expr =}, and the strings of Rpls; without it,
	// Parse refuses them with ErrPerlExpr.
	Perl Perl
	// Rpls are the replacement strings of --rpl, each standing for a
	// {= expr =}.
	Rpls []Rpl
	// Parens are the brackets of {= expr =} (--parens); the zero value
	// is {= and =}.
	Parens Parens
	// Glued puts the values a replacement string inserts together, with
	// no space between them: GNU parallel's --template files, which it
	// prints as a list.
	Glued bool
	// Renames give built-in replacement strings other names, in turn, as
	// --er, --bnr, --dnr, --bner, --seqreplace and --slotreplace do (and
	// Replace for {}): {.} renamed XX is XX, and {.} plain text.
	Renames []Rename
}

// Rename gives the built-in replacement string Old the name New.
type Rename struct{ Old, New string }

// A Template is a parsed command template. It is immutable, so one
// Template may expand commands from many goroutines at once.
type Template struct {
	items    []item
	hasRpl   bool
	quote    bool // -q
	glued    bool // no space between a replacement string's values
	quoteArg bool
	context  bool // -X's context replace
	// direct is set when commands may skip the shell, subject to the
	// checks on their first words made by Expand.
	direct bool
	funcs  map[string]bool
	// litLen, groupLen and rpls size a command: its literal bytes, those
	// repeated for each value, and how many replacement strings it holds.
	litLen   int
	groupLen int
	rpls     int
	// also are replacement strings of other templates that BaseLen and
	// RecordLen count as GNU does (see MeasureAlso).
	also []rpl
	// total and slots are the number of jobs and of job slots, for {##},
	// {0#} and {0%} (see WithCounts).
	total, slots int
	perl         Perl // for {= =}
}

// NeedsTotal reports whether t holds {##} or {0#}, which insert the
// number of jobs: the caller must count them first, and give the number to
// [Template.WithCounts].
func (t *Template) NeedsTotal() bool {
	return slices.ContainsFunc(t.rplSet(), func(r rpl) bool {
		return r.kind == kTotal || r.kind == kSeqPadded || r.kind == kPerl && strings.Contains(r.text, "total_jobs")
	})
}

// WithCounts returns t with the number of jobs, for {##} and {0#}, and of
// job slots, for {0%}.
func (t *Template) WithCounts(total, slots int) *Template {
	u := *t
	u.total, u.slots = total, slots
	return &u
}

// itemOp says what an item adds to a command.
type itemOp uint8

const (
	opLit   itemOp = iota // literal text
	opSep                 // the unquoted space between command words
	opGroup               // parts repeated for every value
)

type item struct {
	op    itemOp
	lit   string
	parts []part
	// every is set when a group holds a replacement string standing for
	// each value in turn; otherwise the group is inserted once.
	every bool
}

// Parse reads a template: the command words of a command line (words
// before ::: and its kin). It fails with [ErrPerlExpr] for {= =} or
// Options.Rpls without Options.Perl, for an Rpl whose regular expression
// does not compile, and for nothing else: like GNU, it leaves text that is
// no replacement string as it is. With no replacement string the template ends with {} as a word of
// its own, as GNU appends the values; with no words at all the values are
// the command.
func Parse(words []string, opt Options) (*Template, error) {
	if len(opt.Names) > 0 {
		renamed := make([]string, len(words))
		for i, w := range words {
			renamed[i] = renameColumns(w, opt.Names)
		}
		words = renamed
	}
	var perl *Parens
	if parens := opt.Parens.orDefault(); parens.Has(words...) {
		perl = &parens
	}
	if (perl != nil || len(opt.Rpls) > 0) && opt.Perl == nil {
		return nil, fmt.Errorf("tmpl: parse %q: %w", strings.Join(words, " "), ErrPerlExpr)
	}
	if perl != nil {
		words = perl.merge(words)
	}
	names, err := rplNames(opt.Replace, opt.Plus, opt.Renames, opt.Rpls)
	if err != nil {
		return nil, err
	}
	segs := make([][]part, len(words), len(words)+1)
	t := &Template{quote: opt.Quote, context: opt.Context, perl: opt.Perl, glued: opt.Glued}
	for i, w := range words {
		segs[i] = segment(w, names, opt.Plus, perl)
		for _, p := range segs[i] {
			t.hasRpl = t.hasRpl || p.isRpl
		}
	}
	if !t.hasRpl && !opt.Text {
		segs = append(segs, []part{{r: rpl{kind: kValue}, isRpl: true}})
	}
	t.quoteArg = !opt.Quote && !opt.Text && !rplInFirstWord(segs[0])
	t.items = buildItems(segs, opt.Context)
	for _, it := range t.items {
		t.litLen += len(it.lit)
		if it.op == opSep {
			t.litLen++
		}
		for _, p := range it.parts {
			t.groupLen += len(p.lit)
			if p.isRpl {
				t.rpls++
			}
		}
	}
	env := opt.Env
	if env == nil {
		env = os.Environ()
	}
	funcs, bashEnv := shellFuncs(env)
	t.funcs = funcs
	// bash hands a command it cannot find to command_not_found_handle.
	bashEnv = bashEnv || funcs["command_not_found_handle"]
	t.direct = !opt.Shell && !bashEnv && (opt.Quote || t.quoteArg && t.plainText())
	return t, nil
}

// rplInFirstWord reports whether a replacement string comes before any
// blank or = in the first word. GNU then inserts values unquoted, as they
// are (part of) the command to run: parallel {} ::: "echo a b".
func rplInFirstWord(first []part) bool {
	for _, p := range first {
		if p.isRpl {
			return true
		}
		if strings.ContainsAny(p.lit, " \t\n=") {
			return false
		}
	}
	return false
}

// buildItems turns words into items, putting replacement strings into the
// groups GNU repeats: the replacement string alone, or with -X the run of
// text around it up to a space, a tab or the word's end. A tab, in GNU,
// ends one such run and starts the next.
func buildItems(segs [][]part, context bool) []item {
	var items []item
	addLit := func(s string) {
		if n := len(items); n > 0 && items[n-1].op == opLit {
			items[n-1].lit += s
			return
		}
		items = append(items, item{op: opLit, lit: s})
	}
	var group []part
	flush := func() {
		rpls, every := 0, false
		for _, p := range group {
			if p.isRpl {
				rpls++
				every = every || !p.r.positional
			}
		}
		if rpls == 0 {
			for _, p := range group {
				addLit(p.lit)
			}
		} else {
			items = append(items, item{op: opGroup, parts: group, every: every})
		}
		group = nil
	}
	for i, parts := range segs {
		if i > 0 {
			if context {
				flush()
			}
			items = append(items, item{op: opSep})
		}
		if len(parts) == 0 {
			addLit("") // an empty word stays an empty word
			continue
		}
		for _, p := range parts {
			switch {
			case !context && p.isRpl:
				items = append(items, item{op: opGroup, parts: []part{p}, every: !p.r.positional})
			case !context:
				addLit(p.lit)
			case p.isRpl:
				group = append(group, p)
			default:
				for _, tok := range splitBlanks(p.lit) {
					switch tok {
					case " ":
						flush()
						addLit(" ")
					case "\t":
						flush()
						group = append(group, part{lit: tok})
					default:
						group = append(group, part{lit: tok})
					}
				}
			}
		}
	}
	if context {
		flush()
	}
	return items
}

// splitBlanks splits s into runs without Perl whitespace and single
// whitespace bytes, as GNU tokenizes command words.
func splitBlanks(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if isPerlSpace(s[i]) {
			if i > start {
				out = append(out, s[start:i])
			}
			out = append(out, s[i:i+1])
			start = i + 1
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// HasReplacement reports whether the template's words hold a replacement
// string. When they do not, GNU appends the values to the command, and so
// does [Template.Expand].
func (t *Template) HasReplacement() bool { return t.hasRpl }

// BaseLen is, with [Template.RecordLen], the length GNU parallel
// measures a command line by when -m, -X or --xargs fill it: the line of
// some records measures BaseLen plus each record's RecordLen. It is the
// text outside the runs that repeat, less the space before the first run.
func (t *Template) BaseLen() int {
	if !t.context {
		return t.litLen - t.rpls - len(t.also)
	}
	n := t.litLen
	for _, it := range t.items {
		if it.op != opGroup {
			continue
		}
		n-- // no space before the first value's run
		for _, p := range it.parts {
			if p.lit == "\t" {
				n++ // GNU measures a tab as text outside the runs
			}
		}
	}
	return n
}

// RecordLen is what rec, a record of values, adds to a command line's
// length as GNU parallel measures it when -m, -X or --xargs puts the record
// after others: each replacement string's values as they would be inserted,
// whether or not the line shows them ({1} shows only the first record's),
// and for each of rec's values a space before each replacement string, or
// with context replace (-X) the text around each run holding one and a
// space before it; a tab in such a run, GNU measures as text outside it.
// The replacement strings of [Template.MeasureAlso] count as well. Under
// -q, GNU measures the line with nothing quoted and triples it: that is
// the caller's, with a template of Options.Text.
//
// GNU counts the spaces and the text around runs for width values per
// record, width being the number of values in the first record of the
// line: records of --colsep may differ in width. {#} counts as seq, the
// number of the job the line is for, and {%} as the first slot.
func (t *Template) RecordLen(rec []string, width, seq int) int {
	n, total := width, 0
	for i := range t.items {
		it := &t.items[i]
		if it.op != opGroup {
			continue
		}
		for _, p := range it.parts {
			switch {
			case p.isRpl:
				total += t.valuesLen(p.r, rec, seq)
				if !t.context {
					total += n
				}
			case t.context && p.lit != "\t":
				total += n * len(p.lit)
			}
		}
		if t.context {
			total += n
		}
	}
	for _, r := range t.also {
		total += t.valuesLen(r, rec, seq)
		if !t.context {
			total += n
		}
	}
	return total
}

// valuesLen is the length of r's values for rec as the line would insert
// them: a positional string's one value, or every value of rec.
func (t *Template) valuesLen(r rpl, rec []string, seq int) int {
	n := jobNums{seq: seq, slot: 1, total: t.total, slots: t.slots}
	if r.positional {
		if j, ok := r.index(len(rec)); ok {
			v, st := t.value(r, j, rec, n, nil)
			return t.insertedLen(v, st)
		}
		return 0
	}
	total := 0
	for j := range rec {
		v, st := t.value(r, j, rec, n, nil)
		total += t.insertedLen(v, st)
	}
	return total
}

// MeasureAlso returns t with the replacement strings of others, those the
// command does not hold, counted in [Template.BaseLen] and
// [Template.RecordLen], once each, as inserted into the command. GNU
// parallel counts so those of --tagstring (--tag's {}) and --results, and
// {} for --bar, in the length of the command lines that -m and -X fill,
// though the line shows none of them. When the command holds no
// replacement string at all, GNU counts them beside the {} it appends,
// even a {} of their own.
func (t *Template) MeasureAlso(others ...*Template) *Template {
	mine := t.rplSet()
	if !t.hasRpl {
		mine = nil // only the {} appended
	}
	u := *t
	u.also = nil
	for _, o := range others {
		u.perl = cmp.Or(u.perl, o.perl)
		for _, r := range o.rplSet() {
			if !slices.Contains(mine, r) && !slices.Contains(u.also, r) {
				u.also = append(u.also, r)
			}
		}
	}
	return &u
}

// rplSet is the replacement strings t holds, each once.
func (t *Template) rplSet() []rpl {
	var set []rpl
	for _, it := range t.items {
		for _, p := range it.parts {
			if p.isRpl && !slices.Contains(set, p.r) {
				set = append(set, p.r)
			}
		}
	}
	return set
}

// insertedLen is the length of value v in a command line.
func (t *Template) insertedLen(v string, st state) int {
	switch {
	case st == vNone:
		return 0
	case t.quoteArg && st == vValue:
		return len(Quote(v))
	}
	return len(v)
}

// A Command is a template expanded for one job.
type Command struct {
	// Line is the command line as GNU parallel composes it, values quoted
	// for a Bourne shell as GNU quotes them: what --dry-run prints and
	// the joblog's Command column holds.
	Line string
	// Argv, when not nil, is the command to execute without a shell:
	// Line split into words as sh would split it, with the values in
	// place. Executing it has the stdout and exit status of running Line
	// with sh -c (sh, dash or bash); only the wording of error messages
	// may differ. Where executing it fails, the caller does what the shell
	// does: exit status 127 for a command not found, 126 for one that
	// cannot be executed, and a file without a #! line that exec refuses
	// (ENOEXEC) is run by the shell as a script. It is nil when Line needs
	// the shell: shell syntax in the command words, values inserted
	// unquoted, a first word that is a keyword or a builtin (echo and
	// printf run directly when their arguments make them behave as the
	// builtins do), an exported function, or Options.Shell.
	Argv []string
	// Skip is set when a {= =} expression called skip(): GNU parallel
	// does not run the job, and logs it with exit value -2.
	Skip bool
}

// emptyArgs stands for a job without values: GNU then expands every
// replacement string as for one empty value.
var emptyArgs = []string{""}

// Expand expands the template for one job: seq is its sequence number
// ({#}), slot its job slot ({%}) and args its values in order ({1} is
// args[0]; {} is all of them, each quoted, separated by spaces). A value
// equal to [NoArg] inserts nothing. Expand is safe for concurrent use.
func (t *Template) Expand(seq, slot int, args []string) Command {
	if len(args) == 0 {
		args = emptyArgs
	}
	e := expander{t: t, direct: t.direct}
	values := 0
	for _, a := range args {
		values += len(a) + 3 // quotes and a space
	}
	size := t.litLen + t.groupLen*len(args) + t.rpls*values
	e.line.Grow(size)
	if e.direct {
		e.words.Grow(size)
	}
	for i := range t.items {
		it := &t.items[i]
		switch it.op {
		case opLit:
			e.lit(it.lit)
		case opSep:
			e.sep()
		case opGroup:
			for j := range args {
				if j > 0 && !t.glued {
					e.sep()
				}
				for _, p := range it.parts {
					if !p.isRpl {
						e.lit(p.lit)
						continue
					}
					if p.r.kind == kPerl && e.perl == nil {
						e.perl = map[perlKey]PerlResult{}
					}
					v, st := t.value(p.r, j, args, jobNums{seq: seq, slot: slot, total: t.total, slots: t.slots}, e.perl)
					e.value(v, st)
				}
				if !it.every {
					break
				}
			}
		}
	}
	return e.finish()
}

// value computes what r inserts for the j-th value of a job with values
// args. A {= =} expression is evaluated once per value when cache is not
// nil, and a skip() it calls is recorded there.
func (t *Template) value(r rpl, j int, args []string, n jobNums, cache map[perlKey]PerlResult) (string, state) {
	if r.positional {
		i, ok := r.index(len(args))
		if !ok {
			return "", vEmpty
		}
		j = i
	}
	var v string
	st := vValue
	if r.kind == kPerl {
		res := t.evalPerl(r, j, args, n, cache)
		v = res.Value
		if res.Unquoted {
			st = vRaw
		}
		if res.Skip && cache != nil {
			cache[skipKey] = res
		}
	} else {
		v = r.compute(args[j], n)
	}
	if v == NoArg {
		return "", vNone
	}
	return v, st
}

// expander builds a Command from the template's items.
type expander struct {
	t    *Template
	line strings.Builder
	// perl holds the values of {= =} expressions, for this job only.
	perl map[perlKey]PerlResult
	// With -q, group holds the raw text of the current command word and
	// tokens whether it has any (a word of only NoArg values is dropped).
	group  []byte
	tokens bool
	groups int
	// direct says whether Argv is built: words holds its words, each
	// ended by a NUL byte (which no argument can hold), n counts them, and
	// inWord says whether the current word has begun (an inserted empty
	// value begins one, as its quotes do for the shell).
	direct bool
	words  strings.Builder
	n      int
	inWord bool
}

func (e *expander) lit(s string) {
	if e.t.quote {
		e.group = append(e.group, s...)
		e.tokens = true
		return
	}
	e.line.WriteString(s)
	if !e.direct {
		return
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ' ' || c == '\t' {
			e.endWord()
		} else {
			e.words.WriteByte(c)
			e.inWord = true
		}
	}
}

func (e *expander) value(v string, st state) {
	if st == vNone {
		return
	}
	if e.t.quote {
		e.group = append(e.group, v...)
		e.tokens = true
		return
	}
	if st == vEmpty {
		return
	}
	if st == vRaw {
		// Shell code, for the shell to read.
		e.line.WriteString(v)
		e.direct = false
		return
	}
	if e.t.quoteArg {
		appendQuote(&e.line, v)
	} else {
		e.line.WriteString(v)
	}
	if e.direct {
		e.words.WriteString(v)
		e.inWord = true
	}
}

func (e *expander) sep() {
	if e.t.quote {
		e.flushGroup()
		return
	}
	e.line.WriteByte(' ')
	if e.direct {
		e.endWord()
	}
}

func (e *expander) endWord() {
	if e.inWord {
		e.words.WriteByte(0)
		e.n++
		e.inWord = false
	}
}

// flushGroup ends a command word under -q: GNU quotes it as a whole.
func (e *expander) flushGroup() {
	if !e.tokens {
		return
	}
	if e.groups > 0 {
		e.line.WriteByte(' ')
	}
	appendQuote(&e.line, string(e.group))
	if e.direct {
		e.words.Write(e.group)
		e.words.WriteByte(0)
		e.n++
	}
	e.groups++
	e.group = e.group[:0]
	e.tokens = false
}

func (e *expander) finish() Command {
	if e.t.quote {
		e.flushGroup()
	} else if e.direct {
		e.endWord()
	}
	_, skip := e.perl[skipKey]
	c := Command{Line: e.line.String(), Skip: skip}
	all := e.words.String()
	// A NUL byte inside a value cannot be passed to exec; the count shows it.
	if !e.direct || e.n == 0 || strings.Count(all, "\x00") != e.n {
		return c
	}
	argv := make([]string, e.n)
	for i := range argv {
		end := strings.IndexByte(all, 0)
		argv[i], all = all[:end], all[end+1:]
	}
	if runsAlike(argv, e.t.quote, e.t.funcs) {
		c.Argv = argv
	}
	return c
}
