package tmpl

import "strings"

// shellByte marks the bytes that mean something to a shell in unquoted
// text: quoting, expansion, globbing, brace expansion, redirection,
// pipelines, lists, subshells, comments, history and (in old shells and
// zsh) ^. Control bytes other than tab are among them, newline first.
var shellByte = func() (t [256]bool) {
	for _, c := range []byte("'\"$`\\|&;<>()*?[]#~{}!^") {
		t[c] = true
	}
	for c := 0; c < ' '; c++ {
		t[c] = c != '\t'
	}
	return t
}()

// plainText reports whether the template's literal text reads the same to
// a shell as to exec: nothing in it but words separated by blanks. A = at
// the start of a piece of text is refused too, as zsh expands =cmd.
func (t *Template) plainText() bool {
	plain := func(s string) bool {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if shellByte[c] || c == '=' && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
				return false
			}
		}
		return true
	}
	for _, it := range t.items {
		if !plain(it.lit) {
			return false
		}
		for _, p := range it.parts {
			if !plain(p.lit) {
				return false
			}
		}
	}
	return true
}

// notExternal holds the words a shell never looks up in PATH, or finds as
// builtins that differ from the programs of the same name: reserved words,
// and the builtins of sh, dash, bash, ksh and zsh that change the shell's
// own state, exist only in the shell, or behave differently from their
// namesakes in /usr/bin (pwd prints the logical directory, kill knows
// jobs, test and [ differ at the edges, time is a keyword).
var notExternal = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`
		! { } [[ ]] case coproc do done elif else esac fi for function if in
		select then time until while nocorrect repeat foreach end
		. : [ alias autoload bg bind bindkey break builtin caller cd chdir
		command compgen complete compopt continue declare dirs disown emulate
		enable eval exec exit export fc fg functions getopts hash help
		history integer jobs kill let limit local logout mapfile noglob
		newgrp popd print pushd pwd read readarray readonly rehash return
		sched set setopt shift shopt source suspend test times trap type
		typeset ulimit umask unalias unfunction unhash unlimit unset
		unsetopt vared wait whence where`) {
		m[w] = true
	}
	return m
}()

// shellFuncs returns the functions bash exports in env and whether env
// sets BASH_ENV, a file bash reads before running a command.
func shellFuncs(env []string) (map[string]bool, bool) {
	var funcs map[string]bool
	bashEnv := false
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "BASH_ENV="); ok && v != "" {
			bashEnv = true
		}
		rest, ok := strings.CutPrefix(kv, "BASH_FUNC_")
		if !ok {
			continue
		}
		// bash writes BASH_FUNC_name%%=...; older patched ones name()=...
		for _, end := range []string{"%%=", "()="} {
			if i := strings.Index(rest, end); i > 0 {
				if funcs == nil {
					funcs = map[string]bool{}
				}
				funcs[rest[:i]] = true
				break
			}
		}
	}
	return funcs, bashEnv
}

// runsAlike reports whether executing argv does what the shell does with
// the command line it came from. quoted says each word was quoted in that
// line (-q), so none of them can be an assignment.
func runsAlike(argv []string, quoted bool, funcs map[string]bool) bool {
	name := argv[0]
	switch {
	case name == "", notExternal[name], funcs[name]:
		return false
	case name[0] == '%':
		return false // a job to resume, to bash, even quoted
	case name[0] == '-' || name[0] == '+':
		return false // GNU's sh -c takes a line starting so for options
	case !quoted && strings.IndexByte(name, '=') >= 0:
		return false // an assignment, or taken for one
	case name == "echo":
		// The builtins of dash and zsh interpret backslashes, and each
		// echo has its own options; without either they all agree.
		return noBackslash(argv[1:]) && (len(argv) == 1 || !strings.HasPrefix(argv[1], "-"))
	case name == "printf":
		return len(argv) > 1 && !strings.HasPrefix(argv[1], "-") &&
			noBackslash(argv[1:]) && commonFormat(argv[1])
	}
	return true
}

func noBackslash(args []string) bool {
	for _, a := range args {
		if strings.IndexByte(a, '\\') >= 0 {
			return false
		}
	}
	return true
}

// commonFormat reports whether a printf format uses only what dash's,
// bash's and coreutils' printf all do alike: %%, and %s, %b and %c with an
// optional - flag, width and precision. The numeric conversions are left
// to the shell, as the three read numbers differently at the edges (a lone
// quote, huge values, multibyte characters), and so is a * width, which
// reads a number too.
func commonFormat(f string) bool {
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		i++
		if i < len(f) && f[i] == '%' {
			continue
		}
		for i < len(f) && f[i] == '-' {
			i++
		}
		i = skipDigits(f, i)
		if i < len(f) && f[i] == '.' {
			i = skipDigits(f, i+1)
		}
		if i >= len(f) || strings.IndexByte("sbc", f[i]) < 0 {
			return false
		}
	}
	return true
}

func skipDigits(f string, i int) int {
	for i < len(f) && '0' <= f[i] && f[i] <= '9' {
		i++
	}
	return i
}
