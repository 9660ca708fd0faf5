package input

import (
	"errors"
	"io"
	"strconv"
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

func TestBinner(t *testing.T) {
	double := func(code, v string) (string, error) { return v + v, nil }
	for _, tc := range []struct {
		key, colsep string
		jobs        int
		lines       []string
		want        []int
	}{
		// The number modulo the jobs picks the job; 0 picks the last.
		{"1", "", 3, []string{"1\n", "-1\n", "2.7\n", "x\n", " 5\n", "1e1\n", "3\n"}, []int{0, 1, 1, 2, 1, 0, 2}},
		{"2", ",", 2, []string{"a,1\n", "b,2\n", "c\n"}, []int{0, 1, 1}},
		{"-1", ",", 2, []string{"a,1,b\n"}, []int{0}},       // $F[-2]
		{"0", ",", 4, []string{"7,1\n"}, []int{2}},          // the whole line
		{"2 double", ",", 3, []string{"a,1,x\n"}, []int{1}}, // 11
	} {
		b, err := NewBinner(ParseGroupKey(tc.key), tc.colsep, double, tc.jobs, false)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range tc.lines {
			if got, err := b.Job(line); err != nil || got != tc.want[i] {
				t.Errorf("--bin %q, %d jobs: %q goes to %d, %v; want %d", tc.key, tc.jobs, line, got, err, tc.want[i])
			}
		}
	}
	// --shard: a key always picks the same job, and keys spread.
	b, err := NewBinner(ParseGroupKey("1"), ",", nil, 4, true)
	if err != nil {
		t.Fatal(err)
	}
	used := map[int]bool{}
	for i := range 100 {
		key := strconv.Itoa(i)
		j1, _ := b.Job(key + ",a\n")
		j2, _ := b.Job(key + ",b\n")
		if j1 != j2 || j1 < 0 || j1 >= 4 {
			t.Fatalf("key %s went to jobs %d and %d", key, j1, j2)
		}
		used[j1] = true
	}
	if len(used) != 4 {
		t.Errorf("100 keys used %d of 4 jobs", len(used))
	}
}
