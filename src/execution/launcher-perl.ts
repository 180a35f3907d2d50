import {
  SHELL_WORDS,
  SIMPLE_COMMAND,
  type LauncherProgram,
} from './launcher-protocol.js';

/**
 * The Perl job launcher (protocol: launcher-protocol.ts). Forking the
 * runner itself (a Node process of ~150 MB) for every `sh -c` cost ~1.6 ms
 * of blocked main thread per job plus heavy system time; forking this small
 * process costs a fraction of that. Perl is used because it is everywhere
 * `sh` is, starts in milliseconds and, unlike `sh`, can tell an exit code
 * from a death by signal (`wait` in sh reports both as 128+n).
 *
 * The launcher opens the log before it forks, so the child only redirects
 * and execs; the child's error, if its exec fails, comes back through a
 * close-on-exec pipe.
 */
const SCRIPT = String.raw`
use strict;
use POSIX ();
$| = 1;
my %shelly = map { $_ => 1 } qw(${SHELL_WORDS.join(' ')});
sub open_log {
  my ($log, $mode) = @_;
  my $flags = POSIX::O_WRONLY() | POSIX::O_CREAT() | POSIX::O_APPEND();
  $flags |= POSIX::O_TRUNC() if $mode eq 'w';
  my $fh;
  return $fh if sysopen($fh, $log, $flags, 0666);
  return undef unless $!{ENOENT};
  # No directory yet; another launcher may be making it right now.
  (my $dir = $log) =~ s{/[^/]*\z}{};
  if ($dir ne '' && !-d $dir) {
    require File::Path;
    eval { File::Path::make_path($dir) };
  }
  return sysopen($fh, $log, $flags, 0666) ? $fh : undef;
}
print "R\n";
while (defined(my $len = <STDIN>)) {
  chomp $len;
  my $buf = '';
  while (length($buf) < $len) {
    my $n = read(STDIN, $buf, $len - length($buf), length($buf));
    exit 0 unless $n;
  }
  my ($cwd, $log, $mode, $header, $cmd, @env) = split /\0/, $buf, -1;
  my $out = open_log($log, $mode);
  if (!$out) { print "F open $log: $!\n"; next; }
  syswrite($out, $header) if $header ne '';
  my ($r, $w);
  if (!pipe($r, $w)) { print "F pipe: $!\n"; close $out; next; }
  my $pid = fork();
  if (!defined $pid) {
    print "F fork: $!\n"; close $r; close $w; close $out; next;
  }
  if ($pid == 0) {
    close $r;
    POSIX::setsid();
    my $err;
    if (!chdir $cwd) { $err = "chdir $cwd: $!"; }
    elsif (!open(STDOUT, '>&', $out)) { $err = "dup log: $!"; }
    elsif (!open(STDERR, '>&', \*STDOUT)) { $err = "dup log: $!"; }
    elsif (!open(STDIN, '<', '/dev/null')) { $err = "open /dev/null: $!"; }
    else {
      close $out;
      for my $pair (@env) {
        my ($k, $v) = split /=/, $pair, 2;
        $ENV{$k} = $v;
      }
      if ($cmd =~ m{\A${SIMPLE_COMMAND}\z}) {
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
  close $out;
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

/** Starts the Perl launcher. */
export const PERL_LAUNCHER: LauncherProgram = {
  name: 'perl',
  command: 'perl',
  args: ['-e', SCRIPT],
};
