package main

import (
	"fmt"
	"io"
)

// printHelp prints the usage and every option, grouped.
func printHelp(w io.Writer) {
	o := &options{}
	fs := newFlagSet(o)
	fmt.Fprint(w, `Usage:
  multitask [options] COMMAND [ARGS...] ::: VALUES... [::: VALUES...]
  multitask [options] COMMAND [ARGS...] :::: FILE... [:::: FILE...]
  multitask [options] COMMAND [ARGS...] < lines
  cat data | multitask --pipe [options] COMMAND

Runs COMMAND once per input value (or combination of values), several at
once, with GNU parallel's options. {} in COMMAND is the value; without it the
value is appended. Replacement strings: {} {.} {/} {//} {/.} {#} {%} {1} {2}...
and {= perl expression =}, run by perl on $_.

`)
	fs.usage(w)
	fmt.Fprint(w, `Exit status: 0 when every job succeeded; 1-100 the number of jobs that failed;
101 when more failed; 255 on an error of multitask's own. --halt changes it:
see docs/multitask.md.
`)
}
