package main

import (
	"fmt"
	"os/exec"
	"sort"
	"strings"

	"github.com/multitask-go/multitask/cmd/multitask/internal/engine"
)

// colorFailed is the colour of a failed job's output under --color-failed:
// white on red.
const colorFailed = "\033[48;5;196;38;5;231m"

// jobColors are GNU parallel's colours of --color, --ctag and --ctagstring,
// in its order: black or white text on the backgrounds that read well, the
// list reordered so that jobs one after another differ.
func jobColors() []string {
	type pair struct{ bg, fg string }
	var pairs []pair
	add := func(fg string, ranges ...[2]int) {
		for _, r := range ranges {
			for c := r[0]; c <= r[1]; c++ {
				pairs = append(pairs, pair{fmt.Sprintf("%03d", c), fg})
			}
		}
	}
	add("000", [2]int{6, 7}, [2]int{9, 11}, [2]int{13, 15}, [2]int{40, 51}, [2]int{75, 87}, [2]int{113, 123},
		[2]int{147, 159}, [2]int{171, 182}, [2]int{185, 231}, [2]int{249, 254})
	add("231", [2]int{1, 9}, [2]int{12, 13}, [2]int{16, 45}, [2]int{52, 81}, [2]int{88, 114}, [2]int{124, 149},
		[2]int{160, 178}, [2]int{180, 180}, [2]int{182, 184}, [2]int{196, 214}, [2]int{232, 250})
	order := make([]int, len(pairs))
	for i := range order {
		order[i] = i
	}
	// GNU's sort { ($a%23 <=> $b%23) or ($b%7 <=> $a%7) }, stable as
	// Perl's merge sort is.
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a%23 != b%23 {
			return a%23 < b%23
		}
		return b%7 < a%7
	})
	colors := make([]string, len(order))
	for i, k := range order {
		colors[i] = "\033[48;5;" + pairs[k].bg + ";38;5;" + pairs[k].fg + "m"
	}
	return colors
}

// terminalCode is what tput prints for capability name on the terminal, as
// GNU parallel asks it; def without a terminal, or without tput.
func terminalCode(name, def string) string {
	out, _ := exec.Command("sh", "-c", "tput "+name+" </dev/tty").Output()
	if s := strings.TrimSuffix(string(out), "\n"); s != "" {
		return s
	}
	return def
}

// colorizer colours the output lines of jobs, as GNU parallel's --color
// (and --ctag, --ctagstring) and --color-failed do: each line after the
// job's colour, the colour reset at its end. all colours every job, by its
// number; failed, the jobs that failed, in white on red.
func colorizer(all, failed bool) func(r *engine.Result) (start, reset string) {
	var colors []string
	if all {
		colors = jobColors()
	}
	eol, sgr0 := terminalCode("el", "\033[K"), terminalCode("sgr0", "\033[m")
	return func(r *engine.Result) (string, string) {
		switch {
		case failed && r.Failed():
			return colorFailed + eol, sgr0
		case all:
			return colors[r.Seq%len(colors)] + eol, sgr0
		}
		return "", ""
	}
}
