import {execFile} from 'node:child_process';

import {
  SHELL_WORDS,
  SIMPLE_COMMAND,
  type LauncherProgram,
} from './launcher-protocol.js';

/**
 * How long the launcher holds a job's `S <pid>` back, in ms: a job that
 * ends sooner has its pid and its end sent together (protocol:
 * launcher-protocol.ts), and an abort waits at most this long for the pid.
 */
const QUICK_MS = 20;

/**
 * The Python job launcher (protocol: launcher-protocol.ts), used where
 * Python 3.8 or later is found. It starts jobs with posix_spawn, which
 * glibc implements with vfork: the launcher's memory is not copied for
 * each job, as Perl's fork does, which saves about 0.3 ms of CPU per job
 * (a third of what a `cp` job itself costs). The launcher changes into the
 * job's directory itself (posix_spawn cannot), which is harmless: it runs
 * one job at a time.
 *
 * Where Linux and Python have pidfd_open (5.3 and 3.9), a job that ends
 * within {@link QUICK_MS} has its `S` sent with its `E`: most jobs of a
 * DAG of tiny commands then cost the runner one wake-up instead of two.
 *
 * At start it checks that posix_spawn can start a new session and reports
 * a failed exec as an error (glibc 2.24 and later, musl, macOS): if not,
 * it exits, and the runner keeps the Perl launcher.
 */
const SCRIPT = String.raw`
import os, re, select, signal, sys
def main():
    spawnp = os.posix_spawnp
    pidfd_open = getattr(os, 'pidfd_open', None)
    default = [s for s in signal.valid_signals()
               if s not in (signal.SIGKILL, signal.SIGSTOP)]
    try:
        probe = spawnp(b'/nonexistent/neuromake-probe', [b'probe'], {},
                       setsid=True, setsigdef=default)
        os.waitpid(probe, 0)
        sys.exit('posix_spawn does not report exec errors')
    except NotImplementedError as e:
        sys.exit(str(e))
    except OSError:
        pass
    shelly = set(b'${SHELL_WORDS.join(' ')}'.split())
    simple = re.compile(rb'\A${SIMPLE_COMMAND}\Z')
    blanks = re.compile(rb'[ \t]+')
    base = dict(os.environb)
    read = sys.stdin.buffer
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
    def say(text):
        os.write(1, text)
    def error(what, e):
        return b'F ' + what + b': ' + os.fsencode(e.strerror or str(e))
    def open_log(log, mode):
        how = flags | (os.O_TRUNC if mode == b'w' else 0)
        try:
            return os.open(log, how, 0o666)
        except FileNotFoundError:
            # No directory yet; another launcher may be making it right now.
            parent = os.path.dirname(log)
            if parent != b'':
                os.makedirs(parent, exist_ok=True)
            return os.open(log, how, 0o666)
    def ended_soon(pid):
        # Whether the job ended within QUICK_MS: its pid then goes to the
        # runner with its end, one write and one wake-up instead of two.
        if pidfd_open is None:
            return False
        try:
            fd = pidfd_open(pid)
        except OSError:
            return False
        try:
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            return len(poller.poll(${QUICK_MS})) > 0
        finally:
            os.close(fd)
    say(b'R\n')
    while True:
        line = read.readline()
        if not line:
            return
        size = int(line)
        buf = read.read(size)
        if len(buf) < size:
            return
        cwd, log, mode, header, cmd, *pairs = buf.split(b'\0')
        try:
            out = open_log(log, mode)
        except OSError as e:
            say(error(b'open ' + log, e) + b'\n')
            continue
        try:
            if header:
                os.write(out, header)
        except OSError as e:
            os.close(out)
            say(error(b'write ' + log, e) + b'\n')
            continue
        try:
            os.chdir(cwd)
        except OSError as e:
            os.close(out)
            say(error(b'chdir ' + cwd, e) + b'\n')
            continue
        env = base.copy()
        for pair in pairs:
            name, _, value = pair.partition(b'=')
            env[name] = value
        actions = [(os.POSIX_SPAWN_DUP2, out, 1),
                   (os.POSIX_SPAWN_DUP2, out, 2),
                   (os.POSIX_SPAWN_OPEN, 0, b'/dev/null', os.O_RDONLY, 0)]
        pid = None
        try:
            if simple.match(cmd):
                words = blanks.split(cmd)
                if words[0] not in shelly:
                    env[b'PWD'] = cwd
                    try:
                        pid = spawnp(words[0], words, env,
                                     file_actions=actions, setsid=True,
                                     setsigdef=default)
                    except OSError:
                        pass
            if pid is None:
                pid = spawnp(b'sh', [b'sh', b'-c', cmd], env,
                             file_actions=actions, setsid=True,
                             setsigdef=default)
        except OSError as e:
            say(error(b'spawn sh', e) + b'\n')
            continue
        finally:
            os.close(out)
        started = b'S %d\n' % pid
        if not ended_soon(pid):
            say(started)
            started = b''
        status = os.waitpid(pid, 0)[1]
        if os.WIFSIGNALED(status):
            say(started + b'E - %d\n' % os.WTERMSIG(status))
        else:
            say(started + b'E %d -\n' % os.WEXITSTATUS(status))
try:
    main()
except (BrokenPipeError, KeyboardInterrupt):
    pass
`;

/** Interpreter paths found, by the PATH they were looked up in. */
const found = new Map<string, Promise<string | undefined>>();

/**
 * The Python launcher for this environment, or undefined when there is no
 * Python 3.8 with posix_spawn. `python3` is asked for its own path once and
 * that is what runs: a pyenv or asdf shim is a script that changes PATH on
 * its way to the interpreter, and jobs must see the runner's environment.
 */
export function pythonLauncher(
  env: NodeJS.ProcessEnv,
): Promise<LauncherProgram | undefined> {
  const path = env['PATH'] ?? '';
  let interpreter = found.get(path);
  if (interpreter === undefined) {
    interpreter = findPython(env);
    found.set(path, interpreter);
  }
  return interpreter.then((command) =>
    command === undefined
      ? undefined
      : {name: 'python', command, args: ['-I', '-S', '-c', SCRIPT]},
  );
}

function findPython(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const ask =
    'import os, sys\n' +
    'ok = sys.version_info >= (3, 8) and hasattr(os, "posix_spawnp")\n' +
    'print(sys.executable if ok else "")';
  return new Promise((resolvePromise) => {
    execFile(
      'python3',
      ['-I', '-S', '-c', ask],
      {env, timeout: 30_000},
      (error, stdout) => {
        const path = stdout.trim();
        resolvePromise(error === null && path !== '' ? path : undefined);
      },
    );
  });
}
