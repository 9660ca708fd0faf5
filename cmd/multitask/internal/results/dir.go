package results

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// MaxNameLen is the longest directory name, in bytes, that [Dir] makes of
// one argument. GNU parallel cuts names to the longest its file system
// takes, which it learns by trying when a job's directory cannot be made;
// 255 is that length on Linux's common file systems (ext4, XFS, Btrfs,
// tmpfs).
const MaxNameLen = 255

// Dir returns the directory of a job's files in GNU parallel's plain
// --results layout: root/name1/arg1/name2/arg2/... Each argument is
// escaped, "\" as `\\`, tab as `\t`, NUL as `\0` and "/" as `\_`, and cut to
// [MaxNameLen] bytes; names are used as given. Nothing else is escaped, so
// an empty argument, "." or ".." puts the files in the directory above, as
// in GNU parallel, and a newline stays a newline.
//
// names are the input sources' names: "1", "2", ... or the --header names.
// args holds the job's arguments, one record of len(names) after another
// (-N, -m and -X put several records in one job; the last may be short).
// Within each record the pairs are ordered by name, numerically first as
// Perl compares numbers ("9" before "10", names that are not numbers count
// as 0) and then byte by byte, so --header names are sorted, while the
// default names keep the sources' order. Dir panics when args is not empty
// but names is.
func Dir(root string, names []string, args []string) string {
	if len(names) == 0 && len(args) > 0 {
		panic("results: Dir given arguments without names")
	}
	var parts []string
	for start := 0; start < len(args); start += len(names) {
		record := args[start:min(start+len(names), len(args))]
		for _, i := range byName(names[:len(record)]) {
			parts = append(parts, names[i], escape(record[i]))
		}
	}
	return root + "/" + strings.Join(parts, "/")
}

// escaper escapes the bytes GNU parallel escapes in a directory name.
var escaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\x00", `\0`, "/", `\_`)

// escape makes arg one directory name, as GNU parallel does.
func escape(arg string) string {
	s := escaper.Replace(arg)
	return s[:min(len(s), MaxNameLen)]
}

// byName returns the indexes of names in the order GNU parallel lays them
// out: by Perl's <=> on the names, then by cmp, keeping the input order of
// equal names.
func byName(names []string) []int {
	idx := make([]int, len(names))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		na, nb := perlNum(names[a]), perlNum(names[b])
		switch {
		case na < nb:
			return -1
		case na > nb:
			return 1
		}
		// Equal, or NaN, for which <=> is undefined and counts as equal.
		return strings.Compare(names[a], names[b])
	})
	return idx
}

// perlNum returns the number Perl reads from s in numeric context: the
// longest decimal prefix after leading white space ("12abc" is 12), Inf and
// NaN by name, and 0 when there are no digits.
func perlNum(s string) float64 {
	s = strings.TrimLeft(s, " \t\n\r\f\v")
	sign := ""
	if s != "" && (s[0] == '+' || s[0] == '-') {
		sign, s = s[:1], s[1:]
	}
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "inf"):
		return map[string]float64{"": math.Inf(1), "+": math.Inf(1), "-": math.Inf(-1)}[sign]
	case strings.HasPrefix(lower, "nan"):
		return math.NaN()
	}
	intEnd := digits(s, 0)
	n := intEnd
	if n < len(s) && s[n] == '.' {
		n = digits(s, n+1)
	}
	if intEnd == 0 && n <= 1 {
		return 0 // no digits before or after the point
	}
	if n < len(s) && (s[n] == 'e' || s[n] == 'E') {
		e := n + 1
		if e < len(s) && (s[e] == '+' || s[e] == '-') {
			e++
		}
		if end := digits(s, e); end > e {
			n = end
		}
	}
	// Out of range, ParseFloat returns ±Inf with an error, as Perl reads it.
	f, _ := strconv.ParseFloat(sign+s[:n], 64)
	return f
}

// digits returns the index of the first byte at or after i in s that is
// not an ASCII digit.
func digits(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
