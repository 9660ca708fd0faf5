package input

import (
	"fmt"
	"regexp"
	"strings"
)

// perlSplit splits s as Perl's split /re/, s, limit does for the limits GNU
// parallel uses: -1 keeps trailing empty fields, 0 drops them. A match of
// zero length at the start yields no leading empty field, the text of
// capturing groups is inserted between the fields (a group that did not
// take part gives ""), and an empty s gives no fields at all.
func perlSplit(re *regexp.Regexp, s string, limit int) []string {
	if s == "" {
		return nil
	}
	var out []string
	start := 0
	for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
		if m[1] == 0 {
			continue
		}
		out = append(out, s[start:m[0]])
		for g := 2; g < len(m); g += 2 {
			if m[g] < 0 {
				out = append(out, "")
			} else {
				out = append(out, s[m[g]:m[g+1]])
			}
		}
		start = m[1]
	}
	out = append(out, s[start:])
	if limit == 0 {
		for len(out) > 0 && out[len(out)-1] == "" {
			out = out[:len(out)-1]
		}
	}
	return out
}

// trimmer removes white space as --trim says: "n" nothing, "l" at the
// start, "r" at the end, "lr" or "rl" at both.
type trimmer struct{ left, right bool }

func newTrimmer(mode string) (trimmer, error) {
	switch mode {
	case "n":
		return trimmer{}, nil
	case "l":
		return trimmer{left: true}, nil
	case "r":
		return trimmer{right: true}, nil
	case "lr", "rl":
		return trimmer{left: true, right: true}, nil
	}
	return trimmer{}, fmt.Errorf("input: --trim must be one of: r l rl lr (got %q)", mode)
}

func (t trimmer) trim(s string) string {
	if t.left {
		s = strings.TrimLeft(s, perlSpace)
	}
	if t.right {
		s = strings.TrimRight(s, perlSpace)
	}
	return s
}

// UnescapeDelim turns the argument of -d/--delimiter into the delimiter
// itself, as GNU parallel does: \t, \n and \r become TAB, newline and
// carriage return, then \ followed by three digits, then \ followed by one
// digit, become the character Perl reads for that escape in a string (an
// octal escape for 0-7: "\101" is "A", "\0" is NUL, "\018" is "\x01" and
// "8"; \8 and \9 are the digits themselves). Each step is one pass over the
// result of the one before, so "\\n" becomes a backslash and a newline, as
// in GNU. Nothing else is unescaped. An octal escape above \377 names no
// byte and is an error; the empty string stays empty (paragraph mode, see
// [Options.Paragraph]).
func UnescapeDelim(s string) (string, error) {
	s = strings.ReplaceAll(s, `\t`, "\t")
	s = strings.ReplaceAll(s, `\n`, "\n")
	s = strings.ReplaceAll(s, `\r`, "\r")
	s, err := unescapeDigits(s, 3)
	if err != nil {
		return "", err
	}
	return unescapeDigits(s, 1)
}

// unescapeDigits replaces, left to right, each backslash followed by
// exactly n digits with what Perl makes of that escape in a double-quoted
// string.
func unescapeDigits(s string, n int) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '\\' || i+n >= len(s) || !allDigits(s[i+1:i+1+n]) {
			b.WriteByte(s[i])
			i++
			continue
		}
		digits := s[i+1 : i+1+n]
		// Perl reads up to three octal digits; a digit 8 or 9 ends the
		// escape, and an escape with no octal digit is the digit itself.
		octal := 0
		for octal < len(digits) && digits[octal] <= '7' {
			octal++
		}
		if octal == 0 {
			b.WriteString(digits)
		} else {
			v := 0
			for _, c := range digits[:octal] {
				v = v*8 + int(c-'0')
			}
			if v > 0xff {
				return "", fmt.Errorf("input: delimiter escape \\%s is not a byte", digits)
			}
			b.WriteByte(byte(v))
			b.WriteString(digits[octal:])
		}
		i += 1 + n
	}
	return b.String(), nil
}

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
