/**
 * The job launcher: a small Perl process that starts shell jobs for the
 * runner. Forking the runner itself (a Node process of ~150 MB) for every
 * `sh -c` cost ~1.6 ms of blocked main thread per job plus heavy system
 * time; forking this small process costs a fraction of that. Perl is used
 * because it is everywhere `sh` is and, unlike `sh`, can tell an exit code
 * from a death by signal (`wait` in sh reports both as 128+n).
 *
 * Protocol, one job at a time per launcher:
 *
 * - on start the launcher writes `R\n` (ready);
 * - the runner writes `<byte length>\n<payload>`, the payload being
 *   NUL-separated fields: cwd, log path, command, then `NAME=value` pairs
 *   added to the launcher's own environment (which is the runner's job
 *   environment, run token included);
 * - the launcher forks; the child starts a new session (so its pid is the
 *   process group an abort signals), changes directory, appends stdout and
 *   stderr to the log, reads /dev/null, and execs `sh -c command`: or,
 *   like GNU make, a simple command (plain words, no quoting, expansion,
 *   redirection or shell keyword or builtin) directly, which behaves the
 *   same (dash would exec it too) and saves the shell's start-up, a third
 *   of a `cp` job's cost; should that exec fail, it falls back to
 *   `sh -c`, so errors (`not found`, 127) read exactly as the shell's;
 * - the launcher writes `S <pid>\n` once the exec succeeded, or
 *   `F <message>\n` when it did not (a close-on-exec pipe carries the
 *   child's error), then `E <code> -\n` or `E - <signal number>\n` when
 *   the job ends.
 *
 * At end of input (the runner exited or closed it) the launcher exits; a
 * job still running is left alone, as a plain child would be, and the next
 * run stops it by its NEUROMAKE_RUN_TOKEN.
 */
export const LAUNCHER_SCRIPT = String.raw`
use strict;
use POSIX ();
$| = 1;
my %shelly = map { $_ => 1 } qw(
  . : [ [[ ! { } alias bg break case cd command continue do done echo elif
  else esac eval exec exit export false fc fg fi for function getopts hash
  if in jobs kill local login logout printf pwd read readonly return select
  set shift source test then time trap true type typeset ulimit umask
  unalias unset until wait while);
print "R\n";
while (defined(my $len = <STDIN>)) {
  chomp $len;
  my $buf = '';
  while (length($buf) < $len) {
    my $n = read(STDIN, $buf, $len - length($buf), length($buf));
    exit 0 unless $n;
  }
  my ($cwd, $log, $cmd, @env) = split /\0/, $buf, -1;
  my ($r, $w);
  if (!pipe($r, $w)) { print "F pipe: $!\n"; next; }
  my $pid = fork();
  if (!defined $pid) { print "F fork: $!\n"; close $r; close $w; next; }
  if ($pid == 0) {
    close $r;
    POSIX::setsid();
    my $err;
    if (!chdir $cwd) { $err = "chdir $cwd: $!"; }
    elsif (!open(STDOUT, '>>', $log)) { $err = "open $log: $!"; }
    elsif (!open(STDERR, '>&', \*STDOUT)) { $err = "dup log: $!"; }
    elsif (!open(STDIN, '<', '/dev/null')) { $err = "open /dev/null: $!"; }
    else {
      for my $pair (@env) {
        my ($k, $v) = split /=/, $pair, 2;
        $ENV{$k} = $v;
      }
      if ($cmd =~ m{\A[A-Za-z0-9_./,:+@%-]+(?:[ \t]+[A-Za-z0-9_./,:+=@%-]+)*\z}) {
        my @words = split /[ \t]+/, $cmd;
        if (!$shelly{$words[0]}) {
          $ENV{PWD} = $cwd;
          { no warnings; exec {$words[0]} @words; }
        }
      }
      { no warnings; exec {'sh'} 'sh', '-c', $cmd; }
      $err = "spawn sh: $!";
    }
    syswrite($w, $err);
    POSIX::_exit(127);
  }
  close $w;
  my $msg = '';
  while (sysread($r, my $chunk, 4096)) { $msg .= $chunk; }
  close $r;
  if ($msg ne '') {
    waitpid($pid, 0);
    $msg =~ s/\n/ /g;
    print "F $msg\n";
    next;
  }
  print "S $pid\n";
  waitpid($pid, 0);
  my $status = $?;
  if ($status & 127) { print "E - ", ($status & 127), "\n"; }
  else { print "E ", ($status >> 8), " -\n"; }
}
`;
