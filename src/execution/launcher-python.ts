import {execFile} from 'node:child_process';

import {
  QUICK_MS,
  SHELL_WORDS,
  SIMPLE_COMMAND,
  type LauncherProgram,
} from './launcher-protocol.js';

/**
 * The Python job launcher (protocol: launcher-protocol.ts), used where
 * Python 3.8 or later is found. It starts jobs with posix_spawn, which
 * glibc implements with vfork: the launcher's memory is not copied for
 * each job, as Perl's fork does, which saves about 0.3 ms of CPU per job
 * (a third of what a `cp` job itself costs). The launcher changes into the
 * job's directory itself (posix_spawn cannot), which is harmless: it starts
 * one job at a time, and a started job keeps its own directory.
 *
 * Where Linux and Python have pidfd_open (5.3 and 3.9), the launcher
 * waits for its job and its input at once, which lets it take jobs
 * queued behind the running one (`R queue`): the next job then starts the
 * moment the running one exits, without waiting for the runner to hear of
 * that and answer. A job that ends within {@link QUICK_MS} also has its
 * `S` sent with its `E`: most jobs of a DAG of tiny commands cost the
 * runner one wake-up instead of two.
 *
 * At start it checks that posix_spawn can start a new session and reports
 * a failed exec as an error (glibc 2.24 and later, musl, macOS): if not,
 * it exits, and the runner keeps the Perl launcher.
 */
const SCRIPT = String.raw`
import os, re, select, signal, sys, time
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
    if pidfd_open is not None:
        try:
            os.close(pidfd_open(os.getpid()))
        except OSError:
            pidfd_open = None  # Python has it, the kernel (before 5.3) not.
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
    def say(text):
        os.write(1, text)
    def error(what, e):
        return b'F ' + what + b': ' + os.fsencode(e.strerror or str(e)) + b'\n'
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
    def start(payload):
        # Starts one job: (pid, b'') or (None, its F line).
        cwd, log, mode, header, cmd, *pairs = payload.split(b'\0')
        try:
            out = open_log(log, mode)
        except OSError as e:
            return None, error(b'open ' + log, e)
        try:
            if header:
                os.write(out, header)
        except OSError as e:
            os.close(out)
            return None, error(b'write ' + log, e)
        try:
            os.chdir(cwd)
        except OSError as e:
            os.close(out)
            return None, error(b'chdir ' + cwd, e)
        env = base.copy()
        for pair in pairs:
            name, _, value = pair.partition(b'=')
            env[name] = value
        actions = [(os.POSIX_SPAWN_DUP2, out, 1),
                   (os.POSIX_SPAWN_DUP2, out, 2),
                   (os.POSIX_SPAWN_OPEN, 0, b'/dev/null', os.O_RDONLY, 0)]
        try:
            if simple.match(cmd):
                words = blanks.split(cmd)
                if words[0] not in shelly:
                    env[b'PWD'] = cwd
                    try:
                        return spawnp(words[0], words, env,
                                      file_actions=actions, setsid=True,
                                      setsigdef=default), b''
                    except OSError:
                        pass
            return spawnp(b'sh', [b'sh', b'-c', cmd], env,
                          file_actions=actions, setsid=True,
                          setsigdef=default), b''
        except OSError as e:
            return None, error(b'spawn sh', e)
        finally:
            os.close(out)
    def ending(pid):
        # Reaps the job: its E line, and whether it exited with 0.
        status = os.waitpid(pid, 0)[1]
        if os.WIFSIGNALED(status):
            return b'E - %d\n' % os.WTERMSIG(status), False
        code = os.WEXITSTATUS(status)
        return b'E %d -\n' % code, code == 0
    if pidfd_open is None:
        # One job at a time, each waited for in turn.
        say(b'R\n')
        read = sys.stdin.buffer
        while True:
            line = read.readline()
            if not line:
                return
            size = int(line.split()[0])
            payload = read.read(size)
            if len(payload) < size:
                return
            pid, failed = start(payload)
            if pid is None:
                say(failed)
                continue
            say(b'S %d\n' % pid)
            say(ending(pid)[0])

    # With pidfds the launcher waits for its job and its input at once:
    # the runner may send the next job (flagged q) while one runs, and it
    # starts the moment the running one exits with 0; C cancels it.
    say(b'R queue\n')
    os.set_blocking(0, False)
    poller = select.poll()
    unread = b''
    waiting = []
    running = None
    held = b''
    deadline = 0.0
    last_ok = True
    listening = False
    def listen(yes):
        nonlocal listening
        if yes != listening:
            if yes:
                poller.register(0, select.POLLIN)
            else:
                poller.unregister(0)
            listening = yes
    answers = []
    def take_input():
        # Reads what the runner sent, answering cancels into answers;
        # False at end of input.
        nonlocal unread
        while True:
            try:
                data = os.read(0, 65536)
            except BlockingIOError:
                break
            if not data:
                return False
            unread += data
        parse()
        return True
    def parse():
        # A job that finds nothing running stops the parse, so that it
        # starts before anything sent after it counts (the protocol's
        # rule, launcher-protocol.ts). The rest waits in unread.
        nonlocal unread
        while True:
            newline = unread.find(b'\n')
            if newline < 0:
                return
            head = unread[:newline]
            if head == b'C':
                unread = unread[newline + 1:]
                if waiting:
                    waiting.pop()
                    answers.append(b'N\n')
                continue
            size, _, flag = head.partition(b' ')
            end = newline + 1 + int(size)
            if len(unread) < end:
                return
            waiting.append((flag == b'q', unread[newline + 1:end]))
            unread = unread[end:]
            if running is None and len(waiting) == 1:
                return
    def launch():
        # Starts the next waiting job; returns what to say now.
        nonlocal running, held, deadline, last_ok
        queued, payload = waiting.pop(0)
        if queued and not last_ok:
            return b'N\n'
        pid, failed = start(payload)
        if pid is None:
            last_ok = False
            return failed
        try:
            fd = pidfd_open(pid)
        except OSError:
            # No pidfd for this one: wait for it alone. Its S goes out
            # with its E, after the E of any job ahead (said by the caller).
            line, last_ok = ending(pid)
            return b'S %d\n' % pid + line
        poller.register(fd, select.POLLIN)
        running = (pid, fd)
        # The S line waits up to QUICK_MS: a job that ends by then has its
        # pid sent with its end, one write and one wake-up instead of two.
        held = b'S %d\n' % pid
        deadline = time.monotonic() + ${QUICK_MS / 1000}
        return b''
    while True:
        if running is None:
            if waiting:
                said = launch()
                if said:
                    say(said)
                continue
            # Idle with messages read but not parsed (see parse).
            before = len(unread)
            parse()
            if answers:
                say(b''.join(answers))
                answers.clear()
            if len(unread) != before:
                continue
            # Idle: wait for input.
            listen(True)
            timeout = None
        elif held:
            # Note: input is not listened to while the job is young, so
            # that the runner queueing the next job does not wake this
            # process; it is read when the job ends.
            listen(False)
            timeout = max(0.0, deadline - time.monotonic()) * 1000
        else:
            listen(True)
            timeout = None
        events = poller.poll(timeout)
        if not events and held:
            say(held)
            held = b''
        for fd, _ in events:
            if fd == 0:
                more = take_input()
                if answers:
                    say(b''.join(answers))
                    answers.clear()
                if not more:
                    return
            elif running is not None and fd == running[1]:
                pid, pidfd = running
                poller.unregister(pidfd)
                os.close(pidfd)
                line, last_ok = ending(pid)
                # Input first: a cancel that came while the job was young
                # is answered (N) before this job's E, while the runner
                # still counts the cancelled job as queued, not as begun
                # (running still set: what came before this E is queued).
                more = take_input()
                running = None
                said = held + b''.join(answers) + line
                held = b''
                answers.clear()
                if not more:
                    say(said)
                    return
                # The next job starts before the runner hears of this end.
                if waiting:
                    said += launch()
                say(said)
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
