package joblog

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multitask-go/multitask/cmd/multitask/internal/gnutest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// unixMilli is the time ms milliseconds after the epoch.
func unixMilli(ms int64) time.Time { return time.UnixMilli(ms) }

// TestReadGNUTestdata reads a joblog GNU parallel 20221122 wrote, so the
// reader is tested where GNU parallel is not installed.
func TestReadGNUTestdata(t *testing.T) {
	t.Parallel()
	l, err := Read("testdata/gnu-20221122.joblog")
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{1, ":", unixMilli(1796596057852), 15 * time.Millisecond, 0, 2, 0, 0, "echo a"},
		{2, ":", unixMilli(1796596057905), 16 * time.Millisecond, 0, 0, 3, 0, "exit 3"},
		{3, ":", unixMilli(1796596057962), 24 * time.Millisecond, 0, 0, 0, 9, `sh -c "kill -9 \$\$"`},
		{4, ":", unixMilli(1796596058019), 23 * time.Millisecond, 0, 4, 0, 0, "printf \"%s\\n\" \"x\ty\""},
		{5, ":", unixMilli(1796596058080), 24 * time.Millisecond, 0, 8, 0, 0, "echo \"one\ntwo\""},
		{6, ":", unixMilli(1796596058185), 1945 * time.Millisecond, 0, 0, -1, 15, "sleep 3"},
		{7, ":", unixMilli(1796596060567), 23 * time.Millisecond, 0, 0, 255, 0, "exit 255"},
	}
	got := slices.Collect(l.Entries())
	if len(got) != len(want) {
		t.Fatalf("read %d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if !entriesEqual(got[i], want[i]) {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// entriesEqual compares entries, their times by instant.
func entriesEqual(a, b Entry) bool {
	return a.Start.Equal(b.Start) && a.Runtime == b.Runtime && a.Seq == b.Seq && a.Host == b.Host &&
		a.Send == b.Send && a.Receive == b.Receive && a.Exitval == b.Exitval &&
		a.Signal == b.Signal && a.Command == b.Command
}

// rewrite reads the joblog at path and writes its entries back with a
// Writer to a new file, whose bytes it returns.
func rewrite(t *testing.T, path string) []byte {
	t.Helper()
	l, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "rewritten")
	w, err := Create(out, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for e := range l.Entries() {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRewriteGNUTestdata writes the entries of GNU parallel's joblog back
// and expects the same bytes: header, padding, NUL for newline and all.
func TestRewriteGNUTestdata(t *testing.T) {
	t.Parallel()
	const path = "testdata/gnu-20221122.joblog"
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := rewrite(t, path); !bytes.Equal(got, want) {
		t.Errorf("rewritten joblog differs:\n got %q\nwant %q", got, want)
	}
}

// TestGNUJoblog has GNU parallel write a joblog of jobs that succeed, fail,
// are killed by a signal or by --timeout, and hold tabs and newlines; reads
// it; checks the statuses; and writes it back byte for byte.
func TestGNUJoblog(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	commands := []string{
		"echo a",
		"exit 3",
		"exit 300",
		`sh -c 'kill -9 $$'`,
		`sh -c 'kill -15 $$'`,
		"printf '%s\\n' 'x\ty'",
		"echo 'one\ntwo'",
		"sleep 5",
		"trap '' TERM; sleep 5",
	}
	stdin := strings.Join(commands, "\x00") + "\x00"
	gnutest.Run(t, dir, stdin, "-0", "-j0", "--timeout", "1", "--joblog", "jl") // jobs fail: the exit status is theirs
	path := filepath.Join(dir, "jl")
	l, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	type result struct{ exitval, signal int }
	want := map[string]result{
		"echo a":                {0, 0},
		"exit 3":                {3, 0},
		"exit 300":              {44, 0},
		`sh -c 'kill -9 $$'`:    {0, 9},
		`sh -c 'kill -15 $$'`:   {0, 15},
		"printf '%s\\n' 'x\ty'": {0, 0},
		"echo 'one\ntwo'":       {0, 0},
		"sleep 5":               {-1, 15},
		"trap '' TERM; sleep 5": {-1, 9},
	}
	n := 0
	for e := range l.Entries() {
		n++
		w, ok := want[e.Command]
		if !ok {
			t.Errorf("unexpected command %q", e.Command)
			continue
		}
		if got := (result{e.Exitval, e.Signal}); got != w {
			t.Errorf("%q: exitval, signal = %v, want %v", e.Command, got, w)
		}
		if e.Host != LocalHost || e.Seq != slices.Index(commands, e.Command)+1 {
			t.Errorf("%q: seq %d host %q", e.Command, e.Seq, e.Host)
		}
	}
	if n != len(commands) {
		t.Errorf("read %d entries, want %d", n, len(commands))
	}
	gnu, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := rewrite(t, path); !bytes.Equal(got, gnu) {
		t.Errorf("rewritten joblog differs:\n got %q\nwant %q", got, gnu)
	}
}

// TestEntryString pins the line format, padding and rounding included.
func TestEntryString(t *testing.T) {
	t.Parallel()
	start := time.Unix(1700000000, 123456789)
	tests := []struct {
		name string
		e    Entry
		want string
	}{
		{"local", Entry{Seq: 1, Host: ":", Start: start, Runtime: 5 * time.Millisecond, Receive: 2, Command: "echo a"},
			"1\t:\t1700000000.123\t     0.005\t0\t2\t0\t0\techo a"},
		{"empty host is local", Entry{Seq: 2, Start: start, Command: "true"},
			"2\t:\t1700000000.123\t     0.000\t0\t0\t0\t0\ttrue"},
		{"start rounds, runtime truncates", Entry{Seq: 3, Start: time.Unix(1700000000, 999500000), Runtime: 1999999999, Command: "x"},
			"3\t:\t1700000001.000\t     1.999\t0\t0\t0\t0\tx"},
		{"timeout", Entry{Seq: 4, Host: "server", Start: start, Runtime: 30 * time.Second, Exitval: -1, Signal: 15, Command: "sleep 60"},
			"4\tserver\t1700000000.123\t    30.000\t0\t0\t-1\t15\tsleep 60"},
		{"runtime wider than ten", Entry{Seq: 5, Start: start, Runtime: 123456789 * time.Second, Send: 7, Receive: 1 << 40, Command: "c"},
			"5\t:\t1700000000.123\t123456789.000\t7\t1099511627776\t0\t0\tc"},
		{"tab and newline in command", Entry{Seq: 6, Start: start, Command: "printf 'a\tb\nc\n'"},
			"6\t:\t1700000000.123\t     0.000\t0\t0\t0\t0\tprintf 'a\tb\x00c\x00'"},
		{"before the epoch", Entry{Seq: 7, Start: time.UnixMilli(-1500), Command: "c"},
			"7\t:\t-1.500\t     0.000\t0\t0\t0\t0\tc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.e.String(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestWriteReadRoundTrip writes entries with a Writer and reads them back.
func TestWriteReadRoundTrip(t *testing.T) {
	t.Parallel()
	entries := []Entry{
		{Seq: 1, Host: ":", Start: unixMilli(1700000000123), Runtime: 5 * time.Millisecond, Receive: 2, Command: "echo a"},
		{Seq: 2, Host: "user@host", Start: unixMilli(1700000001000), Runtime: 61 * time.Second, Send: 10, Receive: 20, Exitval: 1, Command: "false"},
		{Seq: 3, Host: ":", Start: unixMilli(1700000002002), Runtime: time.Second, Exitval: -1, Signal: 9, Command: "a\tb\nc\n"},
		{Seq: 4, Host: ":", Start: unixMilli(1700000003003), Command: ""},
		{Seq: 10, Host: ":", Start: unixMilli(1700000004004), Exitval: 255, Command: "héllo wörld"},
	}
	path := filepath.Join(t.TempDir(), "jl")
	w, err := Create(path, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	l, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Collect(l.Entries())
	if len(got) != len(entries) {
		t.Fatalf("read %d entries, want %d", len(got), len(entries))
	}
	for i := range entries {
		if !entriesEqual(got[i], entries[i]) {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, got[i], entries[i])
		}
	}
}

// logFile is a joblog's text built from lines.
func logFile(lines ...string) string {
	return strings.Join(lines, "\n") + "\n"
}

const (
	ok1   = "1\t:\t1.000\t     0.001\t0\t2\t0\t0\techo 1"
	fail2 = "2\t:\t1.000\t     0.001\t0\t0\t1\t0\techo 2"
	ok2   = "2\t:\t1.000\t     0.001\t0\t2\t0\t0\techo 2"
	sig3  = "3\t:\t1.000\t     0.001\t0\t0\t0\t9\techo 3"
	ok4   = "4\t:\t1.000\t     0.001\t0\t2\t0\t0\techo 4"
	fail4 = "4\t:\t1.000\t     0.001\t0\t0\t2\t0\techo 4"
	tmo5  = "5\t:\t1.000\t     0.001\t0\t0\t-1\t15\techo 5"
)

// TestResumeMatchesGNU gives GNU parallel the same joblogs under --resume
// and --resume-failed and checks that it runs exactly the jobs Done and
// Succeeded leave to run, in seq and in command mode.
func TestResumeMatchesGNU(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		log  string
	}{
		{"mixed", logFile(Header, ok1, fail2, sig3, ok4, tmo5)},
		{"success after failure", logFile(Header, fail2, ok2, fail4)},
		{"failure after success", logFile(Header, ok4, fail4, ok2, fail2)},
		{"no header loses the first line", logFile(ok1, ok2, ok4)},
		{"header of an older version", logFile("Seq Host Starttime Runtime Send Receive Exitval Signal Command", ok1, sig3)},
		{"empty", ""},
		{"header only", logFile(Header)},
	}
	for _, tt := range tests {
		for _, mode := range []string{"--resume", "--resume-failed"} {
			t.Run(tt.name+mode, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				path := filepath.Join(dir, "jl")
				if err := os.WriteFile(path, []byte(tt.log), 0o666); err != nil {
					t.Fatal(err)
				}
				l, err := Read(path)
				if err != nil {
					t.Fatal(err)
				}
				var want []string
				for seq := 1; seq <= 6; seq++ {
					cmd := fmt.Sprintf("echo %d", seq)
					skip, skipCmd := l.Done(seq), l.DoneCommand(cmd)
					if mode == "--resume-failed" {
						skip, skipCmd = l.Succeeded(seq), l.SucceededCommand(cmd)
					}
					if skip != skipCmd {
						t.Errorf("seq %d: by seq %v, by command %v", seq, skip, skipCmd)
					}
					if !skip {
						want = append(want, fmt.Sprint(seq))
					}
				}
				out := gnutest.Output(t, dir, "", mode, "--joblog", "jl", "-k", "echo", ":::", "1", "2", "3", "4", "5", "6")
				if got := strings.Fields(out); !slices.Equal(got, want) {
					t.Errorf("GNU parallel ran %q, Log says %q", got, want)
				}
			})
		}
	}
}

// TestReadTolerates covers files Read accepts beyond what GNU parallel
// writes.
func TestReadTolerates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		log       string
		done      []int
		succeeded []int
	}{
		{"missing file", "", nil, nil},
		{"torn last line", logFile(Header, ok1) + "2\t:\t1.0", []int{1}, []int{1}},
		{"torn last line that looks whole", logFile(Header, ok1) + ok2, []int{1}, []int{1}},
		{"torn header", "Seq\tHo", nil, nil},
		{"unpadded runtime and spaces", logFile(Header, "7\t:\t 1.5 \t0.25\t 0\t1 \t0\t0\techo", "8\t:\t2\t1\t0\t0\t0\t0\t"), []int{7, 8}, []int{7, 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "jl")
			if tt.log != "" {
				if err := os.WriteFile(path, []byte(tt.log), 0o666); err != nil {
					t.Fatal(err)
				}
			}
			l, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			for seq := range 10 {
				if got, want := l.Done(seq), slices.Contains(tt.done, seq); got != want {
					t.Errorf("Done(%d) = %v", seq, got)
				}
				if got, want := l.Succeeded(seq), slices.Contains(tt.succeeded, seq); got != want {
					t.Errorf("Succeeded(%d) = %v", seq, got)
				}
			}
		})
	}
}

// TestReadRejects checks that a line that is not an entry fails Read with a
// FormatError naming it.
func TestReadRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		log  string
		line int
	}{
		{"blank line", logFile(Header, ok1, "", ok2), 3},
		{"too few columns", logFile(Header, "1\t:\t1.000\t0.001\t0\t0\t0\t0"), 2},
		{"no seq", logFile(Header, ok1, "x\t:\t1.000\t0.001\t0\t0\t0\t0\tc"), 3},
		{"negative seq", logFile(Header, "-1\t:\t1.000\t0.001\t0\t0\t0\t0\tc"), 2},
		{"bad start", logFile(Header, "1\t:\t1.0.0\t0.001\t0\t0\t0\t0\tc"), 2},
		{"bad runtime", logFile(Header, "1\t:\t1.000\t.5\t0\t0\t0\t0\tc"), 2},
		{"bad exitval", logFile(Header, "1\t:\t1.000\t0.5\t0\t0\tx\t0\tc"), 2},
		{"glued by an append after a torn line", logFile(Header, "2\t:\t1.03\t:\t1796595845.497\t     0.009\t0\t2\t0\t0\techo c"), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "jl")
			if err := os.WriteFile(path, []byte(tt.log), 0o666); err != nil {
				t.Fatal(err)
			}
			_, err := Read(path)
			var fe *FormatError
			if !errors.As(err, &fe) || !errors.Is(err, ErrFormat) {
				t.Fatalf("Read: %v, want a FormatError", err)
			}
			if fe.Line != tt.line || fe.Path != path {
				t.Errorf("FormatError at %s:%d, want %s:%d", fe.Path, fe.Line, path, tt.line)
			}
		})
	}
}

// TestCreate covers the header and appending rules of GNU parallel, and
// the cutting of a torn last line: it writes one entry after Create and
// checks the whole file.
func TestCreate(t *testing.T) {
	t.Parallel()
	const missing = "\x00missing"
	entry := Entry{Seq: 9, Start: unixMilli(1000), Command: "new"}
	line := entry.String() + "\n"
	tests := []struct {
		name    string
		plus    bool
		resume  bool
		initial string
		want    string
	}{
		{"new file", false, false, missing, logFile(Header) + line},
		{"truncates", false, false, logFile(Header, ok1), logFile(Header) + line},
		{"resume appends", false, true, logFile(Header, ok1), logFile(Header, ok1) + line},
		{"resume on missing file", false, true, missing, logFile(Header) + line},
		{"resume on empty file", false, true, "", logFile(Header) + line},
		{"resume keeps a headerless file", false, true, logFile(ok1), logFile(ok1) + line},
		{"resume cuts a torn line", false, true, logFile(Header, ok1) + "2\t:\t1.0", logFile(Header, ok1) + line},
		{"resume writes a header after cutting a torn one", false, true, "Seq\tHo", logFile(Header) + line},
		{"plus appends", true, false, logFile(Header, ok1), logFile(Header, ok1) + line},
		{"plus on missing file writes no header", true, false, missing, line},
		{"plus on empty file writes no header", true, false, "", line},
		{"plus cuts a torn line", true, false, logFile(Header) + "1\t:", logFile(Header) + line},
		{"plus resume on missing file writes no header", true, true, missing, line},
		{"plus resume on empty file writes the header", true, true, "", logFile(Header) + line},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "jl")
			if tt.initial != missing {
				if err := os.WriteFile(path, []byte(tt.initial), 0o666); err != nil {
					t.Fatal(err)
				}
			}
			arg := path
			if tt.plus {
				arg = "+" + path
			}
			w, err := Create(arg, tt.resume, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(entry); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("file holds %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCreateMatchesGNU runs GNU parallel with the same --joblog value and
// starting file as Create, and compares the files with the times blanked.
func TestCreateMatchesGNU(t *testing.T) {
	t.Parallel()
	const missing = "\x00missing"
	// An entry that does not record seq 1, the one job GNU parallel runs.
	const ok5 = "5\t:\t1.000\t     0.001\t0\t2\t0\t0\techo 5"
	tests := []struct {
		name    string
		plus    bool
		resume  bool
		initial string
	}{
		{"new file", false, false, missing},
		{"truncates", false, false, logFile(Header, ok5)},
		{"resume appends", false, true, logFile(Header, ok5)},
		{"resume on missing file", false, true, missing},
		{"resume on empty file", false, true, ""},
		{"resume keeps a headerless file", false, true, logFile(ok5)},
		{"plus appends", true, false, logFile(Header, ok5)},
		{"plus on missing file", true, false, missing},
		{"plus on empty file", true, false, ""},
		{"plus resume on missing file", true, true, missing},
		{"plus resume on empty file", true, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			gnuPath, ourPath := filepath.Join(dir, "gnu"), filepath.Join(dir, "ours")
			if tt.initial != missing {
				for _, p := range []string{gnuPath, ourPath} {
					if err := os.WriteFile(p, []byte(tt.initial), 0o666); err != nil {
						t.Fatal(err)
					}
				}
			}
			args := []string{"--joblog", "gnu"}
			if tt.plus {
				args[1] = "+gnu"
			}
			if tt.resume {
				args = append(args, "--resume")
			}
			gnutest.Output(t, dir, "", append(args, "echo", ":::", "9")...)
			arg := ourPath
			if tt.plus {
				arg = "+" + ourPath
			}
			w, err := Create(arg, tt.resume, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(Entry{Seq: 9, Start: time.Now(), Receive: 2, Command: "echo 9"}); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			gnu, ours := blankTimes(t, gnuPath), blankTimes(t, ourPath)
			// GNU parallel numbers its one job 1; ours is 9.
			gnu = strings.Replace(gnu, "1\t:\tT\tT\t0\t2\t0\t0\techo 9", "9\t:\tT\tT\t0\t2\t0\t0\techo 9", 1)
			if gnu != ours {
				t.Errorf("GNU parallel wrote %q\n         we wrote %q", gnu, ours)
			}
		})
	}
}

// blankTimes returns the joblog at path with its Starttime and JobRuntime
// columns replaced by T.
func blankTimes(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	for i, line := range lines {
		f := strings.SplitN(line, "\t", columns)
		if len(f) == columns && f[0] != "Seq" {
			f[2], f[3] = "T", "T"
			lines[i] = strings.Join(f, "\t")
		}
	}
	return strings.Join(lines, "")
}

// TestCreateStdout writes a log to stdout as --joblog - does, and checks
// that with resume "-" is a file, as in GNU parallel.
func TestCreateStdout(t *testing.T) {
	t.Chdir(t.TempDir())
	var stdout bytes.Buffer
	w, err := Create("-", false, &stdout)
	if err != nil {
		t.Fatal(err)
	}
	e := Entry{Seq: 1, Start: unixMilli(1000), Command: "c"}
	if err := w.Write(e); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if want := logFile(Header, e.String()); stdout.String() != want {
		t.Errorf("stdout holds %q, want %q", stdout.String(), want)
	}

	if err := os.WriteFile("-", []byte(logFile(Header, ok1)), 0o666); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	w, err = Create("-", true, &stdout)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(e); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("-")
	if err != nil {
		t.Fatal(err)
	}
	if want := logFile(Header, ok1, e.String()); string(got) != want || stdout.Len() != 0 {
		t.Errorf("file - holds %q, stdout %q; want %q in the file", got, stdout.String(), want)
	}
}

// TestCreateDevice writes a log to a file that cannot be synced, as
// --joblog /dev/stderr does on a terminal.
func TestCreateDevice(t *testing.T) {
	t.Parallel()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	syncErr := null.Sync()
	null.Close()
	if syncErr == nil {
		t.Skipf("%s can be synced here", os.DevNull)
	}
	w, err := Create(os.DevNull, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(Entry{Seq: 1, Command: "c"}); err != nil {
		t.Errorf("Write: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestWriterConcurrent writes from many goroutines and expects every entry
// back on a line of its own.
func TestWriterConcurrent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "jl")
	w, err := Create(path, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 25
	long := strings.Repeat("x", 10000)
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range each {
				seq := g*each + i + 1
				if err := w.Write(Entry{Seq: seq, Start: unixMilli(int64(seq)), Command: fmt.Sprint(seq, long)}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	l, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for e := range l.Entries() {
		n++
		if e.Command != fmt.Sprint(e.Seq, long) {
			t.Errorf("entry %d has command %.20q…", e.Seq, e.Command)
		}
	}
	if n != writers*each {
		t.Errorf("read %d entries, want %d", n, writers*each)
	}
}

// TestWriterClose checks that Close is idempotent and that Write fails
// after it.
func TestWriterClose(t *testing.T) {
	t.Parallel()
	w, err := Create(filepath.Join(t.TempDir(), "jl"), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.Write(Entry{Seq: 1}); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Close: %v, want os.ErrClosed", err)
	}
}

// TestWriteRejectsHostWithTab checks that an entry that would not read
// back is refused.
func TestWriteRejectsHostWithTab(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	w, err := Create("-", false, &out)
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"a\tb", "a\nb"} {
		if err := w.Write(Entry{Seq: 1, Host: host}); err == nil {
			t.Errorf("Write with host %q succeeded", host)
		}
	}
	if out.String() != logFile(Header) {
		t.Errorf("stdout holds %q", out.String())
	}
}

// FuzzParseLine checks that parsing never panics and that a parsed line,
// formatted and parsed again, formats the same.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{ok1, fail2, sig3, tmo5, "1\t:\t-1.5\t1\t0\t0\t0\t0\ta\x00b\tc", "9\t\t\t\t\t\t\t\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		e, err := parseLine(line)
		if err != nil || strings.ContainsAny(e.Host, "\t\n") {
			return
		}
		formatted := e.String()
		e2, err := parseLine(formatted)
		if err != nil {
			t.Fatalf("parse %q: %v", formatted, err)
		}
		if again := e2.String(); again != formatted {
			t.Fatalf("%q formats as %q, then %q", line, formatted, again)
		}
	})
}
