//go:build linux

package main

import (
	"cmp"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// A result is what the runs of one tool in one scenario measured.
type result struct {
	tool    tool
	samples []sample
	err     error // the first failure; the tool did not run again after it
}

// results are a scenario's results by their tools' names.
type results map[string]*result

// ok reports whether r has figures: the tool ran, and never failed.
func (r *result) ok() bool {
	return r != nil && r.tool.peer.skip == "" && r.err == nil && len(r.samples) > 0
}

// why says why r has no figures.
func (r *result) why() string {
	switch {
	case r == nil:
		return "n/a: not run"
	case r.tool.peer.skip != "":
		return "skipped: " + r.tool.peer.skip
	case r.err != nil:
		return "failed: " + r.err.Error()
	}
	return "n/a: no runs"
}

// A stat is the min and the median of one figure over a tool's runs.
type stat[T time.Duration | int64] struct{ min, med T }

func summarize[T time.Duration | int64](xs []T) stat[T] {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return stat[T]{}
	}
	return stat[T]{min: s[0], med: (s[(n-1)/2] + s[n/2]) / 2}
}

func (r *result) figure(f func(sample) time.Duration) stat[time.Duration] {
	xs := make([]time.Duration, len(r.samples))
	for i, s := range r.samples {
		xs[i] = f(s)
	}
	return summarize(xs)
}

func (r *result) wall() stat[time.Duration] {
	return r.figure(func(s sample) time.Duration { return s.wall })
}

func (r *result) cpu() stat[time.Duration] {
	return r.figure(func(s sample) time.Duration { return s.cpu })
}

func (r *result) rss() stat[int64] {
	xs := make([]int64, len(r.samples))
	for i, s := range r.samples {
		xs[i] = s.rss
	}
	return summarize(xs)
}

// floor returns the largest of the samples' floors.
func (res results) floor() int64 {
	var f int64
	for _, r := range res {
		for _, s := range r.samples {
			f = max(f, s.floor)
		}
	}
	return f
}

// ratio returns a's median wall time divided by b's.
func (res results) ratio(a, b string) float64 {
	return float64(res[a].wall().med) / float64(res[b].wall().med)
}

// speedup says how many times multitask's median wall time fits in name's,
// or why it cannot; "" when name is not one of res.
func (res results) speedup(name string) string {
	r, ok := res[name]
	switch {
	case !ok:
		return ""
	case !res[nameMultitask].ok():
		return fmt.Sprintf("%s ÷ multitask: %s", name, res[nameMultitask].why())
	case !r.ok():
		return fmt.Sprintf("%s ÷ multitask: %s", name, r.why())
	}
	return fmt.Sprintf("%s ÷ multitask, median wall: %.2f× (multitask's speedup)", name, res.ratio(name, nameMultitask))
}

// addedPercent returns how much longer name's median wall time is than
// base's, in percent.
func (res results) addedPercent(name, base string) float64 {
	return (res.ratio(name, base) - 1) * 100
}

// added formats addedPercent with the two medians.
func (res results) added(name, base string) string {
	return fmt.Sprintf("%+.1f%% (%s vs %s)", res.addedPercent(name, base), ms(res[name].wall().med), ms(res[base].wall().med))
}

// A target is one of multitask's performance goals and how it fared.
type target struct {
	n       string // its number in the issue, which orders the list
	text    string
	verdict string // PASS, MISS, or why there is none ("skipped: ...", "n/a: ...")
	figure  string // what it was judged on
}

// missing returns the verdict of a target that needs the figures of the
// tools named, or "" when they all have them. A peer that is missing skips
// the target; multitask's own failure is n/a.
func (res results) missing(names ...string) string {
	for _, name := range names {
		if r := res[name]; !r.ok() {
			return name + ": " + r.why()
		}
	}
	return ""
}

// ratioTarget judges whether a's median wall time is at most limit times b's.
func (res results) ratioTarget(n, text, a, b string, limit float64) target {
	t := target{n: n, text: text}
	if why := res.missing(a, b); why != "" {
		t.verdict = why
		return t
	}
	x := res.ratio(a, b)
	t.verdict = verdict(x <= limit)
	t.figure = fmt.Sprintf("%.2f× (median %s vs %s)", x, ms(res[a].wall().med), ms(res[b].wall().med))
	return t
}

// limitTarget judges whether the figure that fig returns for name, which it
// calls only when name has figures, is at most limit; fig also returns the
// figure as printed.
func (res results) limitTarget(n, text, name string, limit float64, fig func() (float64, string)) target {
	t := target{n: n, text: text}
	if why := res.missing(name); why != "" {
		t.verdict = why
		return t
	}
	x, s := fig()
	t.verdict, t.figure = verdict(x <= limit), s
	return t
}

func verdict(pass bool) string {
	if pass {
		return "PASS"
	}
	return "MISS"
}

// writeScenario prints a scenario's table: one row per tool, the command
// each ran, and the notes.
func writeScenario(w io.Writer, sc scenario, res results) {
	fmt.Fprintf(w, "\n%s  (%s)\n", sc.name, sc.about)
	head := []string{"tool", "runs", "wall min", "wall med", "CPU min", "CPU med", "peak min", "peak med", "÷ multitask"}
	if sc.baseline != "" {
		head = append(head, "added")
	}
	rows := [][]string{head}
	for _, t := range sc.tools {
		r := res[t.name]
		if !r.ok() {
			rows = append(rows, []string{t.name, r.why()})
			continue
		}
		wall, cpu, rss := r.wall(), r.cpu(), r.rss()
		row := []string{t.name, fmt.Sprint(len(r.samples)), ms(wall.min), ms(wall.med),
			ms(cpu.min), ms(cpu.med), mb(rss.min), mb(rss.med), "—"}
		if res[nameMultitask].ok() {
			row[8] = fmt.Sprintf("%.2f", res.ratio(t.name, nameMultitask))
		}
		if sc.baseline != "" {
			row = append(row, "—")
			if res[sc.baseline].ok() {
				row[9] = fmt.Sprintf("%+.1f%%", res.addedPercent(t.name, sc.baseline))
			}
		}
		rows = append(rows, row)
	}
	writeRows(w, rows)
	if floor := res.floor(); floor > 0 {
		fmt.Fprintf(w, "  peak: at least this program's own %s at each start (Linux counts the memory of the process\n"+
			"  that execs a tool into the tool's peak), so a smaller peak shows as about that\n", mb(floor))
	}
	fmt.Fprintln(w, "  commands:")
	for _, t := range sc.tools {
		cmd := t.command()
		switch {
		case sc.stdin != "":
			cmd += " < " + filepath.Base(sc.stdin)
		case sc.check == nil:
			cmd += " < /dev/null"
		}
		if sc.check == nil {
			cmd += " > /dev/null"
		}
		fmt.Fprintf(w, "    %-*s %s\n", width(sc.tools)+1, t.name+":", cmd)
	}
	if sc.notes != nil {
		for _, n := range sc.notes(res) {
			if n != "" {
				fmt.Fprintf(w, "  %s\n", n)
			}
		}
	}
}

// width returns the length of the longest of the tools' names.
func width(tools []tool) int {
	n := 0
	for _, t := range tools {
		n = max(n, utf8.RuneCountInString(t.name))
	}
	return n
}

// command returns t's command line for the eye, its program by its base
// name.
func (t tool) command() string {
	prog := t.peer.path
	if prog == "" {
		prog = t.name
	}
	argv := append([]string{filepath.Base(prog)}, t.args...)
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \"'$|&;<>*?(){}[]\\") && a != "{}" {
			argv[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(argv, " ")
}

// writeRows prints rows as a table indented by two spaces: the first column
// aligned left, the others right. A short row (a tool with no figures) has
// its second cell printed as it is, past the columns' alignment.
func writeRows(w io.Writer, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			if i == 0 || len(r) == len(rows[0]) {
				widths[i] = max(widths[i], utf8.RuneCountInString(c))
			}
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			pad := ""
			if len(r) == len(rows[0]) || i == 0 {
				pad = strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			}
			if i == 0 || len(r) < len(rows[0]) {
				b.WriteString("  " + c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// writeTargets prints the targets in the order.
func writeTargets(w io.Writer, ts []target) {
	slices.SortStableFunc(ts, func(a, b target) int { return cmp.Compare(a.n, b.n) })
	fmt.Fprintln(w, "\ntargets (medians)")
	for _, t := range ts {
		line := fmt.Sprintf("  %-3s %s: %s", t.n+".", t.text, t.verdict)
		if t.figure != "" {
			line += ", " + t.figure
		}
		fmt.Fprintln(w, line)
	}
}

// ms formats a duration in milliseconds, with three significant figures up
// to a second.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f ms", v)
	case v < 100:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.0f ms", v)
}

// mb formats bytes in MB (10^6 bytes).
func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/1e6) }

// mib formats bytes in MiB or, from 1 GiB, in GiB.
func mib(b int64) string {
	if b >= 1<<30 {
		return fmt.Sprintf("%g GiB", float64(b)/(1<<30))
	}
	return fmt.Sprintf("%g MiB", float64(b)/(1<<20))
}
