/**
 * `npm run bench`: runs every benchmark script present, one after another,
 * each as its own process: engine-dag.js, then any fmri-*.js and
 * watch-latency.js, whether compiled beside this file (dist/bench/) or
 * written as plain JavaScript in bench/. Shared helper modules
 * (fmri-common.js, …-util.js, …-helpers.js) are not scripts and are left
 * out. Exits non-zero when any script fails.
 *
 *   node dist/bench/run-all.js [--only NAME]… [-- ARGS…]
 *
 * `--only` keeps scripts whose name contains NAME; ARGS after `--` are
 * passed to every script run (e.g. `--only engine -- --size 100`).
 */
import {spawn} from 'node:child_process';
import {existsSync, readdirSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SOURCE_DIR = path.resolve(HERE, '..', '..', 'bench');

/** Benchmark scripts, by file name; compiled ones win over plain JS. */
function findScripts(): Map<string, string> {
  const found = new Map<string, string>();
  const isBench = (name: string) =>
    name === 'engine-dag.js' ||
    name === 'watch-latency.js' ||
    (/^fmri-.*\.m?js$/.test(name) &&
      !/-(common|utils?|helpers?)\.m?js$/.test(name));
  for (const dir of [HERE, SOURCE_DIR]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (isBench(name) && !found.has(name)) {
        found.set(name, path.join(dir, name));
      }
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
  options: {only: {type: 'string', multiple: true}},
  allowPositionals: true,
});
const only = values.only ?? [];
const scripts = [...findScripts()]
  .filter(([name]) => only.length === 0 || only.some((o) => name.includes(o)))
  // The engine benchmark first, then the others by name.
  .sort(([a], [b]) =>
    a === 'engine-dag.js' ? -1 : b === 'engine-dag.js' ? 1 : a.localeCompare(b),
  );
if (scripts.length === 0) {
  process.stderr.write('run-all: no benchmark scripts found\n');
  process.exit(2);
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
