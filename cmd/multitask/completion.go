package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// printCompletion prints, for --shell-completion SHELL, the code that
// makes SHELL complete multitask's options, as GNU parallel prints its
// own: bash's with every name of every option, zsh's with their
// descriptions too, then the command and its arguments. "auto" takes the
// shell of $SHELL.
func printCompletion(w io.Writer, shell string) error {
	if shell == "auto" {
		shell = filepath.Base(os.Getenv("SHELL"))
	}
	fs := newFlagSet(&options{})
	switch shell {
	case "bash":
		var words []string
		for _, f := range fs.flags {
			words = append(words, f.names()...)
		}
		_, err := fmt.Fprintf(w, "complete -F _comp_multitask multitask;_comp_multitask() { COMPREPLY=($(compgen -W %q -- \"${COMP_WORDS[$COMP_CWORD]}\")); };\n",
			strings.Join(words, " "))
		return err
	case "zsh":
		var b strings.Builder
		b.WriteString("compdef _comp_multitask multitask; _comp_multitask() { _arguments ")
		for _, f := range fs.flags {
			names := f.names()
			spec := names[0]
			if len(names) > 1 {
				spec = "{" + strings.Join(names, ",") + "}"
			}
			desc := "[" + zshEscape(f.usage) + "]"
			if f.arg != "" {
				desc += ":" + zshEscape(f.arg)
			}
			b.WriteString(spec + "'" + strings.ReplaceAll(desc, "'", `'"'"'`) + "' ")
		}
		b.WriteString("'(-)1:command: _command_names -e' '*::arguments: _normal'; };\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	return fmt.Errorf("%w: --shell-completion is not implemented for '%s' (bash, zsh or auto)", errUsage, shell)
}

// names are every name of f as the command line gives it: --long and
// -short.
func (f *flag) names() []string {
	var names []string
	for _, l := range append([]string{f.long}, f.aliases...) {
		if l != "" {
			names = append(names, "--"+l)
		}
	}
	for _, s := range append([]byte{f.short}, f.shorts...) {
		if s != 0 {
			names = append(names, "-"+string(s))
		}
	}
	return names
}

// zshEscape escapes what _arguments reads in a description: brackets and
// colons.
func zshEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`, ":", `\:`).Replace(s)
}
