// Package input reads the input sources of the multitask command and yields
// each job's argument values in the order GNU parallel gives them, with GNU
// parallel's quirks, since GNU parallel is the specification.
//
// [Open] takes [Options] (the sources given by :::, :::+, ::::, ::::+ and
// -a, or stdin; the record delimiter; --colsep, --header, --link, -n, --trim,
// -E, -r, --shuf) and returns a [Reader]. [Reader.Jobs] yields the values of
// each job; [Reader.Records] yields the records before -n groups them, for
// callers that group by other rules (-m, -X); [Reader.Names] gives the
// column names read by --header. The package uses only the standard
// library.
//
// # Order
//
// Several sources give their cross product, the last source varying
// fastest: "::: a b ::: 1 2" gives a 1, a 2, b 1, b 2. A source linked with
// :::+ (or ::::+) to the one before takes the same index as it, and values
// beyond the shorter of the two are dropped. With --link ([Options.Link])
// every source gives one value per record and a shorter source starts again
// from its first value; :::+ changes nothing then. An empty source in a
// cross product counts as one empty value; under --link it is an error
// ([ErrEmptySource]), as GNU parallel dies on it.
//
// The values of a ::: source are read as if from a file in which each is
// followed by the delimiter, so a value holding a newline is two values
// unless -0 or -d says otherwise, and -E, -r and --header apply to them.
//
// # Records
//
// A record ends at the delimiter (newline; NUL with -0; any string with -d,
// see [UnescapeDelim]; empty lines with an empty -d), which is removed; a last
// record without it still counts, and a stream ending in the delimiter has
// no empty record after it. Nothing else is removed: an empty line is a job
// with one empty value (unless -r), and a CR before the newline stays in the
// value (GNU only warns after three such lines). A NUL inside a value is
// replaced by the two characters \0, with GNU's warning.
//
// # Streaming
//
// Values are read only when needed: the first job is yielded once its
// values have been read, before a large stdin has been read to its end.
// Only --shuf reads everything first. In a cross product every value read so
// far of every source is kept, since later records combine it again.
//
// Reading 1,000,000 short lines costs one string and one small slice per
// line, through a buffered reader; no regexp runs unless --colsep (or
// --header) asks for columns.
package input
