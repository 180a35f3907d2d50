/* global console, process */
// Compiles the native job launcher (src/execution/launcher-native.c) into
// dist/native/, as part of `npm run build`. It is an optional speed-up:
// where no C compiler is found, or the platform is not Linux, the build
// says so and goes on, and shell jobs use the Perl or Python launcher.
//
//   node scripts/build-launcher.js      (CC picks the compiler; default cc)
import {spawnSync} from 'node:child_process';
import {mkdirSync, renameSync, rmSync, statSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'execution', 'launcher-native.c');
const target = join(root, 'dist', 'native', 'neuromake-launcher');

function modified(path) {
  return statSync(path, {throwIfNoEntry: false})?.mtimeMs;
}

function skip(why) {
  // A binary from an older source must not outlive a failed rebuild.
  rmSync(target, {force: true});
  console.warn(
    `neuromake: native job launcher not built (${why}); ` +
      'shell jobs use the Perl or Python launcher instead',
  );
}

if (process.platform !== 'linux') {
  skip(`it needs Linux, this is ${process.platform}`);
} else if ((modified(target) ?? -1) < (modified(source) ?? 0)) {
  mkdirSync(dirname(target), {recursive: true});

  // Compiled to a temporary name and renamed: a run that starts meanwhile
  // sees the old binary or the new one, never half of one.
  const temp = `${target}.tmp-${process.pid}`;
  // CC may carry arguments (`ccache gcc`, `gcc -m64`), as make takes it.
  const [compiler = 'cc', ...ccArgs] = (process.env.CC ?? '')
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
  const built = spawnSync(
    compiler,
    [...ccArgs, '-O2', '-std=c11', '-Wall', '-o', temp, source],
    {encoding: 'utf8'},
  );
  if (built.error !== undefined) {
    skip(`${compiler}: ${built.error.message}`);
  } else if (built.status !== 0) {
    rmSync(temp, {force: true});
    skip(`${compiler} failed: ${built.stderr.trim().split('\n')[0]}`);
  } else {
    renameSync(temp, target);
  }
}
