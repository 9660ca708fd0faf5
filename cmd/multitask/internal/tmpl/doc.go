// Package tmpl turns the command words of a multitask command line and one
// job's values into the command to run, exactly as GNU parallel (version
// 20221122, the specification) composes it.
//
// [Parse] reads the words once; [Template.Expand] then builds each job's
// [Command] with a single pass over the parsed words: its Line, what
// --dry-run prints and the joblog records, and, when the shell can be
// skipped, its Argv.
//
// # Replacement strings
//
// For a value v (a line, or a column with --colsep):
//
//	{}      v; with several values per job, all of them, separated by spaces
//	{.}     v without its extension: the last dot and what follows, unless a
//	        slash follows it (a/b.c gives a/b, a/.bashrc gives a/)
//	{/}     v's basename: what follows the last slash (a/b/ gives nothing)
//	{//}    v's directory, as Perl's dirname: a/b.c gives a, a gives .
//	{/.}    v's basename without its extension
//	{#}     the job's sequence number, counting from 1
//	{%}     the job's slot number
//	{N}     the N-th value of the job, and {N.} {N/} {N//} {N/.} likewise;
//	        {-1} is the last value. Blanks may follow N ({1 .}). A position
//	        past the values inserts nothing. {0} is {} (every value), while
//	        {00} and {-0} name no value, as in GNU.
//	{name}  with Options.Names (--header): {N} for the column called name,
//	        and {name.} {name/} {name//} {name/.} likewise
//	{^sfx}  v without the suffix sfx if it ends with it; {N^sfx} for the
//	        N-th value. This one is a multitask addition: GNU parallel leaves
//	        {^sfx} as plain text, and with --plus (which multitask does not
//	        implement) it means something else.
//
// Options.Replace (-I) renames {}: -I XX makes XX the value, and {} plain
// text. Its positional form exists only when the new string starts with a
// brace: -I {x} gives {1x}.
//
// Replacement strings are found the way GNU finds them, longest first, so
// that -I x{ reads x{.} as x followed by {.}. Other braces stay as
// written: {foo}, {..} and {:} are plain text.
//
// {= expr =} is Perl code, which Options.Perl evaluates with $_ set to the
// value; {=N expr =} works on the N-th value. They are found first, the
// nearest =} after a {= closing the last {= before it, and no other
// replacement string is looked for inside them; {=, the code and =} given
// as separate words are joined with spaces, as GNU joins them. An
// expression is evaluated once per value of a job, however often the
// template holds it. Its result is quoted as any value is, unless the code
// called uq(); a call of skip() sets [Command.Skip]. Without Options.Perl,
// [Parse] refuses them with [ErrPerlExpr].
//
// A replacement string that stands for each value ({}, {.}, {N} with N
// zero) is repeated once per value, the copies separated by spaces: with
// values a and b, pre{}post gives prea bpost. With Options.Context (-X;
// GNU turns it on for -N and -L too) the whole run of text around the
// replacement string, up to a space, tab or word end, is repeated
// instead: preapost prebpost. Positional strings, {#} and {%} are
// inserted once either way.
//
// When no replacement string occurs, the values are appended as {} would
// insert them; with no command words at all, the values are the command.
// Under -N0 each value is [NoArg] and inserts nothing.
//
// # Quoting
//
// Values are quoted for a Bourne shell with [Quote], GNU's rule: a value
// made only of letters, digits and -_.+/ stays as it is; anything else is
// put in single quotes. The command words themselves are joined with
// spaces as given: they are shell code, as in GNU. Two cases differ:
//
//   - A replacement string in the command name (before any blank or = in
//     the first word) is inserted unquoted, since the value is (part of)
//     the command: parallel {} ::: "echo a b" runs echo with two
//     arguments.
//   - With Options.Quote (-q) each command word, values included, is
//     quoted as a whole instead, so the words reach the command as given.
//
// # Running without the shell
//
// GNU parallel runs every command with $SHELL -c. Starting a shell for
// each job costs a fork and an exec, so [Command.Argv] offers the command
// as an argument vector when that has the same effect: the same stdout and
// exit status as sh -c Line under sh, dash or bash. That holds when
//
//   - Options.Shell (--shell) is off;
//   - the command words, outside their replacement strings, hold no shell
//     syntax: no quote, backslash, $, `, |, &, ;, <, >, (, ), glob
//     character * ? [ ], brace, #, ~, !, ^, newline or other control byte,
//     and no = at a word's start (zsh's =cmd); a word may hold blanks,
//     which split it as the shell would;
//   - values are quoted (not so for a value in the command name), or -q
//     quotes every word;
//   - the first word is not a reserved word, nor a builtin that changes
//     the shell, exists only in it or differs from the program of the same
//     name (cd, exit, export, set, source, ., eval, exec, read, wait, trap,
//     pwd, kill, test, time, ...), nor an assignment NAME=value, nor starts
//     with % (a job, to bash) or with - or + (sh -c would take the line
//     for options);
//   - it is echo only with arguments free of backslashes whose first does
//     not start with -, and printf only with such arguments and a format
//     whose conversions are %s, %b and %c: then every shell's builtin and
//     the program print the same (they read numbers differently);
//   - it names no function exported by bash in Options.Env, and Options.Env
//     neither sets BASH_ENV nor exports command_not_found_handle.
//
// Values go into Argv as they are: a value never splits into several
// arguments, and an empty value is an empty argument, as the quotes GNU
// gives it make it to sh. Whoever executes Argv reports failures as the
// shell would (see [Command.Argv]).
package tmpl
