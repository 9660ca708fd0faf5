package input

// nestRecords yields the cross product of the sources in GNU parallel's
// order, reading as lazily as GNU does. The first record takes the first
// value of every source; a source that has none contributes one empty
// value instead (and if none has any, there is no record). Then, again and
// again, the last source that has not ended gives its next value, and every
// record that holds this new value and values already read from the other
// sources is yielded; if there are none (linked sources of unequal length),
// the source before it is read too. So the last source varies fastest,
// each earlier source advances only after every later one has ended, and
// every value of the later sources stays in memory, as in GNU.
func (r *Reader) nestRecords(yield func([]string) bool) error {
	n := len(r.srcs)
	read := make([][]string, n) // every value read so far, per source
	first := make([]string, n)
	some := false
	for i, s := range r.srcs {
		v, ok, err := s.next()
		if err != nil {
			return err
		}
		some = some || ok
		first[i] = v // "" for a source with no value
		if n > 1 {
			read[i] = append(read[i], v)
		}
	}
	if !some || !yield(first) {
		return nil
	}
	if n == 1 {
		for {
			v, ok, err := r.srcs[0].next()
			if !ok || err != nil {
				return err
			}
			if !yield([]string{v}) {
				return nil
			}
		}
	}
	idx := make([]int, n)
	for {
		gotOne := false
		for k := n - 1; k >= 0; k-- {
			v, ok, err := r.srcs[k].next()
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			gotOne = true
			read[k] = append(read[k], v)
			yielded, more := r.expand(read, k, 0, idx, yield)
			if !more {
				return nil
			}
			if yielded {
				break
			}
		}
		if !gotOne {
			return nil
		}
	}
}

// expand yields, from source pos on, the records that take the newest value
// of source k and any value read so far of every other source, the later
// sources varying faster. Sources linked by :::+ form a chain that takes
// one index for all its members, which exists only where every member has
// a value at that index; the chain follows the order of its last member.
// It reports whether it yielded and whether yield wants more.
func (r *Reader) expand(read [][]string, k, pos int, idx []int, yield func([]string) bool) (yielded, more bool) {
	if pos == len(read) {
		rec := make([]string, len(read))
		for i, x := range idx {
			rec[i] = read[i][x]
		}
		return true, yield(rec)
	}
	end := pos
	for end+1 < len(read) && r.links[end] {
		end++
	}
	lo, hi := 0, len(read[end])-1
	for i := pos; i <= end; i++ {
		if i == k {
			lo = max(lo, len(read[i])-1)
		}
		hi = min(hi, len(read[i])-1)
	}
	for x := lo; x <= hi; x++ {
		for i := pos; i <= end; i++ {
			idx[i] = x
		}
		y, more := r.expand(read, k, end+1, idx, yield)
		yielded = yielded || y
		if !more {
			return yielded, false
		}
	}
	return yielded, true
}

// linkRecords yields records for --link: one value from every source per
// record; a source that has ended gives its values again from the first,
// and the records end when every source has ended in the same round.
func (r *Reader) linkRecords(yield func([]string) bool) error {
	n := len(r.srcs)
	read := make([][]string, n) // kept only to be given again
	again := make([]int, n)     // the next value to give again, per ended source
	for {
		rec := make([]string, n)
		some, empty := false, false
		for i, s := range r.srcs {
			v, ok, err := s.next()
			if err != nil {
				return err
			}
			switch {
			case ok:
				some = true
				if n > 1 {
					read[i] = append(read[i], v)
				}
			case len(read[i]) == 0:
				empty = true
			default:
				v = read[i][again[i]]
				again[i] = (again[i] + 1) % len(read[i])
			}
			rec[i] = v
		}
		if !some {
			return nil
		}
		if empty {
			return ErrEmptySource
		}
		if !yield(rec) {
			return nil
		}
	}
}
