package perl

// prelude is the Perl program that serves Interp. It reads requests from
// stdin, each a sequence of fields written as a decimal length, a newline
// and that many bytes:
//
//	C expr                                  compile expr
//	E expr value seq slot total n arg*n     evaluate expr for a value
//	F code                                  evaluate the code of --filter
//
// and answers each with a line "flags length" and that many bytes: flags
// "error" and Perl's message, or "-" (or "u" for uq(), "s" for skip(),
// "us" for both) and the resulting $_, or for F "1" when the code's value
// is true and "0" when it is false or fails. The code of an expression may print
// or read: its STDOUT goes to stderr and its STDIN is empty, so that it
// cannot disturb the requests.
//
// The helpers are those GNU parallel 20221122 gives its expressions, with
// the same quoting rules.
const prelude = `
use strict;
use POSIX ();
binmode STDIN;
binmode STDOUT;
open(my $req, '<&', \*STDIN) or die "perl: $!";
open(my $ans, '>&', \*STDOUT) or die "perl: $!";
binmode $req;
binmode $ans;
open(STDIN, '<', '/dev/null');
open(STDOUT, '>&', \*STDERR);
select((select($ans), $| = 1)[0]);

package Arg;
no strict;
no warnings;
our ($uq, $skip, $seq, $slot, $total, @arg);
sub Q($) {
	local $_ = $_[0];
	if (/[^-_.+a-z0-9\/]/i) {
		s/'/'"'"'/g;
		$_ = "'$_'";
		s/^''//;
		s/''$//;
		return $_;
	}
	return $_ eq "" ? "''" : $_;
}
sub pQ($) {
	my $s = $_[0];
	$s =~ s/[\\\"\$\@]/\\$&/g if defined $s;
	return $s;
}
sub uq() { $uq = 1 }
sub skip() { $skip = 1 }
sub seq() { $seq }
sub slot() { $slot }
sub total_jobs() { $total }
sub hash($) { require B; B::hash(@_) }
sub yyyy_mm_dd_hh_mm_ss() { POSIX::strftime("%Y-%m-%dT%H:%M:%S", localtime(time())) }
sub yyyy_mm_dd_hh_mm() { POSIX::strftime("%Y-%m-%dT%H:%M", localtime(time())) }
sub yyyy_mm_dd() { POSIX::strftime("%Y-%m-%d", localtime(time())) }
sub hh_mm_ss() { POSIX::strftime("%H:%M:%S", localtime(time())) }
sub hh_mm() { POSIX::strftime("%H:%M", localtime(time())) }
sub yyyymmddhhmmss() { POSIX::strftime("%Y%m%d%H%M%S", localtime(time())) }
sub yyyymmddhhmm() { POSIX::strftime("%Y%m%d%H%M", localtime(time())) }
sub yyyymmdd() { POSIX::strftime("%Y%m%d", localtime(time())) }
sub hhmmss() { POSIX::strftime("%H%M%S", localtime(time())) }
sub hhmm() { POSIX::strftime("%H%M", localtime(time())) }

package Job;
sub seq { $Arg::seq }
sub slot { $Arg::slot }
sub skip { $Arg::skip = 1 }
{
	# As GNU parallel evaluates --filter: in package Job, under strict.
	use strict;
	sub filter { return eval $_[0] }
}

package main;
use strict;
my %sub;
my $job = bless {}, 'Job';

sub field {
	my $len = <$req>;
	exit 0 unless defined $len;
	chomp $len;
	my $buf = '';
	while (length($buf) < $len) {
		my $n = read($req, $buf, $len - length($buf), length($buf));
		exit 0 unless $n;
	}
	return $buf;
}

sub reply {
	my ($flags, $s) = @_;
	print $ans $flags, ' ', length($s), "\n", $s;
}

sub compile {
	my $expr = shift;
	return 1 if $sub{$expr};
	# As GNU parallel compiles it: a sub in package Arg.
	$sub{$expr} = eval('package Arg; sub { no strict; no warnings; my $job = shift; ' . $expr . ' }');
	return defined $sub{$expr};
}

while (1) {
	my $op = field();
	my $expr = field();
	if ($op eq 'F') {
		reply('-', Job::filter($expr) ? '1' : '0');
		next;
	}
	if ($op eq 'C') {
		if (compile($expr)) { reply('-', '') } else { reply('error', $@) }
		next;
	}
	my $value = field();
	$Arg::seq = field();
	$Arg::slot = field();
	$Arg::total = field();
	my @args = (undef);
	push @args, field() for 1 .. field();
	$Arg::uq = 0;
	$Arg::skip = 0;
	local *Arg::arg = \@args;
	my ($ok, $out);
	{
		local $_ = $value;
		$ok = eval { $sub{$expr}->($job); 1 };
		$out = $_;
	}
	if (!$ok) {
		reply('error', $@);
		next;
	}
	$out = '' unless defined $out;
	$out = "$out";
	utf8::encode($out) if utf8::is_utf8($out);
	my $flags = ($Arg::uq ? 'u' : '') . ($Arg::skip ? 's' : '');
	reply($flags eq '' ? '-' : $flags, $out);
}
`
