package tmpl

import (
	"errors"
	"slices"
	"sync"
	"testing"
)

// TestExpandLine checks each command line against the one GNU parallel
// printed for it (TestGNUDryRun compares with GNU itself where it is
// installed).
func TestExpandLine(t *testing.T) {
	for _, c := range gnuCases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if len(c.want) != len(c.jobs) {
				t.Fatalf("case has %d jobs and %d lines", len(c.jobs), len(c.want))
			}
			for i, cmd := range expandAll(t, c) {
				if cmd.Line != c.want[i] {
					t.Errorf("%q with %q: got %q, want %q", c.words, c.jobs[i], cmd.Line, c.want[i])
				}
			}
		})
	}
}

func TestQuote(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "''"},
		{"abc", "abc"},
		{"-_.+/AZaz09", "-_.+/AZaz09"},
		{"a b", "'a b'"},
		{"it's", `'it'"'"'s'`},
		{"'", `"'"`},
		{"''", `"'"''"'"`},
		{"'a'", `"'"'a'"'"`},
		{"a'", `'a'"'"`},
		{"'a", `"'"'a'`},
		{"a''b", `'a'"'"''"'"'b'`},
		{"é", "'é'"},
		{"\n", "'\n'"},
		{"a=b", "'a=b'"},
		{"@%,:", "'@%,:'"},
	} {
		if got := Quote(c.in); got != c.want {
			t.Errorf("Quote(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseRefusesPerl(t *testing.T) {
	for _, words := range [][]string{
		{"echo", "{= s/a/b/ =}"},
		{"echo", "{==}"},
		{"echo", "{=", "$_", "=}"},
		{"echo", "{=1 $_ =}"},
		{"echo", "{=f uc =}"},
	} {
		_, err := Parse(words, Options{Names: []string{"f"}})
		if !errors.Is(err, ErrPerlExpr) {
			t.Errorf("Parse(%q): %v, want ErrPerlExpr", words, err)
		}
	}
	for _, words := range [][]string{
		{"echo", "{="},
		{"echo", "=}", "{="},
		{"echo", "{=}"},
		{"echo", "{unknown}"},
	} {
		if _, err := Parse(words, Options{Names: []string{"f"}}); err != nil {
			t.Errorf("Parse(%q): %v", words, err)
		}
	}
}

func TestHasReplacement(t *testing.T) {
	for _, c := range []struct {
		words []string
		opt   Options
		want  bool
	}{
		{nil, Options{}, false},
		{[]string{"echo"}, Options{}, false},
		{[]string{"echo", "{}"}, Options{}, true},
		{[]string{"echo", "x{/.}y"}, Options{}, true},
		{[]string{"echo", "{3}"}, Options{}, true},
		{[]string{"echo", "{#}"}, Options{}, true},
		{[]string{"echo", "{foo}"}, Options{}, false},
		{[]string{"echo", "{foo}"}, Options{Names: []string{"foo"}}, true},
		{[]string{"echo", "{}"}, Options{Replace: "XX"}, false},
		{[]string{"echo", "{.}"}, Options{Replace: "XX"}, true},
		{[]string{"echo", "aXXb"}, Options{Replace: "XX"}, true},
		{[]string{"echo", "{^.gz}"}, Options{}, true},
	} {
		tp, err := Parse(c.words, c.opt)
		if err != nil {
			t.Fatal(err)
		}
		if got := tp.HasReplacement(); got != c.want {
			t.Errorf("Parse(%q, %+v).HasReplacement() = %v, want %v", c.words, c.opt, got, c.want)
		}
	}
}

// TestTrimSuffix covers {^suffix}, which GNU parallel does not have.
func TestTrimSuffix(t *testing.T) {
	for _, c := range []struct {
		words []string
		args  []string
		want  string
	}{
		{[]string{"gunzip", "-c", "{}", ">{^.gz}"}, []string{"a b.gz"}, "gunzip -c 'a b.gz' >'a b'"},
		{[]string{"echo", "{^.gz}"}, []string{"a.tar"}, "echo a.tar"},
		{[]string{"echo", "{^.gz}"}, []string{"a.gz.gz"}, "echo a.gz"},
		{[]string{"echo", "{^a.gz}"}, []string{"a.gz"}, "echo ''"},
		{[]string{"echo", "{2^.gz}", "{-1 ^z}", "{9^z}"}, []string{"a.gz", "b.gz"}, "echo b b.g "},
		{[]string{"echo", "{^.gz}"}, []string{"a.gz", "b.gz"}, "echo a b"},
		{[]string{"echo", "{^}", "{^}}"}, []string{"a"}, "echo {^} {^}} a"},
		{[]string{"echo", "{^{}}"}, []string{"a"}, "echo {^a}"},
		{[]string{"echo", "x", "{^x}"}, []string{NoArg}, "echo x "},
	} {
		tp, err := Parse(c.words, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := tp.Expand(1, 1, c.args).Line; got != c.want {
			t.Errorf("%q with %q: got %q, want %q", c.words, c.args, got, c.want)
		}
	}
}

// TestPlus covers --plus's replacement strings, whose values GNU parallel
// 20221122 gives for the same values: {} = {+/}/{/} = {.}.{+.} =
// {..}.{+..} = {...}.{+...} where the parts exist.
func TestPlus(t *testing.T) {
	for _, c := range []struct {
		word, arg, want string
	}{
		{"{+/}|{/}", "a/b/c.d", "a/b|c.d"},
		{"{+/}|{/}", "c", "|c"},
		{"{+/}|{/}", "/r", "|r"},
		{"{.}|{+.}", "a/b.c.d.e", "a/b.c.d|e"},
		{"{.}|{+.}", "x.y/z", "x.y/z|y/z"},
		{"{..}|{+..}", "a/b.c.d.e", "a/b.c|d.e"},
		{"{..}|{+..}", "a.b", "a.b|"},
		{"{...}|{+...}", "a/b.c.d.e", "a/b|c.d.e"},
		{"{/..}|{/...}", ".hid/q.tar.gz", "q|q.tar.gz"},
		{"{1+.}|{2..}", "", "|"},
	} {
		tp, err := Parse([]string{c.word}, Options{Plus: true, Text: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := tp.Expand(1, 1, []string{c.arg}).Line; got != c.want {
			t.Errorf("%s of %q: got %q, want %q", c.word, c.arg, got, c.want)
		}
	}
	// The counts: {##} jobs, {0#} and {0%} as wide as them.
	tp, err := Parse([]string{"{##}", "{0#}", "{0%}", "{#}"}, Options{Plus: true})
	if err != nil {
		t.Fatal(err)
	}
	if !tp.NeedsTotal() {
		t.Error("NeedsTotal of {##} {0#}: false")
	}
	if got := tp.WithCounts(120, 12).Expand(7, 3, []string{"a"}).Line; got != "120 007 03 7" {
		t.Errorf("{##} {0#} {0%%} {#} of job 7 of 120 in slot 3 of 12: %q", got)
	}
	// Without --plus they are text, or other strings.
	tp, err = Parse([]string{"{..}{+.}{##}"}, Options{Text: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := tp.Expand(1, 1, []string{"a"}).Line; got != "{..}{+.}{##}" || tp.NeedsTotal() {
		t.Errorf("without Plus: %q", got)
	}
}

// TestUngreedy makes quantifiers lazy as GNU parallel's
// make_regexp_ungreedy does: not in a class, not escaped, not twice.
func TestUngreedy(t *testing.T) {
	for re, want := range map[string]string{
		".gz":     ".gz",
		"a*b+c":   "a*?b+?c",
		"x{2,3}y": "x{2,3}?y",
		"[*+]z*":  "[*+]z*?",
		`a\*b*?`:  `a\*b*?`,
		"q+":      "q+?",
		`\[a*\]`:  `\[a*?\]`,
	} {
		if got := ungreedy(re); got != want {
			t.Errorf("ungreedy(%q) = %q, want %q", re, got, want)
		}
	}
}

// TestExpandNoValues covers a job without values, which GNU expands as
// one empty value.
func TestExpandNoValues(t *testing.T) {
	tp, err := Parse([]string{"printf", "%s:", "{}", "{1}", "{2}", "{//}"}, Options{Env: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	got := tp.Expand(1, 1, nil)
	if want := "printf %s: '' ''  ."; got.Line != want {
		t.Errorf("Line %q, want %q", got.Line, want)
	}
	if want := []string{"printf", "%s:", "", "", "."}; !slices.Equal(got.Argv, want) {
		t.Errorf("Argv %q, want %q", got.Argv, want)
	}
}

// TestExpandConcurrently expands one template from several goroutines,
// as the job engine does, for the race detector to watch.
func TestExpandConcurrently(t *testing.T) {
	tp, err := Parse([]string{"printf", "%s:", "{}", "{#}"}, Options{Env: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				cmd := tp.Expand(i, g, []string{"a b"})
				if len(cmd.Argv) != 4 || cmd.Argv[2] != "a b" {
					t.Errorf("Argv %q", cmd.Argv)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkExpand(b *testing.B) {
	for _, c := range []struct {
		name  string
		words []string
		opt   Options
		args  []string
	}{
		{"plain", []string{"gzip", "-c", "{}"}, Options{Env: noEnv}, []string{"data/file-0001.txt"}},
		{"quoted", []string{"convert", "{}", "{.}.png"}, Options{Env: noEnv}, []string{"my photos/IMG 0001.jpg"}},
		{"shell", []string{"cat", "{}", "|", "wc", "-l"}, Options{Env: noEnv}, []string{"a b"}},
		{"-X", []string{"echo", "pre{}post"}, Options{Env: noEnv, Context: true}, []string{"a", "b", "c", "d", "e", "f", "g", "h"}},
	} {
		tp, err := Parse(c.words, c.opt)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				tp.Expand(i, 1, c.args)
			}
		})
	}
}

func TestMeasure(t *testing.T) {
	records := [][]string{{"a b", "x"}, {"c", "yy"}, {"d'e", "z"}}
	// The six values as the line quotes them: 'a b' x c yy 'd'"'"'e' z.
	const values = 5 + 1 + 1 + 2 + 9 + 1
	tests := []struct {
		words   []string
		context bool
		seq     int      // the job's number; 1 when 0
		also    []string // texts whose replacement strings count too
		want    int      // BaseLen plus each record's RecordLen
	}{
		// The line itself, when every value shows: echo 'a b' x c yy 'd'"'"'e' z
		{words: []string{"echo"}, want: len(`echo 'a b' x c yy 'd'"'"'e' z`)},
		{words: []string{"echo", "<{}>"}, context: true, want: len(`echo <'a b'> <x> <c> <yy> <'d'"'"'e'> <z>`)},
		// {1} shows once but counts for every record, quoted, with a space
		// before each of the 6 values but the first.
		{words: []string{"echo", "{1}"}, want: len("echo ") + (6 - 1) + (5 + 1 + 9)},
		// With -X, the run's text counts for every value too, and a space
		// before each value's run but the first.
		{words: []string{"echo", "a{1}b", "{2}"}, context: true, want: len("echo  ") + 6*len("ab") + (6-1)*2 + (5 + 1 + 9) + (1 + 2 + 1)},
		// {#} counts as the job's number, once per record, as {1} does.
		{words: []string{"echo", "{#}x{}"}, seq: 12, want: len("echo x") + (6 - 1) + 3*len("12") + (6 - 1) + values},
		// --tag's {} counts beside the command's {.}, with its spaces; a {.}
		// of --tagstring adds nothing to a command that holds {.}.
		{words: []string{"echo", "{.}"}, also: []string{"{}", "<{.}>"}, want: len("echo ") + 2*((6-1)+values)},
		// A command without replacement strings counts the {} appended to
		// it, and --tag's {} once more.
		{words: []string{"echo"}, also: []string{"{}"}, want: len("echo ") + 2*((6-1)+values)},
		// With -X, another replacement string adds its values alone.
		{words: []string{"echo", "<{}>"}, context: true, also: []string{"{1}"}, want: len(`echo <'a b'> <x> <c> <yy> <'d'"'"'e'> <z>`) + 5 + 1 + 9},
	}
	for _, tt := range tests {
		tpl, err := Parse(tt.words, Options{Context: tt.context, Env: []string{}})
		if err != nil {
			t.Fatal(err)
		}
		if tt.also != nil {
			var others []*Template
			for _, text := range tt.also {
				o, err := Parse([]string{text}, Options{Text: true})
				if err != nil {
					t.Fatal(err)
				}
				others = append(others, o)
			}
			tpl = tpl.MeasureAlso(others...)
		}
		seq := max(tt.seq, 1)
		got := tpl.BaseLen()
		for _, rec := range records {
			got += tpl.RecordLen(rec, len(rec), seq)
		}
		if got != tt.want {
			t.Errorf("%q (context %v, also %q): measured %d, want %d", tt.words, tt.context, tt.also, got, tt.want)
		}
	}
}
