/* global console, process */
// Compiles the native job launcher (src/execution/launcher-native.c) into
// dist/native/, as part of `npm run build`. It is an optional speed-up:
// where no C compiler is found, or the platform is not Linux, the build
// says so and goes on, and shell jobs use the Perl or Python launcher.
//
//   node scripts/build-launcher.js      (CC picks the compiler; default cc)
import {spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'execution', 'launcher-native.c');
const target = join(root, 'dist', 'native', 'neuromake-launcher');

// What the binary was built from (source and compiler command), beside it:
// a rebuild happens when that changed, whatever the files' times say (a
// checkout or a copy can leave an old binary looking newer than its source).
const stamp = `${target}.built-from`;

// CC may carry arguments (`ccache gcc`, `gcc -m64`), as make takes it.
const [compiler = 'cc', ...ccArgs] = (process.env.CC ?? '')
  .trim()
  .split(/\s+/)
  .filter((word) => word !== '');
const flags = ['-O2', '-std=c11', '-Wall'];
const builtFrom = createHash('sha256')
  .update(JSON.stringify([compiler, ...ccArgs, ...flags]))
  .update(readFileSync(source))
  .digest('hex');

function upToDate() {
  if (!existsSync(target) || !existsSync(stamp)) return false;
  return readFileSync(stamp, 'utf8') === builtFrom;
}

function skip(why) {
  // A binary from an older source must not outlive a failed rebuild.
  rmSync(target, {force: true});
  rmSync(stamp, {force: true});
  console.warn(
    `neuromake: native job launcher not built (${why}); ` +
      'shell jobs use the Perl or Python launcher instead',
  );
}

if (process.platform !== 'linux') {
  skip(`it needs Linux, this is ${process.platform}`);
} else if (!upToDate()) {
  mkdirSync(dirname(target), {recursive: true});

  // Compiled to a temporary name and renamed: a run that starts meanwhile
  // sees the old binary or the new one, never half of one.
  const temp = `${target}.tmp-${process.pid}`;
  const built = spawnSync(compiler, [...ccArgs, ...flags, '-o', temp, source], {
    encoding: 'utf8',
  });
  if (built.error !== undefined) {
    skip(`${compiler}: ${built.error.message}`);
  } else if (built.status !== 0) {
    rmSync(temp, {force: true});
    skip(`${compiler} failed: ${built.stderr.trim().split('\n')[0]}`);
  } else {
    renameSync(temp, target);
    writeFileSync(stamp, builtFrom);
  }
}
