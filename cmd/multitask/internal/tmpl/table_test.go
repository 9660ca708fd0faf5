package tmpl

// gnuCase is a template, the jobs it expands for, and the GNU parallel
// invocation that produces the same jobs: its options and its input
// sources, fed to it NUL-separated with -a. Its jobs run with -j1, so
// {%} is 1 and {#} counts from 1.
type gnuCase struct {
	name    string
	words   []string
	opt     Options
	flags   []string   // GNU's options for opt and for how values form jobs
	sources [][]string // GNU's input sources, headers included
	jobs    [][]string // the values of each job GNU runs
	want    []string   // GNU's command line for each job
}

// Values that need GNU's quoting rules.
var awkward = []string{
	"a b", "it's", "x$y", "", "ü", "-n", `a"b`, "a*b", "~x", `a\b`, "a\nb",
	"a\tb", "a,b", "a=b", "#x", "a!b", "{}", "a%b", "@", "+:", "a^b", "'",
	"''", "'a'", "a''b", "plain-_.+/Az09", "\x7f", "a\rb", "$(id)", "`id`",
	";", "&&", "|", ">", "<x", "(", ")", "[a]", "?", "\n", " ", "x\n",
}

// Paths for {.} {/} {//} {/.}.
var paths = []string{
	"a/b.c", "a", "a/", "/", "", "//a", "a//b", "a/b/", ".bashrc", "x/.y",
	"a.", "a.b.c", "/a", "a/b/c.d/e", "x\ny/z", "a/b\nc/d", "x\ny.z\n",
	"a.b\n", "..", ".", "a/..", "a/b.c/", "./a.b", "a.b/c",
}

func each(vs []string) [][]string {
	jobs := make([][]string, len(vs))
	for i, v := range vs {
		jobs[i] = []string{v}
	}
	return jobs
}

// awkwardEchoed is `echo` with each awkward value, quoted as GNU quotes it.
var awkwardEchoed = []string{
	"echo 'a b'",
	"echo 'it'\"'\"'s'",
	"echo 'x$y'",
	"echo ''",
	"echo 'ü'",
	"echo -n",
	"echo 'a\"b'",
	"echo 'a*b'",
	"echo '~x'",
	"echo 'a\\b'",
	"echo 'a\nb'",
	"echo 'a\tb'",
	"echo 'a,b'",
	"echo 'a=b'",
	"echo '#x'",
	"echo 'a!b'",
	"echo '{}'",
	"echo 'a%b'",
	"echo '@'",
	"echo '+:'",
	"echo 'a^b'",
	"echo \"'\"",
	"echo \"'\"''\"'\"",
	"echo \"'\"'a'\"'\"",
	"echo 'a'\"'\"''\"'\"'b'",
	"echo plain-_.+/Az09",
	"echo '\x7f'",
	"echo 'a\rb'",
	"echo '$(id)'",
	"echo '`id`'",
	"echo ';'",
	"echo '&&'",
	"echo '|'",
	"echo '>'",
	"echo '<x'",
	"echo '('",
	"echo ')'",
	"echo '[a]'",
	"echo '?'",
	"echo '\n'",
	"echo ' '",
	"echo 'x\n'",
}

var gnuCases = []gnuCase{
	{name: "quoting", words: []string{"echo", "{}"}, sources: [][]string{awkward}, jobs: each(awkward),
		want: awkwardEchoed,
	},
	{name: "quoting appended", words: []string{"echo"}, sources: [][]string{awkward}, jobs: each(awkward),
		want: awkwardEchoed,
	},
	{name: "quoting inside a word", words: []string{"echo", "x{}y"}, sources: [][]string{awkward[:12]}, jobs: each(awkward[:12]),
		want: []string{
			"echo x'a b'y",
			"echo x'it'\"'\"'s'y",
			"echo x'x$y'y",
			"echo x''y",
			"echo x'ü'y",
			"echo x-ny",
			"echo x'a\"b'y",
			"echo x'a*b'y",
			"echo x'~x'y",
			"echo x'a\\b'y",
			"echo x'a\nb'y",
			"echo x'a\tb'y",
		},
	},
	{name: "paths", words: []string{"echo", "{}", "{.}", "{/}", "{//}", "{/.}"}, sources: [][]string{paths}, jobs: each(paths),
		want: []string{
			"echo a/b.c a/b b.c a b",
			"echo a a a . a",
			"echo a/ a/ '' . ''",
			"echo / / '' / ''",
			"echo '' '' '' . ''",
			"echo //a //a a / a",
			"echo a//b a//b b a b",
			"echo a/b/ a/b/ '' a ''",
			"echo .bashrc '' .bashrc . ''",
			"echo x/.y x/ .y x ''",
			"echo a. a a. . a",
			"echo a.b.c a.b a.b.c . a.b",
			"echo /a /a a / a",
			"echo a/b/c.d/e a/b/c.d/e e a/b/c.d e",
			"echo 'x\ny/z' 'x\ny/z' 'x\nz' 'x\ny' 'x\nz'",
			"echo 'a/b\nc/d' 'a/b\nc/d' 'b\nc/d' 'a/b\nc' 'b\nc/d'",
			"echo 'x\ny.z\n' 'x\ny' 'x\ny.z\n' . 'x\ny'",
			"echo 'a.b\n' a 'a.b\n' . a",
			"echo .. . .. . .",
			"echo . '' . . ''",
			"echo a/.. a/. .. a .",
			"echo a/b.c/ a/b.c/ '' a ''",
			"echo ./a.b ./a a.b . a",
			"echo a.b/c a.b/c c a.b c",
		},
	},
	{name: "seq and slot", words: []string{"echo", "{#}", "{%}", "{}"}, sources: [][]string{{"a", "b", "c"}}, jobs: each([]string{"a", "b", "c"}), want: []string{"echo 1 1 a", "echo 2 1 b", "echo 3 1 c"}},
	{name: "positional",
		words:   []string{"echo", "{1}", "{2}", "{-1}", "{-2}", "{-3}", "{3}", "{0}", "{00}", "{-0}", "{01}", "{1.}", "{2/}", "{1//}", "{2/.}", "{0#}", "{0%}", "{1#}", "{-1.}"},
		sources: [][]string{{"a/b.c"}, {"d/e.f g"}},
		jobs:    [][]string{{"a/b.c", "d/e.f g"}},
		want: []string{
			"echo a/b.c 'd/e.f g' 'd/e.f g' a/b.c 'd/e.f g'  a/b.c 'd/e.f g'   a/b.c a/b 'e.f g' a e 1 1  d/e",
		}},
	{name: "positional with blanks", words: []string{"echo", "{1 .}", "{2\t}", "{1  //}"}, sources: [][]string{{"a/b.c"}, {"d"}}, jobs: [][]string{{"a/b.c", "d"}}, want: []string{"echo a/b d a"}},
	{name: "all values", words: []string{"echo", "{}", "{1}", "x{}y", "{.}"}, sources: [][]string{{"a.1"}, {"b c.2"}, {"d"}}, jobs: [][]string{{"a.1", "b c.2", "d"}}, want: []string{"echo a.1 'b c.2' d a.1 xa.1 'b c.2' dy a 'b c' d"}},
	{name: "appended values", words: []string{"echo", "-n"}, sources: [][]string{{"a", "b"}, {"c d"}}, jobs: [][]string{{"a", "c d"}, {"b", "c d"}}, want: []string{"echo -n a 'c d'", "echo -n b 'c d'"}},
	{name: "no words", sources: [][]string{{"echo a  b", "printf x"}}, jobs: each([]string{"echo a  b", "printf x"}), want: []string{"echo a  b", "printf x"}},
	{name: "value as command", words: []string{"{}", "x"}, sources: [][]string{{"echo a b"}}, jobs: each([]string{"echo a b"}), want: []string{"echo a b x"}},
	{name: "value in command", words: []string{"my_{}", "x"}, sources: [][]string{{"a b"}}, jobs: each([]string{"a b"}), want: []string{"my_a b x"}},
	{name: "value in command word", words: []string{"e{}", "{}"}, sources: [][]string{{"cho 'x y'"}}, jobs: each([]string{"cho 'x y'"}), want: []string{"echo 'x y' cho 'x y'"}},
	{name: "value in assignment", words: []string{"A={}", "echo"}, sources: [][]string{{"a b"}}, jobs: each([]string{"a b"}), want: []string{"A='a b' echo"}},
	{name: "value after blank", words: []string{" {}"}, sources: [][]string{{"a b"}}, jobs: each([]string{"a b"}), want: []string{" 'a b'"}},
	{name: "value after blank in first word", words: []string{"echo {}"}, sources: [][]string{{"a b"}}, jobs: each([]string{"a b"}), want: []string{"echo 'a b'"}},
	{name: "one word with blanks", words: []string{"echo x"}, sources: [][]string{{"a b"}}, jobs: each([]string{"a b"}), want: []string{"echo x 'a b'"}},
	{name: "empty words", words: []string{"echo", "", "x", ""}, sources: [][]string{{"a"}}, jobs: each([]string{"a"}), want: []string{"echo  x  a"}},
	{name: "blank words", words: []string{"echo", " ", "{}", "\t"}, sources: [][]string{{"a"}}, jobs: each([]string{"a"}), want: []string{"echo   a \t"}},
	{name: "blank words -X", words: []string{"echo", " ", "{}", "\t", " x{} "}, opt: Options{Context: true}, flags: []string{"-X"}, sources: [][]string{{"a", "b"}}, jobs: [][]string{{"a", "b"}}, want: []string{"echo   a b \t  xa xb "}},
	{name: "huge positions", words: []string{"echo", "{99999999999999999999}", "{-99999999999999999999}", "{18446744073709551617}", "{-9223372036854775808}", "{9223372036854775808}", "{9223372036854775807}", "{-9223372036854775809}", "{00000000000000000000000002}", "{2}"}, sources: [][]string{{"a"}, {"b"}}, jobs: [][]string{{"a", "b"}}, want: []string{"echo b  b     b b"}},
	{name: "not replacement strings", words: []string{"echo", "{foo}", "{", "}", "{.", "{1x}", "{-}", "{ }", "{=", "=", "}", "{^}", "{:}", "{..}", "{+/}"}, sources: [][]string{{"a"}}, jobs: each([]string{"a"}), want: []string{"echo {foo} { } {. {1x} {-} { } {= = } {^} {:} {..} {+/} a"}},
	{name: "braces around", words: []string{"echo", "{{}}", "{{.}}", "{}{}", "{/}{//}{/.}"}, sources: [][]string{{"a/b.c"}}, jobs: each([]string{"a/b.c"}), want: []string{"echo {a/b.c} {a/b} a/b.ca/b.c b.cab"}},
	{name: "newline in word", words: []string{"echo", "a\n{}"}, sources: [][]string{{"b"}}, jobs: each([]string{"b"}), want: []string{"echo a\nb"}},
	{name: "unicode", words: []string{"echo", "é{}ü", "ï{}¯"}, sources: [][]string{{"ñ", "日本"}}, jobs: each([]string{"ñ", "日本"}), want: []string{"echo é'ñ'ü ï'ñ'¯", "echo é'日本'ü ï'日本'¯"}},
	{name: "unicode -X", words: []string{"echo", "ï{}¯", "¯<x", "a¯>b"}, opt: Options{Context: true}, flags: []string{"-X"}, sources: [][]string{{"ñ", "b"}}, jobs: [][]string{{"ñ", "b"}}, want: []string{"echo ï'ñ'¯ ïb¯ ¯<x a¯>b"}},

	{name: "-I", words: []string{"echo", "XX", "{}", "{.}", "{1}", "{1.}", "XX.XX"}, opt: Options{Replace: "XX"}, flags: []string{"-I", "XX"}, sources: [][]string{{"a b.c"}}, jobs: each([]string{"a b.c"}), want: []string{"echo 'a b.c' {} 'a b' {1} 'a b' 'a b.c'.'a b.c'"}},
	{name: "-I braces", words: []string{"echo", "{x}", "{1x}", "{}", "{1}", "{-1 x}"}, opt: Options{Replace: "{x}"}, flags: []string{"-I", "{x}"}, sources: [][]string{{"a"}}, jobs: each([]string{"a"}), want: []string{"echo a a {} {1} a"}},
	{name: "-I takes a built-in name", words: []string{"echo", "{/}", "{}", "{1/}", "{//}"}, opt: Options{Replace: "{/}"}, flags: []string{"-I", "{/}"}, sources: [][]string{{"d/a.b"}}, jobs: each([]string{"d/a.b"}), want: []string{"echo d/a.b {} d/a.b d"}},
	{name: "-I longest first", words: []string{"echo", "x{.}", "x{"}, opt: Options{Replace: "x{"}, flags: []string{"-I", "x{"}, sources: [][]string{{"a.b"}}, jobs: each([]string{"a.b"}), want: []string{"echo xa a.b"}},
	{name: "-I one byte", words: []string{"echo", ".", "a.b", "{.}", "{1.}", "%{%}"}, opt: Options{Replace: "."}, flags: []string{"-I", "."}, sources: [][]string{{"x.y"}}, jobs: each([]string{"x.y"}), want: []string{"echo x.y ax.yb x x %1"}},
	{name: "-I percent", words: []string{"echo", "%{%}%", "{1%}"}, opt: Options{Replace: "%"}, flags: []string{"-I", "%"}, sources: [][]string{{"v"}}, jobs: each([]string{"v"}), want: []string{"echo v1v "}},
	{name: "-I first word", words: []string{"_", "x"}, opt: Options{Replace: "_"}, flags: []string{"-I", "_"}, sources: [][]string{{"echo a"}}, jobs: each([]string{"echo a"}), want: []string{"echo a x"}},

	{name: "-q", words: []string{"echo", "a b", "{}", "x{}y", "'"}, opt: Options{Quote: true}, flags: []string{"-q"}, sources: [][]string{{"x y", "", "it's"}}, jobs: each([]string{"x y", "", "it's"}),
		want: []string{
			"echo 'a b' 'x y' 'xx yy' \"'\"",
			"echo 'a b' '' xy \"'\"",
			"echo 'a b' 'it'\"'\"'s' 'xit'\"'\"'sy' \"'\"",
		},
	},
	{name: "-q printf", words: []string{"printf", `%s\n`}, opt: Options{Quote: true}, flags: []string{"-q"}, sources: [][]string{{"y z"}}, jobs: each([]string{"y z"}), want: []string{"printf '%s\\n' 'y z'"}},
	{name: "-q missing position", words: []string{"echo", "{3}", "{1}"}, opt: Options{Quote: true}, flags: []string{"-q"}, sources: [][]string{{"a"}}, jobs: each([]string{"a"}), want: []string{"echo '' a"}},
	{name: "-q empty word", words: []string{"echo", "", "x"}, opt: Options{Quote: true}, flags: []string{"-q"}, sources: [][]string{{"a"}}, jobs: each([]string{"a"}), want: []string{"echo '' x a"}},
	{name: "-q command word", words: []string{"echo x", "{}"}, opt: Options{Quote: true}, flags: []string{"-q"}, sources: [][]string{{"y z"}}, jobs: each([]string{"y z"}), want: []string{"'echo x' 'y z'"}},
	{name: "-q value as command", words: []string{"{}"}, opt: Options{Quote: true}, flags: []string{"-q"}, sources: [][]string{{"echo a"}}, jobs: each([]string{"echo a"}), want: []string{"'echo a'"}},
	{name: "-q all values", words: []string{"echo", "pre{}post", "{}"}, opt: Options{Quote: true}, flags: []string{"-q"}, sources: [][]string{{"a b"}, {"c"}}, jobs: [][]string{{"a b", "c"}}, want: []string{"echo 'prea b' cpost 'a b' c"}},

	{name: "-X", words: []string{"echo", "pre{}post", "{1}", "x{}y{1}", "{#}-{}", "z"}, opt: Options{Context: true}, flags: []string{"-X"}, sources: [][]string{{"a", "b c", "d"}}, jobs: [][]string{{"a", "b c", "d"}},
		want: []string{
			"echo preapost pre'b c'post predpost a xaya x'b c'ya xdya 1-a 1-'b c' 1-d z",
		},
	},
	{name: "-X appended", words: []string{"echo", "x"}, opt: Options{Context: true}, flags: []string{"-X"}, sources: [][]string{{"a", "b c"}}, jobs: [][]string{{"a", "b c"}}, want: []string{"echo x a 'b c'"}},
	{name: "-X blanks in a word", words: []string{"echo", "a {}b c", "a\t{}", "d\n{}"}, opt: Options{Context: true}, flags: []string{"-X"}, sources: [][]string{{"x", "y"}}, jobs: [][]string{{"x", "y"}}, want: []string{"echo a xb yb c a\tx \ty d\nx d\ny"}},
	{name: "-X -q", words: []string{"echo", "pre{}post", "u {}"}, opt: Options{Context: true, Quote: true}, flags: []string{"-X", "-q"}, sources: [][]string{{"a b", "c"}}, jobs: [][]string{{"a b", "c"}}, want: []string{"echo 'prea bpost' precpost 'u a b' c"}},
	{name: "-m", words: []string{"echo", "pre{}post", "{1}", "{#}"}, opt: Options{Multi: true}, flags: []string{"-m"}, sources: [][]string{{"a", "b c", "d"}}, jobs: [][]string{{"a", "b c", "d"}}, want: []string{"echo prea 'b c' dpost a 1"}},
	{name: "-N2", words: []string{"echo", "pre{}post", "{1}", "{2}", "{3}"}, opt: Options{Context: true}, flags: []string{"-N2"}, sources: [][]string{{"a", "b", "c", "d", "e"}}, jobs: [][]string{{"a", "b"}, {"c", "d"}, {"e"}},
		want: []string{
			"echo preapost prebpost a b ",
			"echo precpost predpost c d ",
			"echo preepost e  ",
		},
	},
	{name: "-n2", words: []string{"echo", "pre{}post", "{2}"}, flags: []string{"-n2"}, sources: [][]string{{"a", "b", "c", "d"}}, jobs: [][]string{{"a", "b"}, {"c", "d"}}, want: []string{"echo prea bpost b", "echo prec dpost d"}},
	{name: "-N0", words: []string{"echo", "x"}, opt: Options{Context: true}, flags: []string{"-N0"}, sources: [][]string{{"a"}, {"b"}}, jobs: [][]string{{NoArg, NoArg}}, want: []string{"echo x  "}},
	{name: "-N0 replacement strings", words: []string{"echo", "x{}y", "{//}", "{/}", "{#}", "{1}"}, opt: Options{Context: true}, flags: []string{"-N0"}, sources: [][]string{{"a", "b"}}, jobs: [][]string{{NoArg}, {NoArg}}, want: []string{"echo xy .  1 ", "echo xy .  2 "}},
	{name: "-N0 -q", words: []string{"echo", "{}", "x"}, opt: Options{Context: true, Quote: true}, flags: []string{"-N0", "-q"}, sources: [][]string{{"a"}, {"b"}}, jobs: [][]string{{NoArg, NoArg}}, want: []string{"echo x"}},

	{name: "header", words: []string{"echo", "{f}", "{g.}", "{f/}", "{f//}", "{f/.}", "{h}", "{1}", "{g}", "{f..}"},
		opt: Options{Names: []string{"f", "g"}}, flags: []string{"--header", ":"},
		sources: [][]string{{"f", "a/b.c"}, {"g", "x.y"}}, jobs: [][]string{{"a/b.c", "x.y"}}, want: []string{"echo a/b.c x b.c a b {h} a/b.c x.y {f..}"}},
	{name: "header names the command", words: []string{"{f}"}, opt: Options{Names: []string{"f"}}, flags: []string{"--header", ":"},
		sources: [][]string{{"f", "echo hi"}}, jobs: [][]string{{"echo hi"}}, want: []string{"echo hi"}},
	{name: "header with -X", words: []string{"echo", "{g}{f}"}, opt: Options{Names: []string{"f", "g"}, Context: true}, flags: []string{"--header", ":", "-X"},
		sources: [][]string{{"f", "a"}, {"g", "b"}}, jobs: [][]string{{"a", "b"}}, want: []string{"echo ba"}},
}
