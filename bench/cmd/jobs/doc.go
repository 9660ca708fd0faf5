// Command jobs compares the multitask command with the tools it stands in
// for: GNU parallel, xargs, and rush (shenwei356/rush) when one is on PATH.
// It builds multitask from this repository, runs each scenario with every
// tool interleaved (round 1 runs each tool once, then round 2, and so on),
// and prints per tool the min and median of wall time, CPU time and peak
// memory, the ratios, and whether multitask meets its targets.
//
// Run it from the bench directory, usually through jobs.sh:
//
//	go run ./cmd/jobs [-rounds 5] [-only REGEXP] [-quick] [-out FILE]
//
// # Scenarios
//
// Each name is what -only matches. Sizes are those of a full run; -quick
// makes them tiny (and -starts 2), for a smoke test whose figures mean
// nothing.
//
//   - trivial: 2000 lines on stdin, one job each that runs true, two at a
//     time: multitask -j2 true, xargs -P2 -n1 true, parallel -j2 true and
//     rush -j2 true.
//   - shell: the same with multitask --shell, against rush (which runs every
//     job through sh), GNU parallel and, as a shell-using stand-in for rush
//     where it is missing, xargs -P2 -n1 sh -c 'true "$@"' _.
//   - startup: one job, multitask true ::: 1 and the same with GNU parallel,
//     and a bare true as the floor; each round runs each of them -starts
//     times.
//   - output: 200 jobs that each print 1 MB (head -c 1000000 /dev/zero),
//     -j2 -k, to /dev/null; xargs -P2 (which does not keep the order) for
//     reference.
//   - pipe: a file of 1 GiB of text lines, made once in a temporary
//     directory, read by cat into sh -c 'cat | TOOL ...': the pipeline
//     cat | wc -l (the baseline), and cat | multitask --pipe --block 10M
//     wc -l and the same with parallel; the counts the jobs print must add
//     up to the file's lines.
//   - pipe-file: the same tools with the file itself on their stdin: wc -l
//     (the baseline), and multitask, which splices the blocks of a file to
//     the jobs, and GNU parallel, which reads them.
//   - cluster: the jobs of trivial with multitask -j2 true, and with
//     multitask --cluster embedded -j2 true, whose bridge runs a JetStream
//     server and 2 workers (multitask-cluster, built beside multitask when
//     this scenario runs).
//   - bar: 20,000 jobs of true with multitask -j2 --bar, for its peak memory
//     only; -bar-rounds rounds (1 by default).
//
// Each scenario starts with one untimed run of each tool (bar excepted), so
// that the first timed run does not pay for a cold page cache.
//
// # What is measured
//
// A tool's stdin is a file made before the rounds (the lines that seq would
// print, for instance), so the producer of the input is not measured; its
// stdout is /dev/null, or a file where the output is checked; its stderr a
// file, quoted when the tool fails. Wall time runs from just before the
// tool's start to the return of its wait. CPU time is the user and system
// time in the rusage that wait4 returns for the tool's process, which
// includes every descendant it waited for; the program is the subreaper of
// its tools, so a descendant that outlives its parent comes back to it, is
// waited for and its CPU time added (the run fails when one is still
// running two seconds after the tool exited: it is killed). Peak memory is
// that rusage's ru_maxrss: the largest of the tool's process and its waited
// for descendants, which for these jobs is the tool itself. MB is 10^6
// bytes.
//
// Every tool runs with the program's environment less any PARALLEL*
// variable, and with SHELL=/bin/sh, the shell rush and xargs' stand-in
// use. GNU parallel runs with --will-cite and HOME set to a temporary
// directory, so it writes nothing in the user's home.
//
// # Peers that are missing
//
// When parallel is not on PATH, the program runs apt-get install -y
// parallel (with sudo when it is not root and sudo exists, and once more
// after apt-get update when the first try fails); when that fails, or the
// parallel on PATH is not GNU parallel, GNU parallel's rows say why they
// were skipped. rush is used only when a rush on PATH answers rush
// --version with "rush v" (Debian's rush package is an unrelated restricted
// shell); it is never installed.
//
// # Output and exit status
//
// The first lines say when, where (the CPU model and cores), with which Go,
// GNU parallel, xargs and rush, and on which commit of multitask the run
// was made, so its figures can be quoted with them. Then one table per
// scenario, with the exact command of every tool, and the targets, each
// PASS, MISS, n/a (a figure is missing) or skipped (a peer is missing),
// with the figures they were judged on. Targets compare medians. Progress
// goes to stderr. The exit status is 0 when every run succeeded, whatever
// the targets say; 1 when a run or the build failed; 2 for bad flags.
//
// Linux only: it reads rusage and /proc.
package main
