package results

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/multitask-go/multitask/cmd/multitask/internal/gnutest"
	"github.com/multitask-go/multitask/cmd/multitask/internal/joblog"
)

// TestTableMatchesGNU has GNU parallel write tables to stdout, with a
// joblog of the same jobs, then writes the joblog's entries as rows with
// Table and expects GNU parallel's bytes.
func TestTableMatchesGNU(t *testing.T) {
	t.Parallel()
	eleven := []string{}
	for i := range 11 {
		eleven = append(eleven, ":::", strings.Repeat("x", i))
	}
	tests := []struct {
		name   string
		format string
		stdin  string
		args   []string // GNU parallel's: options, then input sources
		header []string
		jobs   [][]string // each job's arguments, by seq
	}{
		{"csv quoting", "-.csv", "", []string{":::", "plain", "a b", `q"x`, "c,d", "tab\tx", "\x01", "é", ""}, nil,
			[][]string{{"plain"}, {"a b"}, {`q"x`}, {"c,d"}, {"tab\tx"}, {"\x01"}, {"é"}, {""}}},
		{"csv newline", "-.csv", "nl\nx\x00v\vt\x00", []string{"-0"}, nil, [][]string{{"nl\nx"}, {"v\vt"}}},
		{"tsv quoting", "-.tsv", "", []string{":::", "plain", "a b", `q"x`, "c,d", "tab\tx"}, nil,
			[][]string{{"plain"}, {"a b"}, {`q"x`}, {"c,d"}, {"tab\tx"}}},
		{"tsv header names", "-.tsv", "", []string{"--header", ":", ":::", "h1", "a", ":::", "h 2", "b"}, []string{"h1", "h 2"},
			[][]string{{"a", "b"}}},
		{"csv names past V9", "-.csv", "", eleven, nil, [][]string{{"", "x", "xx", "xxx", "xxxx", "xxxxx", "xxxxxx", "xxxxxxx", "xxxxxxxx", "xxxxxxxxx", "xxxxxxxxxx"}}},
		{"json", "-.json", "", []string{":::", "plain", `q"\`, "\x01\x1f\x7f", "é", "a/b", ":::", "1", "2"}, nil,
			[][]string{{"plain", "1"}, {"plain", "2"}, {`q"\`, "1"}, {`q"\`, "2"}, {"\x01\x1f\x7f", "1"}, {"\x01\x1f\x7f", "2"}, {"é", "1"}, {"é", "2"}, {"a/b", "1"}, {"a/b", "2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			gnu := gnutest.Output(t, dir, tt.stdin, withOptions(tt.args, "-j1", "-k", "--joblog", "jl", "--results", tt.format,
				`printf '%s\n' {}; printf 'E%s' {} >&2`)...)
			l, err := joblog.Read(filepath.Join(dir, "jl"))
			if err != nil {
				t.Fatal(err)
			}
			var ours bytes.Buffer
			table := NewTable(&ours, FormatOf(tt.format), tt.header)
			n := 0
			for e := range l.Entries() {
				n++
				jobArgs := tt.jobs[e.Seq-1]
				var stdout, stderr strings.Builder
				for _, a := range jobArgs {
					stdout.WriteString(a + "\n")
					stderr.WriteString("E" + a)
				}
				row := Row{Entry: e, Args: jobArgs, Stdout: []byte(stdout.String()), Stderr: []byte(stderr.String())}
				if err := table.Write(row); err != nil {
					t.Fatal(err)
				}
			}
			if n != len(tt.jobs) {
				t.Fatalf("GNU parallel logged %d jobs, want %d", n, len(tt.jobs))
			}
			if ours.String() != gnu {
				t.Errorf("table differs\n got %q\nwant %q", ours.String(), gnu)
			}
		})
	}
}

// TestTableFile checks the table file GNU parallel writes for --results
// f.csv is what Table writes for the same rows: the table above goes to
// stdout, this one to a file, with nothing printed.
func TestTableFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if out := gnutest.Output(t, dir, "", "-j1", "-k", "--joblog", "jl", "--results", "T.CSV", "echo {}", ":::", "a", "b"); out != "" {
		t.Errorf("GNU parallel printed %q", out)
	}
	gnu, err := os.ReadFile(filepath.Join(dir, "T.CSV"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := joblog.Read(filepath.Join(dir, "jl"))
	if err != nil {
		t.Fatal(err)
	}
	var ours bytes.Buffer
	table := NewTable(&ours, FormatOf("T.CSV"), nil)
	for e := range l.Entries() {
		arg := []string{"a", "b"}[e.Seq-1]
		if err := table.Write(Row{Entry: e, Args: []string{arg}, Stdout: []byte(arg + "\n")}); err != nil {
			t.Fatal(err)
		}
	}
	if ours.String() != string(gnu) {
		t.Errorf("table differs\n got %q\nwant %q", ours.String(), gnu)
	}
}

// TestTableRows pins rows that need no GNU parallel to check.
func TestTableRows(t *testing.T) {
	t.Parallel()
	e := joblog.Entry{Seq: 3, Start: time.UnixMilli(1700000000123), Runtime: 1500 * time.Millisecond, Receive: 2, Exitval: -1, Signal: 15, Command: "echo 'a\nb'"}
	row := Row{Entry: e, Args: []string{"a\nb"}, Stdout: []byte("a\nb\n")}
	tests := []struct {
		format Format
		header []string
		want   string
	}{
		{CSV, nil, "Seq,Host,Starttime,JobRuntime,Send,Receive,Exitval,Signal,Command,V1,Stdout,Stderr\n" +
			"3,:,1700000000.123,1.500,0,2,-1,15,\"echo 'a\nb'\",\"a\nb\",\"a\nb\n\",\n"},
		{TSV, []string{"name"}, "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\tname\tStdout\tStderr\n" +
			"3\t:\t1700000000.123\t1.500\t0\t2\t-1\t15\t\"echo 'a\nb'\"\t\"a\nb\"\t\"a\nb\n\"\t\n"},
		{JSON, nil, `{ "Seq": 3, "Host": ":", "Starttime": 1700000000.123, "JobRuntime": 1.500, "Send": 0, "Receive": 2, "Exitval": -1, "Signal": 15, "Command": "echo 'a\u000ab'", "V": [ "a\u000ab" ], "Stdout": "a\u000ab\u000a", "Stderr": "" }` + "\n"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		table := NewTable(&b, tt.format, tt.header)
		if err := table.Write(row); err != nil {
			t.Fatal(err)
		}
		if b.String() != tt.want {
			t.Errorf("format %d:\n got %q\nwant %q", tt.format, b.String(), tt.want)
		}
	}
}

// TestFormatOf pins the suffixes GNU parallel recognises.
func TestFormatOf(t *testing.T) {
	t.Parallel()
	for arg, want := range map[string]Format{
		"dir": Files, "out.csv": CSV, "OUT.Csv": CSV, "-.tsv": TSV, "x.json": JSON, "x.jsonl": Files, "dir/{1}.csv": CSV, "csv": Files,
	} {
		if got := FormatOf(arg); got != want {
			t.Errorf("FormatOf(%q) = %d, want %d", arg, got, want)
		}
	}
}

// TestPerlIncrement pins Perl's magic string increment.
func TestPerlIncrement(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]string{"V1": "V2", "V9": "W0", "W9": "X0", "Z9": "AA0", "z9": "aa0", "99": "100", "Az": "Ba"} {
		if got := perlIncrement(s); got != want {
			t.Errorf("perlIncrement(%q) = %q, want %q", s, got, want)
		}
	}
}
