package joblog

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Header is the first line of a joblog, without its newline, as GNU
// parallel writes it.
const Header = "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand"

// LocalHost is the Host column of a job run on this machine.
const LocalHost = ":"

// columns is the number of tab-separated columns of a line.
const columns = 9

// An Entry is one line of a joblog: one finished job.
type Entry struct {
	// Seq is the job's sequence number, {#}, counted from 1.
	Seq int
	// Host is the sshlogin the job ran on: [LocalHost] for this machine.
	// An empty Host is written as LocalHost.
	Host string
	// Start is when the job started; the log keeps it to the millisecond.
	Start time.Time
	// Runtime is how long the job ran; the log keeps whole milliseconds.
	Runtime time.Duration
	// Send is the number of bytes transferred to the host (--transferfile,
	// or the block given to a --pipe job); 0 for a plain local job.
	Send int64
	// Receive is the number of bytes returned: the size of the job's
	// standard output as GNU parallel counts it.
	Receive int64
	// Exitval is the exit status (0-255); 0 when a signal killed the job;
	// -1 when --timeout killed it.
	Exitval int
	// Signal is the number of the signal that ended the job, or 0.
	Signal int
	// Command is the command line as run. It may hold tabs and newlines.
	Command string
}

// String returns e as a joblog line, without the newline.
func (e Entry) String() string {
	f := e.Fields()
	f[3] = fmt.Sprintf("%10s", f[3])
	f[8] = strings.ReplaceAll(f[8], "\n", "\x00")
	return strings.Join(f[:], "\t")
}

// Fields returns e's columns as text, in [Header]'s order, as GNU parallel
// prints them both in a joblog and in the rows of --results .csv, .tsv and
// .json files: JobRuntime without the joblog's padding, Command as is, and
// an empty Host as [LocalHost].
func (e Entry) Fields() [columns]string {
	host := e.Host
	if host == "" {
		host = LocalHost
	}
	return [columns]string{
		strconv.Itoa(e.Seq),
		host,
		millis(e.Start.Round(time.Millisecond).UnixMilli()),
		millis(e.Runtime.Milliseconds()),
		strconv.FormatInt(e.Send, 10),
		strconv.FormatInt(e.Receive, 10),
		strconv.Itoa(e.Exitval),
		strconv.Itoa(e.Signal),
		e.Command,
	}
}

// millis formats ms thousandths as a decimal with three places, as
// printf's %.3f does.
func millis(ms int64) string {
	sign := ""
	if ms < 0 {
		sign, ms = "-", -ms
	}
	return fmt.Sprintf("%s%d.%03d", sign, ms/1000, ms%1000)
}

// parseLine parses one joblog line without its newline. Numbers may carry
// surrounding spaces, as JobRuntime does.
func parseLine(line string) (Entry, error) {
	f := strings.SplitN(line, "\t", columns)
	if len(f) != columns {
		return Entry{}, fmt.Errorf("%d columns, want %d", len(f), columns)
	}
	e := Entry{Host: f[1], Command: strings.ReplaceAll(f[8], "\x00", "\n")}
	seq, err := strconv.ParseUint(strings.TrimSpace(f[0]), 10, 31)
	if err != nil {
		return Entry{}, fmt.Errorf("column Seq: %w", err)
	}
	e.Seq = int(seq)
	start, err := parseDecimal(f[2])
	if err != nil {
		return Entry{}, fmt.Errorf("column Starttime: %w", err)
	}
	e.Start = time.Unix(0, 0).Add(start)
	if e.Runtime, err = parseDecimal(f[3]); err != nil {
		return Entry{}, fmt.Errorf("column JobRuntime: %w", err)
	}
	if e.Send, err = strconv.ParseInt(strings.TrimSpace(f[4]), 10, 64); err != nil {
		return Entry{}, fmt.Errorf("column Send: %w", err)
	}
	if e.Receive, err = strconv.ParseInt(strings.TrimSpace(f[5]), 10, 64); err != nil {
		return Entry{}, fmt.Errorf("column Receive: %w", err)
	}
	if e.Exitval, err = strconv.Atoi(strings.TrimSpace(f[6])); err != nil {
		return Entry{}, fmt.Errorf("column Exitval: %w", err)
	}
	if e.Signal, err = strconv.Atoi(strings.TrimSpace(f[7])); err != nil {
		return Entry{}, fmt.Errorf("column Signal: %w", err)
	}
	return e, nil
}

// parseDecimal parses seconds written as digits with an optional sign and
// fraction ("12", "-0.5", "1700000000.123") into a Duration, exactly: a
// float would turn .123 into .122999.
func parseDecimal(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || sec > int64(1<<63-1)/int64(time.Second)-1 {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	d := time.Duration(sec) * time.Second
	scale := time.Second
	for _, c := range frac {
		if scale /= 10; scale == 0 {
			break // finer than a nanosecond
		}
		d += time.Duration(c-'0') * scale
	}
	if neg {
		d = -d
	}
	return d, nil
}
