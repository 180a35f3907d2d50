/**
 * Helpers shared by the benchmarks: finding peer tools (GNU make,
 * Snakemake), running a command as a child process and timing it with
 * `performance.now()`, and small statistics and formatting.
 */
import {spawn, spawnSync} from 'node:child_process';
import {readFileSync} from 'node:fs';

/** A peer tool found on this machine. */
export interface Peer {
  readonly name: string;
  readonly command: string;
  /** The first line of `--version`. */
  readonly version: string;
}

/** Why a peer is not benchmarked. */
export interface MissingPeer {
  readonly name: string;
  readonly reason: string;
}

/**
 * Looks for `command` by running `command --version`. Returns the peer, or
 * why it cannot be used (not installed, or an older major version than
 * `minMajor`).
 */
export function findPeer(
  name: string,
  command: string,
  minMajor?: number,
): Peer | MissingPeer {
  const probe = spawnSync(command, ['--version'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (probe.error !== undefined || probe.status !== 0) {
    const why =
      probe.error !== undefined
        ? (probe.error as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'not installed'
          : probe.error.message
        : `\`${command} --version\` exited with ${String(probe.status)}`;
    return {name, reason: `${command}: ${why}`};
  }
  const version = `${probe.stdout}${probe.stderr}`.trim().split('\n')[0] ?? '';
  if (minMajor !== undefined) {
    const major = Number(/(\d+)\.\d+/.exec(version)?.[1]);
    if (!Number.isFinite(major) || major < minMajor) {
      return {
        name,
        reason: `${command}: version "${version}" is older than ${minMajor}.x`,
      };
    }
  }
  return {name, command, version};
}

export function isPeer(peer: Peer | MissingPeer): peer is Peer {
  return 'command' in peer;
}

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`). */
export const CLOCK_TICKS = (() => {
  const probe = spawnSync('getconf', ['CLK_TCK'], {encoding: 'utf8'});
  const ticks = Number(probe.stdout);
  return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
})();

/**
 * CPU time (user + system) of every child this process has waited for, and
 * of their own waited-for children, in milliseconds: fields cutime and
 * cstime of /proc/self/stat. Undefined where there is no /proc (not Linux).
 * Unlike wall-clock time it hardly changes when other work shares the CPUs.
 */
export function childrenCpuMs(): number | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/self/stat', 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name, which is in parentheses and may hold
  // spaces: state is field 3, cutime field 16, cstime field 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[13]) + Number(fields[14]);
  return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS : undefined;
}

/** A finished child process. */
export interface Timed {
  /** Wall-clock milliseconds from spawn to exit, as `performance.now()` saw. */
  readonly ms: number;
  /**
   * CPU milliseconds (user + system) it and its children used, to the
   * clock tick (10 ms); undefined where /proc is missing.
   */
  readonly cpuMs: number | undefined;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Children still running, so that an interrupt can stop them. */
const running = new Set<number>();

/** Stops every child this module started (on SIGINT, for instance). */
export function killChildren(): void {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
}

/**
 * Runs `command args…` in `cwd`, collecting its output, and times it from
 * spawn to exit. The child gets its own process group (so {@link
 * killChildren} reaches its children too). Throws when it exits non-zero.
 */
export function timeCommand(
  command: string,
  args: readonly string[],
  options: {readonly cwd: string; readonly env?: NodeJS.ProcessEnv},
): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const cpuBefore = childrenCpuMs();
    const start = performance.now();
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    if (child.pid !== undefined) running.add(child.pid);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.once('error', (err) => {
      if (child.pid !== undefined) running.delete(child.pid);
      reject(new Error(`cannot run ${command}: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      const ms = performance.now() - start;
      const cpuAfter = childrenCpuMs();
      if (child.pid !== undefined) running.delete(child.pid);
      const result = {
        ms,
        cpuMs:
          cpuBefore === undefined || cpuAfter === undefined
            ? undefined
            : cpuAfter - cpuBefore,
        code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      };
      if (code === 0) {
        resolve(result);
        return;
      }
      const tail = `${result.stderr}\n${result.stdout}`
        .trim()
        .split('\n')
        .slice(-15)
        .join('\n');
      const how =
        signal !== null ? `was killed by ${signal}` : `exited with ${code}`;
      reject(
        new Error(
          `\`${command} ${args.join(' ')}\` in ${options.cwd} ${how}:\n${tail}`,
        ),
      );
    });
  });
}

/** Runs a command `times` times in a row; returns every result. */
export async function repeatCommand(
  times: number,
  command: string,
  args: readonly string[],
  options: {readonly cwd: string; readonly env?: NodeJS.ProcessEnv},
): Promise<Timed[]> {
  const results: Timed[] = [];
  for (let i = 0; i < times; i++) {
    results.push(await timeCommand(command, args, options));
  }
  return results;
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Seconds with three significant figures or at least two decimals. */
export function formatSeconds(ms: number | undefined): string {
  if (ms === undefined) return '–';
  const s = ms / 1000;
  if (s >= 100) return s.toFixed(0);
  if (s >= 10) return s.toFixed(1);
  return s < 0.01 ? s.toFixed(3) : s.toFixed(2);
}

/** A ratio as `4.2×`, or a dash when either side is missing. */
export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return '–';
  return `${ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(2)}×`;
}

/** Renders rows as a plain-text table with aligned columns. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}
