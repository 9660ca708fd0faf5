package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// MetaName is the name of the file [Job.Finish] writes beside a job's
// stdout in the directory layouts. GNU parallel writes no file of that
// name; in the file layout of a template, the meta file is the output
// file's name with "." + MetaName appended.
const MetaName = "meta.json"

// A Job is one job's open result files. Its fields are set by [Open] and
// [OpenPath]; Finish closes them.
type Job struct {
	// Stdout receives the job's standard output: the file "stdout", or the
	// template's file itself.
	Stdout *os.File
	// Stderr receives the job's standard error: "stderr", or the template's
	// file + ".err".
	Stderr *os.File

	meta string // where Finish writes the Meta

	once sync.Once
	err  error // Finish's result
}

// Meta is what [Job.Finish] records about a finished job, as JSON, beside
// the files GNU parallel writes.
type Meta struct {
	// Seq is the job's sequence number, {#}.
	Seq int `json:"seq"`
	// Command is the command line as run.
	Command string `json:"command"`
	// Exitval is the exit status as the joblog gives it: 0-255, 0 when a
	// signal killed the job, -1 when --timeout did.
	Exitval int `json:"exitval"`
	// Signal is the number of the signal that ended the job, or 0.
	Signal int `json:"signal"`
	// Start is when the job started (RFC 3339 in JSON).
	Start time.Time `json:"start"`
	// Runtime is how long the job ran, in nanoseconds in JSON.
	Runtime time.Duration `json:"runtime_ns"`
	// MaxRSS is the job's peak resident set size in bytes, the largest of
	// its processes' as the operating system reports it; 0 when unknown.
	MaxRSS int64 `json:"max_rss_bytes"`
	// KilledBy names the option whose limit killed the job, without its
	// dashes ("timeout"); empty when no limit did.
	KilledBy string `json:"killed_by,omitempty"`
}

// Open makes the job's directory, [Dir](root, names, args), and in it the
// files GNU parallel makes: "seq", holding seq in decimal with no newline,
// then "stdout" and "stderr", empty. Files of an earlier run are
// overwritten. Files are made with mode 0666 and directories 0777, less the
// umask.
func Open(root string, names, args []string, seq int) (*Job, error) {
	return openDir(Dir(root, names, args), seq)
}

// OpenPath opens a job's files where --results with a replacement string
// puts them; out is the option's value with the job's replacement strings
// expanded (--results out/{1}). GNU parallel uses this layout only when the
// expansion changed the value; an unchanged value is the root of [Open]'s
// layout. An out that ends in "/" is a directory, made if need be, that
// holds "seq", "stdout" and "stderr" as Open's does. Any other out is a
// file that receives stdout, beside out+".err" and out+".seq", with its
// directory made if need be.
func OpenPath(out string, seq int) (*Job, error) {
	if strings.HasSuffix(out, "/") {
		return openDir(out, seq)
	}
	if dir := filepath.Dir(out); dir != "." {
		if err := os.MkdirAll(dir, 0o777); err != nil {
			return nil, fmt.Errorf("results: %w", err)
		}
	}
	return openFiles(out+".seq", out, out+".err", out+"."+MetaName, seq)
}

// DryRun makes, for a job that --dry-run does not run, the files GNU
// parallel then makes where OpenPath would open them: "seq" and an empty
// "stderr" (out+".seq" and out+".err" in the file layout), and no stdout.
func DryRun(out string, seq int) error {
	seqPath, stderr := out+".seq", out+".err"
	if strings.HasSuffix(out, "/") {
		seqPath, stderr = out+"seq", out+"stderr"
	}
	if err := os.MkdirAll(filepath.Dir(seqPath), 0o777); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	if err := os.WriteFile(seqPath, []byte(strconv.Itoa(seq)), 0o666); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	f, err := create(stderr)
	if err != nil {
		return err
	}
	return closeFile(f)
}

// openDir makes dir and opens a job's files in it.
func openDir(dir string, seq int) (*Job, error) {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	dir = strings.TrimSuffix(dir, "/") + "/"
	return openFiles(dir+"seq", dir+"stdout", dir+"stderr", dir+MetaName, seq)
}

// openFiles writes seq to seqPath and opens stdout and stderr, in GNU
// parallel's order.
func openFiles(seqPath, stdout, stderr, meta string, seq int) (*Job, error) {
	if err := os.WriteFile(seqPath, []byte(strconv.Itoa(seq)), 0o666); err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	j := &Job{meta: meta}
	var err error
	if j.Stdout, err = create(stdout); err != nil {
		return nil, err
	}
	if j.Stderr, err = create(stderr); err != nil {
		j.Stdout.Close()
		return nil, err
	}
	return j, nil
}

// create opens path for reading and writing, empty, as Perl's "+>" does.
func create(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	return f, nil
}

// Finish closes the job's files and writes m as JSON to the meta file,
// replacing it whole, so a reader never sees half of it. It is safe to call
// more than once; a repeat call returns the first result.
func (j *Job) Finish(m Meta) error {
	j.once.Do(func() {
		j.err = errors.Join(closeFile(j.Stdout), closeFile(j.Stderr), writeMeta(j.meta, m))
	})
	return j.err
}

// closeFile closes f, wrapping the error.
func closeFile(f *os.File) error {
	if err := f.Close(); err != nil {
		return fmt.Errorf("results: %w", err)
	}
	return nil
}

// writeMeta writes m to path through a temporary file renamed over it.
func writeMeta(path string, m Meta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("results: encode meta: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".meta-*")
	if err != nil {
		return fmt.Errorf("results: %w", err)
	}
	_, err = tmp.Write(append(b, '\n'))
	err = errors.Join(err, tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("results: write meta: %w", err)
	}
	return nil
}

// Done reports whether a job's results are already there, the test GNU
// parallel makes for --resume with --results and no --joblog: out, the
// job's [Dir] or expanded template, holds a "stdout", or is a regular file
// (the template's file layout).
func Done(out string) bool {
	if _, err := os.Stat(strings.TrimSuffix(out, "/") + "/stdout"); err == nil {
		return true
	}
	fi, err := os.Stat(out)
	return err == nil && fi.Mode().IsRegular()
}
