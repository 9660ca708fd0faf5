package tmpl

import "strings"

// Quote returns s quoted for a Bourne shell (sh, dash, bash, ksh, zsh) the
// way GNU parallel quotes a value: unchanged when it is non-empty and every
// byte is one of -_.+/ or an ASCII letter or digit, and otherwise inside
// single quotes, with each ' written as '"'"' and the pair of quotes this
// leaves at either end dropped. So "it's" becomes 'it'"'"'s', "'a'"
// becomes "'"'a'"'", the empty string becomes a pair of single quotes, and
// every byte of 0x80 and above is quoted.
func Quote(s string) string {
	if isSafe(s) && s != "" {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	appendQuote(&b, s)
	return b.String()
}

// safeByte marks the bytes GNU parallel leaves unquoted.
var safeByte = func() (t [256]bool) {
	for _, c := range []byte("-_.+/0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		t[c] = true
	}
	return t
}()

func isSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		if !safeByte[s[i]] {
			return false
		}
	}
	return true
}

// appendQuote writes Quote(s) to b without building the intermediate string.
func appendQuote(b *strings.Builder, s string) {
	if s == "" {
		b.WriteString("''")
		return
	}
	if isSafe(s) {
		b.WriteString(s)
		return
	}
	last := len(s) - 1
	// GNU wraps s in quotes, turns each ' into '"'"', then drops one ''
	// at each end; the drops are the quote that would open (or close)
	// next to a ' at the very start (or end) of s.
	if s[0] != '\'' {
		b.WriteByte('\'')
	}
	for i := 0; i <= last; {
		j := strings.IndexByte(s[i:], '\'')
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		b.WriteString(s[i : i+j])
		i += j
		if i > 0 {
			b.WriteByte('\'')
		}
		b.WriteString(`"'"`)
		if i < last {
			b.WriteByte('\'')
		}
		i++
	}
	if s[last] != '\'' {
		b.WriteByte('\'')
	}
}
