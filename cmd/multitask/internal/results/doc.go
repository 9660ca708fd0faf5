// Package results lays out the files of GNU parallel's --results option, as
// GNU parallel 20221122 does, and writes its CSV, TSV and JSON tables.
//
// # Directory layout
//
// With --results DIR each job gets a directory, [Dir]: DIR/1/arg1/2/arg2/...
// holding three files, made by [Open]:
//
//	seq     the job's sequence number in decimal, with no newline
//	stdout  the job's standard output
//	stderr  the job's standard error
//
// GNU parallel writes nothing else there (no exit status file); the exit
// status is in the --joblog. [Job.Finish] adds one file GNU parallel never
// writes, [MetaName], with a [Meta] record in JSON: exit status, signal,
// times, peak memory and the limit that killed the job, if any.
//
// Arguments are escaped ("/" becomes `\_`, "\" `\\`, tab `\t`, NUL `\0`) and
// cut to [MaxNameLen] bytes; nothing else is, so an empty argument, "." and
// ".." put a job's files in the directory above its own, where they may
// overwrite another job's, and a newline stays in the name. The pairs are
// ordered by source name: with --header the names are the header's and are
// sorted (numbers first, by value, as Perl compares them); without it they
// are "1", "2", ... and keep the command line's order. GNU parallel names
// a source read from a file (-a file, :::: file) with --header after the
// file, not after its header line: the caller passes the names GNU parallel
// uses.
//
// # Templates
//
// When --results holds replacement strings (--results out/{1}), GNU
// parallel expands it for each job and uses the expansion as is, see
// [OpenPath]: a value ending in "/" is a directory holding seq, stdout and
// stderr; any other value is the stdout file itself, beside value.err and
// value.seq. No escaping or cutting applies there.
//
// # Output
//
// With --results in the directory layouts, GNU parallel prints none of a
// job's output, on a terminal or not; stdout and stderr go only to the
// files. With -v the command line is written at the top of the job's stdout
// file. With --files or --line-buffer it prints the path of each job's
// stdout file, one per line. -u (--ungroup) still fills the files. The
// joblog's Receive column is the size of the stdout file (-v's line
// included), except that -u makes it 0 and --line-buffer counts it twice.
//
// # Tables
//
// A --results value ending in .csv, .tsv or .json ([FormatOf]) is one table
// of all jobs, a row per job, written by [Table] in GNU parallel's own
// quoting; "-.csv", "-.tsv" and "-.json" write it to stdout and print
// nothing else there. Each row holds the job's whole output, so GNU parallel
// keeps it in memory until the job ends.
//
// # Resuming
//
// --resume with --results and without --joblog skips the jobs whose results
// exist, which [Done] tells. With a table, GNU parallel resumes only from a
// --joblog; without one it warns that this is not supported and runs every
// job.
package results
