/**
 * `npm run bench`: runs every benchmark script present, one after another,
 * each as its own process: engine-dag.js first, then the others by name
 * (brain-score.js, encode-throughput.js, fmri-*.js, watch-latency.js, …),
 * whether compiled beside this file (dist/bench/) or written as plain
 * JavaScript in bench/.
 * Left out: helper modules ({@link HELPERS}, and *-common, *-util(s),
 * *-helper(s)), and the parts of a group that has an aggregate script
 * (with fmri-all.js present, fmri-mask.js etc. run only through it).
 * Exits non-zero when any script fails.
 *
 *   node dist/bench/run-all.js [--list] [--only NAME]… [-- ARGS…]
 *
 * `--only` keeps scripts whose name contains NAME; ARGS after `--` are
 * passed to every script run (e.g. `--only engine -- --size 100`);
 * `--list` prints the scripts it would run and stops.
 */
import {spawn} from 'node:child_process';
import {existsSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SOURCE_DIR = path.resolve(HERE, '..', '..', 'bench');

/** Modules under bench/ that are not benchmarks themselves. */
const HELPERS = new Set([
  'run-all',
  'generate-dag',
  'peers',
  'pool-dispatch',
  'noop-worker',
  'engine-dag-checks',
  'engine-dag-results',
  'engine-dag-report',
  'engine-dag-rounds',
  'launch-floor',
]);
const HELPER_SUFFIX = /-(common|utils?|helpers?)$/;

/** Benchmark scripts, by file name; compiled ones win over plain JS. */
function findScripts(dirs: readonly string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const base = name.replace(/\.m?js$/, '');
      if (base === name || HELPERS.has(base) || HELPER_SUFFIX.test(base)) {
        continue;
      }
      if (!found.has(base)) found.set(base, path.join(dir, name));
    }
  }
  // `x-all` runs every `x-…`: keep only the aggregate.
  const groups = [...found.keys()]
    .filter((b) => b.endsWith('-all'))
    .map((b) => b.slice(0, -'all'.length));
  for (const base of [...found.keys()]) {
    if (groups.some((g) => base.startsWith(g) && base !== `${g}all`)) {
      found.delete(base);
    }
  }
  return found;
}

function runScript(file: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file, ...args], {stdio: 'inherit'});
    child.once('error', () => resolve(1));
    child.once('close', (code) => resolve(code ?? 1));
  });
}

const {values, positionals} = parseArgs({
  options: {
    only: {type: 'string', multiple: true},
    list: {type: 'boolean', default: false},
  },
  allowPositionals: true,
});
const only = values.only ?? [];
const scripts = [...findScripts([HERE, SOURCE_DIR])]
  .filter(([name]) => only.length === 0 || only.some((o) => name.includes(o)))
  // The engine benchmark first, then the others by name.
  .sort(([a], [b]) =>
    a === 'engine-dag' ? -1 : b === 'engine-dag' ? 1 : a.localeCompare(b),
  );
if (scripts.length === 0) {
  process.stderr.write('run-all: no benchmark scripts found\n');
  process.exit(2);
}
if (values.list) {
  for (const [, file] of scripts) process.stdout.write(`${file}\n`);
  process.exit(0);
}
const failed: string[] = [];
for (const [name, file] of scripts) {
  process.stdout.write(`\n=== ${name}\n`);
  const code = await runScript(file, positionals);
  if (code !== 0) failed.push(`${name} (exit ${code})`);
}
if (failed.length > 0) {
  process.stderr.write(`run-all: failed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
