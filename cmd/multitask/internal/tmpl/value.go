package tmpl

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// kind says which form of a value a replacement string stands for.
type kind uint8

const (
	kValue   kind = iota // {}: the value itself
	kExt                 // {.}: without its extension
	kBase                // {/}: its basename
	kDir                 // {//}: its directory
	kBaseExt             // {/.}: its basename without extension
	kSeq                 // {#}: the job's sequence number
	kSlot                // {%}: the job's slot number
	kTrim                // {^suffix}: without suffix (an addition to GNU)

	// --plus's.
	kPlusDir    // {+/}: the directory {/} leaves out, "" for none
	kPlusExt    // {+.}: the extension {.} leaves out
	kPlusExt2   // {+..}: the two extensions {..} leaves out
	kPlusExt3   // {+...}: the three extensions {...} leaves out
	kExt2       // {..}: without two extensions
	kExt3       // {...}: without three extensions
	kBaseExt2   // {/..}: the basename without two extensions
	kBaseExt3   // {/...}: the basename without three extensions
	kTotal      // {##}: the number of jobs
	kSeqPadded  // {0#}: {#} with zeros before it, as wide as {##}
	kSlotPadded // {0%}: {%} with zeros before it, as wide as the most jobs at once
)

// jobNums are the numbers of a job and its run that replacement strings
// insert: its sequence number and slot, and the number of jobs and of job
// slots (0 when not known).
type jobNums struct{ seq, slot, total, slots int }

// The Perl substitutions of --plus, applied once, as GNU applies them.
var (
	lastSlashOn = regexp.MustCompile(`/[^/]*$`)
	upToLastDot = regexp.MustCompile(`.*\.`)
	lastExts2   = regexp.MustCompile(`.*\.([^/.]*\.[^/.]*)$`)
	lastExts3   = regexp.MustCompile(`.*\.([^/.]*\.[^/.]*\.[^/.]*)$`)
	ext2        = regexp.MustCompile(`\.[^/.]*\.[^/.]*$`)
	ext3        = regexp.MustCompile(`\.[^/.]*\.[^/.]*\.[^/.]*$`)
	wholeLine   = regexp.MustCompile(`.*$`)
)

// subst is Perl's s/re/repl/ on v: the first match replaced, with $1 in
// repl expanded; ok reports whether re matched.
func subst(re *regexp.Regexp, v, repl string) (string, bool) {
	m := re.FindStringSubmatchIndex(v)
	if m == nil {
		return v, false
	}
	return v[:m[0]] + string(re.ExpandString(nil, repl, v, m)) + v[m[1]:], true
}

// substOrClear is GNU's s/re/repl/ || s:.*$:: of --plus's {+...} strings.
func substOrClear(re *regexp.Regexp, v, repl string) string {
	if out, ok := subst(re, v, repl); ok {
		return out
	}
	out, _ := subst(wholeLine, v, "")
	return out
}

// padded is n with zeros before it, as wide as most has digits.
func padded(n, most int) string {
	return fmt.Sprintf("%0*d", len(strconv.Itoa(max(most, 1))), n)
}

// rpl is one replacement string found in a command word.
type rpl struct {
	kind kind
	// positional is set for {N...}, {#} and {%}: they stand for one value
	// and are inserted once, where the others repeat for every value.
	positional bool
	// The value of {N...} is the job's value at index at, counted from
	// after the last value when fromEnd is set; an index still negative
	// then counts from the end once more, as Perl's do.
	at      int64
	fromEnd bool
	suffix  string // kTrim
	// The arguments of --plus's strings that take one (see plus.go).
	re   *regexp.Regexp
	text string
	n, m int
}

// newPositional reads the digits of {N...} as GNU's Perl does. GNU treats
// "0" (and only "0": not "00" or "-0") as no position at all. Beyond 63
// bits Perl names no value, except beyond 64 bits, where it computes in
// floating point and ends up with the last value. (At exactly 2^64-1 GNU
// dies for want of memory; here it names no value.) {#} and {%} are
// {1#} and {1%} to GNU.
func newPositional(k kind, digits string) rpl {
	if digits == "0" {
		return rpl{kind: k}
	}
	r := rpl{kind: k, positional: true}
	if n, err := strconv.ParseInt(digits, 10, 64); err == nil {
		if n > 0 {
			r.at = n - 1
		} else {
			r.at, r.fromEnd = n, true
		}
	} else if _, err := strconv.ParseUint(digits, 10, 64); err != nil && digits[0] != '-' {
		r.at = -1
	} else {
		r.at = math.MinInt64
	}
	return r
}

// index returns the index in a job's n values that r names.
func (r rpl) index(n int) (int, bool) {
	i := r.at
	if r.fromEnd {
		i += int64(n)
	}
	if i < 0 {
		i += int64(n)
	}
	return int(i), i >= 0 && i < int64(n)
}

// NoArg is the value GNU parallel gives a job for each input source under
// -N0: the job reads its input but inserts none of it. A replacement
// string whose value is NoArg inserts nothing at all, not even an empty
// pair of quotes, except {//}, which GNU computes as "." for it.
const NoArg = "\x00noarg"

// state says what a computed value contributes to the command.
type state uint8

const (
	vNone  state = iota // nothing: the value is NoArg
	vEmpty              // an empty token: a positional string past the last value
	vValue              // a value, quoted unless the template says otherwise
	vRaw                // a value never quoted: a {= =} that called uq()
)

// compute applies r's transformation to v, for the job of n.
func (r rpl) compute(v string, n jobNums) string {
	switch r.kind {
	case kPlusDir:
		return substOrClear(lastSlashOn, v, "")
	case kPlusExt:
		return substOrClear(upToLastDot, v, "")
	case kPlusExt2:
		return substOrClear(lastExts2, v, "$1")
	case kPlusExt3:
		return substOrClear(lastExts3, v, "$1")
	case kExt2:
		out, _ := subst(ext2, v, "")
		return out
	case kExt3:
		out, _ := subst(ext3, v, "")
		return out
	case kBaseExt2:
		out, _ := subst(ext2, base(v), "")
		return out
	case kBaseExt3:
		out, _ := subst(ext3, base(v), "")
		return out
	case kTotal:
		return strconv.Itoa(n.total)
	case kSeqPadded:
		return padded(n.seq, n.total)
	case kSlotPadded:
		return padded(n.slot, n.slots)
	case kExt:
		return noExt(v)
	case kBase:
		return base(v)
	case kDir:
		return dir(v)
	case kBaseExt:
		return noExt(base(v))
	case kSeq:
		return strconv.Itoa(n.seq)
	case kSlot:
		return strconv.Itoa(n.slot)
	case kTrim:
		if v == NoArg {
			return v
		}
		return strings.TrimSuffix(v, r.suffix)
	}
	if r.kind >= kDefault && v != NoArg {
		return r.computePlus(v)
	}
	return v
}

// noExt removes the last dot and what follows it, unless a slash follows
// it (GNU's s:\.[^/.]*$::): a/.bashrc gives a/ and .. gives a dot.
func noExt(v string) string {
	i := strings.LastIndexByte(v, '.')
	if i < 0 || strings.IndexByte(v[i:], '/') >= 0 {
		return v
	}
	return v[:i]
}

// base removes everything up to the last slash of the first line holding
// a slash: GNU's s:.*/:: lets . match anything but a newline, so
// "x\ny/z" gives "x\nz". A trailing slash leaves nothing.
func base(v string) string {
	lineStart := 0
	for lineStart <= len(v) {
		line := v[lineStart:]
		end := strings.IndexByte(line, '\n')
		if end >= 0 {
			line = line[:end]
		}
		if s := strings.LastIndexByte(line, '/'); s >= 0 {
			return v[:lineStart] + v[lineStart+s+1:]
		}
		if end < 0 {
			break
		}
		lineStart += end + 1
	}
	return v
}

// dir is Perl's File::Basename::dirname on Unix, which GNU uses: "." for
// a name without a slash (and for ""), "/" for "/" and "//a", and the
// trailing slashes of a/b/ ignored, giving a.
func dir(v string) string {
	d, b := splitPath(v)
	d = stripSlashes(d)
	if b == "" {
		d, _ = splitPath(d)
		d = stripSlashes(d)
	}
	return d
}

// splitPath is fileparse: the part through the last slash ("./" if none)
// and the rest.
func splitPath(v string) (string, string) {
	i := strings.LastIndexByte(v, '/')
	if i < 0 {
		return "./", v
	}
	return v[:i+1], v[i+1:]
}

// stripSlashes removes trailing slashes but keeps the first byte.
func stripSlashes(d string) string {
	for len(d) > 1 && d[len(d)-1] == '/' {
		d = d[:len(d)-1]
	}
	return d
}
