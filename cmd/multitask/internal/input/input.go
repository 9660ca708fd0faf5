package input

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"sync"
)

// A Source is one input source: the values after one ::: or the file after
// :::: or -a. A Source with File set reads that file; otherwise it holds
// Values, possibly none (an empty ::: group).
type Source struct {
	// Values are the arguments given after ::: (or :::+). GNU parallel
	// writes them to a file, each followed by the record delimiter, and
	// reads them back like any input file, so a value holding the
	// delimiter (a newline by default) becomes several values, and -E, -r
	// and --header apply to them as to lines of a file.
	Values []string
	// File is the file given after :::: (or ::::+), -a or --arg-file; "-"
	// is [Options.Stdin]. Every Source naming "-" reads the same stream, one
	// record at a time in turn, as GNU shares its stdin handle.
	File string
	// Link is true for a source given as :::+ or ::::+: it is linked with
	// the source before it (their values are taken pairwise instead of in
	// a cross product). It is ignored on the first source and under
	// [Options.Link]. The caller sets it where GNU does: on each file after
	// one ::::+, and, since GNU counts the -a files out of turn, on the
	// source that GNU's own bookkeeping marks when -a and :::+ are mixed.
	Link bool
}

// Options say where the input comes from and how it is cut into values. The
// zero value reads lines from Stdin, one per job. Open copies what it needs.
type Options struct {
	// Sources are the input sources in command-line order. None means
	// lines from Stdin.
	Sources []Source
	// Stdin is read for the File "-" and when there are no Sources; nil
	// reads as empty.
	Stdin io.Reader
	// SkipFirstLine (--skip-first-line) drops the first line of the first
	// source, up to and with its newline, whatever the delimiter, as GNU
	// parallel reads one line of it before the rest.
	SkipFirstLine bool
	// Null (-0, --null) ends records at NUL instead of newline.
	Null bool
	// Delim (-d, --delimiter) ends records at this string, already
	// unescaped with [UnescapeDelim]; it takes precedence over Null. Empty
	// means the default (newline, or NUL with Null).
	Delim string
	// Paragraph is -d '' (an empty delimiter): records end at one or more
	// empty lines, and a record keeps its inner newlines (Perl's paragraph
	// mode). The values of a ::: source are then joined with nothing
	// between them. It takes precedence over Delim and Null.
	Paragraph bool
	// Colsep (--colsep REGEXP) splits each value into columns, each a value
	// of its own ({1} {2} ...), with Perl's split keeping trailing empty
	// columns; an empty value is one empty column. The regexp is Go's
	// (RE2) syntax, which matches Perl's for the usual separators. Given
	// explicitly, it also makes Trim default to "lr", as GNU does.
	Colsep string
	// CSV (--csv) reads values as records of CSV, split into columns as
	// Perl's Text::CSV parses them, at Colsep, one byte, or else a comma.
	// A line that leaves a quoted field open goes on with the next one.
	CSV bool
	// Header (--header) makes the first record of every source a header
	// whose columns name the value columns (see [Reader.Names]); that
	// record is no job. GNU ignores the regexp given to --header outside
	// --pipe: any value but "0" reads exactly one record. "0" reads no
	// header and names each file source by its file name instead. With a
	// header and no Colsep, values are split at tabs (but not trimmed).
	Header string
	// Link (--link, --xapply) takes one value from every source per
	// record instead of the cross product; a source that runs out starts
	// again from its first value, until every source has run out in the
	// same round.
	Link bool
	// MaxArgs (-n N, -N N with N > 0) puts N records in a job; the last
	// job may hold fewer. 0 means -n was not given: one record per job.
	MaxArgs int
	// NoArgs is -n 0 / -N 0: one record is read per job, but the job gets
	// none of its values; every value is [NoArg] instead.
	NoArgs bool
	// Trim (--trim) removes white space from the values: "n" none, "l" at
	// the start, "r" at the end, "lr" or "rl" both. Empty means GNU's
	// default: "lr" when Colsep is set, else "n". -E, -r and the header
	// see the values untrimmed.
	Trim string
	// EOF (-E) ends a source at the first value equal to it (compared
	// before trimming and splitting into columns). "0" is ignored, as Perl
	// takes it for false.
	EOF string
	// JoinLines (-L, -l) reads a value that ends in white space as
	// going on with the next one, joined to it, as GNU parallel's -L reads
	// lines; a value left so at the end, or at the EOF string, stands
	// alone.
	JoinLines bool
	// NoRunIfEmpty (-r) skips values that hold nothing but white space.
	// Without it an empty line is a job with one empty value.
	NoRunIfEmpty bool
	// Shuf (--shuf) reads every record first and yields them in random
	// order; MaxArgs then groups the shuffled records.
	Shuf bool
	// Warn, if set, receives each line of the warnings GNU parallel prints
	// about the input, without GNU's "parallel: Warning: " prefix: a value
	// holding NUL, or the first three values ending in CR-NL. It is called
	// from the goroutine that ranges over the jobs.
	Warn func(line string)
}

// NoArg is the value every argument takes under [Options.NoArgs]. GNU
// parallel drops a word of the command that expands to exactly this value,
// and {} of such a job expands to nothing. No value read from input can
// equal it: input NUL characters are replaced.
const NoArg = "\x00noarg"

// An OpenError reports an input file that could not be opened. GNU parallel
// prints "Cannot open input file `File': No such file or directory." for it
// whatever the cause, and exits with 255.
type OpenError struct {
	File string
	Err  error
}

func (e *OpenError) Error() string {
	return fmt.Sprintf("input: cannot open input file %q: %v", e.File, e.Err)
}

// Unwrap returns the cause, an *fs.PathError.
func (e *OpenError) Unwrap() error { return e.Err }

// ErrEmptySource is yielded when, under [Options.Link], a source has no
// value at all while another still has one: GNU parallel dies on it
// ("Can't call method "orig" on an undefined value") before running any job
// of that round, with exit status 255.
var ErrEmptySource = errors.New("input: an input source is empty; --link has no value to take from it")

// errConsumed is yielded by a second iteration: the input is read once.
var errConsumed = errors.New("input: the input has already been read")

// config is what Open derives from Options for reading.
type config struct {
	eofStr    string
	skipEmpty bool
	joinLines bool
	csv       bool // a record goes on while its quotes are odd
	warnFn    func(string)
	// The CR-NL warning looks at the first three values read from any
	// source, as GNU counts them globally.
	crDecided        bool
	crCount, nlCount int
}

func (c *config) warn(line string) {
	if c.warnFn != nil {
		c.warnFn(line)
	}
}

// A Reader yields the jobs' values from the input sources. It must not be
// copied. Its methods are not safe for concurrent use, except Close.
type Reader struct {
	cfg     config
	srcs    []source
	links   []bool // links[i]: source i is linked with source i+1 (no --link)
	link    bool
	colsep  *regexp.Regexp // nil: records are not split into columns
	csvSep  byte           // with CSV: the separator, colsep being nil
	trim    trimmer
	noArgs  bool
	maxArgs int
	shuf    bool
	names   []string
	files   []*os.File
	used    bool

	closeOnce sync.Once
	closeErr  error
}

// Open opens every input file, reads the header of every source when
// opt.Header asks for one (so it blocks until the first record of stdin
// has arrived when stdin is a source) and returns a Reader positioned at
// the first job. It reads nothing more. The errors are an *[OpenError]
// naming the file, a bad Colsep regexp or a bad Trim; none leaves a file
// open.
func Open(opt Options) (*Reader, error) {
	r := &Reader{
		cfg: config{
			skipEmpty: opt.NoRunIfEmpty,
			joinLines: opt.JoinLines,
			warnFn:    opt.Warn,
			// GNU counts CR-NL endings only when -d was not given.
			crDecided: opt.Warn == nil || opt.Delim != "" || opt.Paragraph,
		},
		link:    opt.Link,
		noArgs:  opt.NoArgs,
		maxArgs: max(opt.MaxArgs, 1),
		shuf:    opt.Shuf,
	}
	if opt.EOF != "0" {
		r.cfg.eofStr = opt.EOF
	}
	if opt.NoArgs {
		r.maxArgs = 1
	}
	trim := opt.Trim
	if trim == "" {
		trim = "n"
		if opt.Colsep != "" {
			trim = "lr"
		}
	}
	var err error
	if r.trim, err = newTrimmer(trim); err != nil {
		return nil, err
	}
	colsep := opt.Colsep
	if colsep == "" && opt.Header != "" {
		colsep = `\t`
	}
	if opt.CSV {
		r.cfg.csv = true
		r.csvSep = ','
		switch len(opt.Colsep) {
		case 0:
		case 1:
			r.csvSep = opt.Colsep[0]
		default:
			return nil, fmt.Errorf("input: --csv: --colsep %q: the separator of CSV is one character", opt.Colsep)
		}
		colsep = ""
	}
	if colsep != "" {
		if r.colsep, err = regexp.Compile(colsep); err != nil {
			return nil, fmt.Errorf("input: --colsep %q: %w", colsep, err)
		}
	}

	delim := "\n"
	switch {
	case opt.Paragraph:
		delim = ""
	case opt.Delim != "":
		delim = opt.Delim
	case opt.Null:
		delim = "\x00"
	}
	stdin := opt.Stdin
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var stdinSplitter *splitter
	stdinSource := func() *splitter {
		if stdinSplitter == nil {
			stdinSplitter = newSplitter(stdin, "-", delim, opt.Paragraph)
		}
		return stdinSplitter
	}
	sources := opt.Sources
	if len(sources) == 0 {
		sources = []Source{{File: "-"}}
	}
	// skip is where the first source is read from, without its first line
	// under SkipFirstLine.
	skip := func(i int, in io.Reader) io.Reader {
		if i == 0 && opt.SkipFirstLine {
			return SkipLine(in)
		}
		return in
	}
	if len(sources) > 0 && sources[0].File == "-" {
		stdin = skip(0, stdin) // shared by every source reading "-"
	}
	for i, s := range sources {
		var sp *splitter
		switch s.File {
		case "":
			var b bytes.Buffer
			for _, v := range s.Values {
				b.WriteString(v)
				b.WriteString(delim)
			}
			sp = newSplitter(skip(i, &b), ":::", delim, opt.Paragraph)
		case "-":
			sp = stdinSource()
		default:
			f, err := os.Open(s.File)
			if err != nil {
				r.Close()
				return nil, &OpenError{File: s.File, Err: err}
			}
			r.files = append(r.files, f)
			sp = newSplitter(skip(i, f), s.File, delim, opt.Paragraph)
		}
		r.srcs = append(r.srcs, source{sp: sp, cfg: &r.cfg})
		r.links = append(r.links, i+1 < len(sources) && sources[i+1].Link)
	}
	if err := r.readHeader(opt); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// readHeader names the columns as GNU parallel does: from the first record
// of every source, read raw (no -E, no -r), without a trailing CR, split at
// the column separator dropping trailing empty names; with "0", from the
// file names of the file sources, where GNU skips ::: sources without
// counting them.
func (r *Reader) readHeader(opt Options) error {
	switch opt.Header {
	case "":
		return nil
	case "0":
		for _, s := range opt.Sources {
			if s.File != "" {
				r.names = append(r.names, s.File)
			}
		}
		return nil
	}
	r.names = []string{}
	for _, s := range r.srcs {
		line, _, ok, err := s.sp.raw()
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if strings.HasSuffix(line, "\r") {
			line = line[:len(line)-1]
		} else if strings.HasSuffix(line, "\r\n") {
			line = line[:len(line)-2] + "\n"
		}
		if r.cfg.csv {
			names, err := csvFields(line, r.csvSep)
			if err != nil {
				return err
			}
			r.names = append(r.names, names...)
			continue
		}
		r.names = append(r.names, perlSplit(r.colsep, line, 0)...)
	}
	return nil
}

// Names returns the column names: Names()[i] names column {i+1}. With a
// header they come from every source's header in turn, so a second
// source's names start after the first source's columns; with Header "0"
// they are the file names of the file sources. GNU rewrites {name} (and
// {name/}, {name//}, {name.}, {name/.}, {=name ...=}) to the column number
// in the command before any job runs, name by name in this order, so the
// first column of a name wins. Names is nil without Header.
func (r *Reader) Names() []string { return r.names }

// Records yields every record in GNU parallel's order: one value per source
// (or per column with Colsep), after -E, -r, trimming and NoArgs. It
// streams: a record is yielded as soon as the values it takes have been
// read, wherever stdin stands among the sources (a cross product keeps
// every value read so far in memory, as GNU does). Shuf reads everything
// first.
//
// It blocks while it reads. An error (a failed read, [ErrEmptySource]) is
// yielded once with a nil record and ends the sequence. The input is read
// once: Records and Jobs may be ranged over only once between them.
func (r *Reader) Records() iter.Seq2[[]string, error] {
	return func(yield func([]string, error) bool) {
		if r.used {
			yield(nil, errConsumed)
			return
		}
		r.used = true
		var all [][]string
		var badRecord error
		err := r.records(func(rec []string) bool {
			rec, badRecord = r.finish(rec)
			switch {
			case badRecord != nil:
				return false
			case r.shuf:
				all = append(all, rec)
				return true
			}
			return yield(rec, nil)
		})
		if err = cmp.Or(err, badRecord); err != nil {
			yield(nil, err)
			return
		}
		rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		for _, rec := range all {
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// records yields the raw records of the sources, combined as --link or the
// cross product (with :::+ links) says, until yield returns false.
func (r *Reader) records(yield func([]string) bool) error {
	if r.link {
		return r.linkRecords(yield)
	}
	return r.nestRecords(yield)
}

// Jobs yields each job's values: MaxArgs records (one without -n), their
// values in one list, the last job possibly short. Positional {n} is the
// n-th of these values, as in GNU parallel. It streams as [Reader.Records]
// does: the first job comes as soon as its records are read.
func (r *Reader) Jobs() iter.Seq2[[]string, error] {
	return func(yield func([]string, error) bool) {
		var job []string
		n := 0
		for rec, err := range r.Records() {
			if err != nil {
				yield(nil, err)
				return
			}
			if r.maxArgs == 1 {
				if !yield(rec, nil) {
					return
				}
				continue
			}
			job = append(job, rec...)
			if n++; n == r.maxArgs {
				if !yield(job, nil) {
					return
				}
				job, n = nil, 0
			}
		}
		if n > 0 {
			yield(job, nil)
		}
	}
}

// finish turns a record of source values into the values a job sees:
// split into columns, NUL replaced, NoArg or trimmed.
func (r *Reader) finish(rec []string) ([]string, error) {
	if r.colsep != nil || r.cfg.csv {
		var cols []string
		for _, v := range rec {
			switch {
			case v == "":
				cols = append(cols, "")
			case r.cfg.csv:
				fields, err := csvFields(v, r.csvSep)
				if err != nil {
					return nil, err
				}
				cols = append(cols, fields...)
			default:
				cols = append(cols, perlSplit(r.colsep, v, -1)...)
			}
		}
		rec = cols
	}
	warned := false // GNU warns once per record
	for i, v := range rec {
		if strings.IndexByte(v, 0) >= 0 {
			// A NUL cannot go into an argument list. GNU leaves one at
			// the very start of a value alone (and then fails to quote it);
			// here every NUL is replaced.
			rec[i] = strings.ReplaceAll(v, "\x00", `\0`)
			if !warned {
				warned = true
				r.cfg.warn(`A NUL character in the input was replaced with \0.`)
				r.cfg.warn("NUL cannot be passed through in the argument list.")
				r.cfg.warn("Did you mean to use the --null option?")
			}
		}
		if r.noArgs {
			rec[i] = NoArg
		} else {
			rec[i] = r.trim.trim(rec[i])
		}
	}
	return rec, nil
}

// Close closes the input files Open opened; it does not close Stdin.
// Reading after Close yields an error. It is idempotent and safe to call
// from any goroutine, and returns the first result.
func (r *Reader) Close() error {
	r.closeOnce.Do(func() {
		var errs []error
		for _, f := range r.files {
			errs = append(errs, f.Close())
		}
		r.closeErr = errors.Join(errs...)
	})
	return r.closeErr
}

// lineSkipper reads r without its first line: the bytes up to and with
// the first newline.
type lineSkipper struct {
	r       io.Reader
	skipped bool
}

// SkipLine returns r without its first line.
func SkipLine(r io.Reader) io.Reader { return &lineSkipper{r: r} }

func (s *lineSkipper) Read(p []byte) (int, error) {
	for !s.skipped {
		n, err := s.r.Read(p)
		if i := bytes.IndexByte(p[:n], '\n'); i >= 0 {
			s.skipped = true
			if rest := copy(p, p[i+1:n]); rest > 0 || err != nil {
				return rest, err
			}
			break
		}
		if err != nil {
			return 0, err
		}
	}
	return s.r.Read(p)
}
