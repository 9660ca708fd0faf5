package input

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"math"
	"regexp"
	"strconv"
)

// Binner picks, for --shard and --bin, the job each line of stdin goes
// to, as GNU parallel's sharder does: the key is a column of the line
// (the whole line without one), changed by Perl code if there is some.
// --bin takes the key as a number, modulo the jobs; --shard hashes it, so
// that the lines of a key go to one job.
type Binner struct {
	key   GroupKey
	sep   *regexp.Regexp
	names *regexp.Regexp // what splits the header
	eval  func(code, v string) (string, error)
	jobs  int
	shard bool
}

// NewBinner picks among jobs jobs by k, its columns split at colsep (a
// comma by default), eval running its Perl code; shard hashes the keys.
func NewBinner(k GroupKey, colsep string, eval func(code, v string) (string, error), jobs int, shard bool) (*Binner, error) {
	if k.Name != "" && !k.Header {
		return nil, fmt.Errorf("%w: %q", ErrNoColumn, k.Name)
	}
	// GNU splits the header at --colsep as given, which without one is
	// between every two bytes, and the lines at a comma.
	sep, err := regexp.Compile(cmp.Or(colsep, ","))
	if err != nil {
		return nil, fmt.Errorf("input: --colsep %q: %w", colsep, err)
	}
	names := sep
	if colsep == "" {
		names = regexp.MustCompile(``)
	}
	return &Binner{key: k, sep: sep, names: names, eval: eval, jobs: jobs, shard: shard}, nil
}

// Header reads the header line, which names the key's column.
func (b *Binner) Header(line string) error {
	return b.key.resolve(perlSplit(b.names, line, 0))
}

// Job returns the index, from 0, of the job that gets line, newline and
// all.
func (b *Binner) Job(line string) (int, error) {
	// GNU's $F[$col-1] of split($sep, $_, $col+1): the whole line for
	// none or column 0, counted from the end for a negative one.
	v := line
	if b.key.HasCol && b.key.Column != 0 {
		limit := 0
		if b.key.Column < 0 {
			limit = -1 // Perl's split with a negative limit keeps every field
		}
		fields := perlSplit(b.sep, line, limit)
		i := b.key.Column - 1
		if i < 0 {
			i += len(fields)
		}
		v = ""
		if i >= 0 && i < len(fields) {
			v = fields[i]
		}
	}
	if b.key.Code != "" {
		var err error
		if v, err = b.eval(b.key.Code, v); err != nil {
			return 0, err
		}
	}
	if b.shard {
		h := fnv.New64a()
		h.Write([]byte(v))
		return int(h.Sum64() % uint64(b.jobs)), nil
	}
	// The job of the key modulo the jobs, the last one for 0, as GNU's
	// binner numbers them.
	n := perlInt(v) % int64(b.jobs)
	if n < 0 {
		n += int64(b.jobs)
	}
	if n == 0 {
		return b.jobs - 1, nil
	}
	return int(n - 1), nil
}

// perlNumber is the number Perl reads at the start of a string.
var perlNumber = regexp.MustCompile(`^[ \t\n\r\f\v]*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)`)

// perlInt is s as Perl's % reads it: its leading number, 0 if none,
// truncated to an integer.
func perlInt(s string) int64 {
	m := perlNumber.FindStringSubmatch(s)
	if m == nil {
		return 0
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil || math.IsNaN(f) {
		return 0
	}
	return int64(max(min(math.Trunc(f), math.MaxInt64), math.MinInt64))
}
