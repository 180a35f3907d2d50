/**
 * What the runner and a job launcher (launcher.ts) say to each other, and
 * the rules every launcher program follows (launcher-perl.ts,
 * launcher-python.ts, launcher-native.c). Protocol:
 *
 * - on start the launcher writes `R\n` (ready), or `R queue\n` when it
 *   can take a job queued behind the running one (below);
 * - the runner writes `<byte length>\n<payload>`, the payload being
 *   NUL-separated fields: cwd, log path, `w` (truncate the log first: a
 *   previous run's may be there) or `a` (append), the header (text the
 *   runner wants in the log before the job's output, such as the
 *   `$ command` line), the command, then `NAME=value` pairs added to the
 *   launcher's own environment (which is the runner's job environment,
 *   run token included);
 * - the launcher opens the log (creating its directory when missing) and
 *   writes the header, then starts the job in a new session (so its pid is
 *   the process group an abort signals), in cwd, with stdout and stderr
 *   appended to the log and stdin read from /dev/null. The job is
 *   `sh -c command`: or, like GNU make, a simple command (plain words, no
 *   quoting, expansion, redirection or shell keyword or builtin: see
 *   {@link SIMPLE_COMMAND} and {@link SHELL_WORDS}) executed directly,
 *   which behaves the same (dash would exec it too) and saves the shell's
 *   start-up, a third of a `cp` job's cost; should that exec fail, it
 *   falls back to `sh -c`, so errors (`not found`, 127) read exactly as
 *   the shell's;
 * - the launcher writes `S <pid>\n` once the exec succeeded, or
 *   `F <message>\n` when it did not, then `E <code> -\n` or
 *   `E - <signal number>\n` when the job ends. It may hold `S` back for
 *   a few milliseconds and, if the job ends by then, send `S` and `E` in
 *   one write: the runner wakes once for such a job, and an abort waits
 *   that long at most to learn which process group to stop;
 * - a launcher that said `R queue` also takes, while a job runs, jobs
 *   sent as `<byte length> q\n<payload>` (up to {@link QUEUE_DEPTH}
 *   behind the running one; the native launcher is told how many): it starts
 *   each in turn as soon as the one ahead exits with 0 (before writing
 *   that one's `E`), or, when the one ahead failed (or could not start),
 *   answers `N\n` (not started) instead. `C\n` cancels the newest queued
 *   job: `N\n` if it had not started, nothing if it had (its `S`
 *   follows). `S`, `F` and `N` are about jobs not yet started, `E` about
 *   the running one.
 *   When a job ends, the launcher reads its input before it writes that
 *   job's `E`: the `N` for a cancel sent while the job ran comes first,
 *   so the runner never takes the cancelled job for begun. A queued job
 *   that arrives after that `E` (nothing running) has begun for the
 *   runner: the launcher starts it before it reads on, so a cancel sent
 *   behind it cannot drop it.
 *
 * At end of input (the runner exited or closed it) the launcher exits; a
 * job still running is left alone, as a plain child would be, and the next
 * run stops it by its NEUROMAKE_RUN_TOKEN; a queued one is not started.
 */

/**
 * How long a queueing launcher holds a job's `S <pid>` back, in ms: a job
 * that ends sooner has its pid and its end sent together (above), and an
 * abort waits at most this long for the pid.
 */
export const QUICK_MS = 20;

/** How many jobs a launcher holds queued behind its running one. */
export const QUEUE_DEPTH = 2;

/** How to start one kind of launcher. */
export interface LauncherProgram {
  /** For messages and tests. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
}

/** A simple command's first word's characters, as a regex class. */
const FIRST_WORD = '[A-Za-z0-9_./,:+@%-]';

/** Its later words' characters: `=` too (not an assignment there). */
const LATER_WORD = '[A-Za-z0-9_./,:+=@%-]';

/**
 * A simple command, as a regular expression's body (anchor it with the
 * host language's start and end of string): words of characters that no
 * shell treats specially, `=` allowed after the first word (not an
 * assignment then).
 */
export const SIMPLE_COMMAND = `${FIRST_WORD}+(?:[ \\t]+${LATER_WORD}+)*`;

/** The printable ASCII characters a one-character regex class matches. */
function classCharacters(charClass: string): string {
  const pattern = new RegExp(`^${charClass}$`);
  let chars = '';
  for (let code = 0x21; code < 0x7f; code++) {
    const char = String.fromCharCode(code);
    if (pattern.test(char)) chars += char;
  }
  return chars;
}

/**
 * {@link SIMPLE_COMMAND}'s word characters spelled out, first word and
 * later words, for a launcher without regular expressions (the native
 * one).
 */
export const SIMPLE_WORD_CHARS = {
  first: classCharacters(FIRST_WORD),
  later: classCharacters(LATER_WORD),
} as const;

/**
 * First words that mean the shell must run the command: its keywords and
 * builtins, which have no program (or one that behaves differently).
 */
export const SHELL_WORDS: readonly string[] = `
  . : [ [[ ! { } alias bg break case cd command continue do done echo elif
  else esac eval exec exit export false fc fg fi for function getopts hash
  if in jobs kill local login logout printf pwd read readonly return select
  set shift source test then time trap true type typeset ulimit umask
  unalias unset until wait while`
  .split(/\s+/)
  .filter((w) => w !== '');
