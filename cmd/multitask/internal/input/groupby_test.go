package input

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseGroupKey(t *testing.T) {
	for in, want := range map[string]GroupKey{
		"3":               {Column: 3, HasCol: true},
		"-2":              {Column: -2, HasCol: true},
		"0 $_ %= 10":      {HasCol: true, Code: "$_ %= 10"},
		"name":            {Name: "name", HasCol: true, Header: true},
		"name s/x//":      {Name: "name", HasCol: true, Header: true, Code: "s/x//"},
		"1abc":            {Name: "1abc", HasCol: true},
		"s/-.*//":         {Code: "s/-.*//"},
		"chop":            {Name: "chop", HasCol: true, Header: true}, // as GNU reads it
		"$_ = int($_/10)": {Code: "$_ = int($_/10)"},
	} {
		if got := ParseGroupKey(in); got != want {
			t.Errorf("ParseGroupKey(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func TestGroupBy(t *testing.T) {
	const m = "|"
	upTo := func(code, v string) (string, error) { return strings.SplitN(v, code, 2)[0], nil }
	for _, tc := range []struct {
		key, colsep, in, want string
	}{
		// The last line's key lacks the newline the others' hold.
		{"2", "", "1\tx\n2\tx\n3\ty\n4\tx\n5\tx", "|1\tx\n2\tx\n|3\ty\n|4\tx\n|5\tx"},
		{"0", ",", "x,1\ny,1\n", "|x,1\n|y,1\n"},
		{"-1", "", "1\tx\n2\ty\n", "|1\tx\n2\ty\n"},
		{"b", "", "a\tb\tc\n1\tx\t5\n2\tx\t6\n", "a\tb\tc\n|1\tx\t5\n2\tx\t6\n"},
		{"-", "", "a-1\na-2\nb-1\n", "|a-1\na-2\n|b-1\n"},
		{"2 .", ",", "1,a.x\n2,a.y\n3,b.x\n", "|1,a.x\n2,a.y\n|3,b.x\n"},
		{"1", "", "", ""},
	} {
		key := ParseGroupKey(tc.key)
		r, err := GroupBy(iotest.OneByteReader(strings.NewReader(tc.in)), key, tc.colsep, upTo, m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || string(got) != tc.want {
			t.Errorf("GroupBy(%q) of %q = %q, %v; want %q", tc.key, tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ key, in string }{
		{"z", "a\tb\n1\t2\n"},
		{"b", "a\tb\n1\t2\n"}, // the last name holds the newline, as in GNU
		{"1abc", "1abc\n1\n"},
	} {
		r, err := GroupBy(strings.NewReader(tc.in), ParseGroupKey(tc.key), "", upTo, m)
		if err == nil {
			_, err = io.ReadAll(r)
		}
		if !errors.Is(err, ErrNoColumn) {
			t.Errorf("GroupBy(%q) of %q: %v, want ErrNoColumn", tc.key, tc.in, err)
		}
	}
}
