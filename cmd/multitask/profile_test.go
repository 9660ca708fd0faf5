package main

import (
	"slices"
	"testing"
)

func TestShellWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  -k   --tag ", []string{"-k", "--tag"}},
		{`--tagstring 'a b' "c d"`, []string{"--tagstring", "a b", "c d"}},
		{`a\ b c\\d`, []string{"a b", `c\d`}},
		{`"x\"y\$z"`, []string{`x"y$z`}},
		{`'it\'s' 'a\b'`, []string{"it's", `a\b`}},
		{`pre'mid'"end"`, []string{"premidend"}},
		{`''`, []string{""}},
	} {
		got, err := shellWords(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("shellWords(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{`'open`, `"open`} {
		if _, err := shellWords(bad); err == nil {
			t.Errorf("shellWords(%q): no error", bad)
		}
	}
}

// TestProfilesMatchGNU gives both tools the same $PARALLEL, config file
// and named profile, through $PARALLEL_HOME.
func TestProfilesMatchGNU(t *testing.T) {
	home := t.TempDir()
	writeFile(t, home, "config", "# the default profile\n-k\n--tagstring 'cfg {}'\n")
	writeFile(t, home, "mine", "-k --tagstring \"mine {}\"\n")
	t.Setenv("PARALLEL_HOME", home)
	for _, tc := range []struct {
		name, env string
		args      []string
	}{
		{"config", "", []string{"echo", ":::", "a", "b"}},
		{"config and env", "--tag -j1", []string{"echo", ":::", "a", "b"}},
		{"env after config", "--tagstring env", []string{"echo", ":::", "a"}},
		{"named profile", "", []string{"-J", "mine", "echo", ":::", "a", "b"}},
		{"a profile that is not there", "", []string{"--profile", "nowhere", "-k", "echo", ":::", "a", "b"}},
		{"plain", "--tag", []string{"--plain", "-k", "echo", ":::", "a", "b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PARALLEL", tc.env)
			want := runGNU(t, t.TempDir(), "", tc.args...)
			got := runIn(t, "", tc.args...)
			if got.stdout != want.stdout || got.code != want.code {
				t.Fatalf("multitask %q with $PARALLEL %q\n got %q exit %d\nwant %q exit %d (GNU parallel)", tc.args, tc.env, got.stdout, got.code, want.stdout, want.code)
			}
		})
	}
}
