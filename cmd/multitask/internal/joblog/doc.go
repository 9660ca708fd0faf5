// Package joblog reads and writes the job log of GNU parallel's --joblog
// option, and answers the questions --resume and --resume-failed ask of it.
//
// # Format
//
// A joblog is a text file of tab-separated lines. The first line is
// [Header]; each later line records one finished job:
//
//	Seq  Host  Starttime       JobRuntime  Send  Receive  Exitval  Signal  Command
//	1    :     1700000000.123       0.005  0     2        0        0       echo a
//
// Starttime is Unix seconds with three decimals, rounded to the
// millisecond; JobRuntime is seconds with three decimals, truncated to the
// millisecond and right-aligned in ten columns (printf's %10.3f). Host is
// ":" for a job run on this machine. A job killed by signal N has Exitval 0
// and Signal N; a job killed by --timeout has Exitval -1 and the signal that
// ended it (15, or 9 when it outlived the TERMs). Command is the command line
// as run and is the last column, so it may hold tabs; a newline in it is
// written as a NUL byte, which [Read] turns back into a newline. Lines are
// written in the order jobs finish, or in input order with --keep-order,
// which is the engine's business: this package writes what it is given.
//
// # Resuming
//
// [Read] follows GNU parallel 20221122: the first line is skipped whatever
// it says, so a file that lacks the header loses its first entry, as it
// does in GNU parallel; a missing file is an empty log. [Log.Done] is true
// for a sequence number that any line records, and [Log.Succeeded] for one
// that any line records with Exitval 0 and Signal 0, even when a later line
// records a failure. [Log.DoneCommand] and [Log.SucceededCommand] ask the
// same by command line, for logs keyed by command rather than sequence.
//
// Two things differ from GNU parallel on purpose. A last line that does not
// end in a newline is a torn write: [Read] ignores it (GNU parallel counts it
// done for --resume and rejects the file for --resume-failed), and [Create]
// cuts it off before appending (GNU parallel appends to it, gluing two
// entries into one line). And [Read] rejects every other line that is not a
// whole entry with a [*FormatError], where GNU parallel lets --resume accept
// any line that starts with digits.
//
// # Durability
//
// [Writer.Write] hands each line to the operating system in one write call
// and then fsyncs the file, so a crash of the program never leaves half a
// line, and a crash of the machine loses at most the line being written,
// which then reads as torn. The fsync costs a disk flush per job; GNU
// parallel only flushes its buffer.
package joblog
