import {execFile} from 'node:child_process';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {promisify} from 'node:util';

const run = promisify(execFile);

/** Absolute path of a file under test/fixtures (from dist/test/…). */
export function fixture(name: string): string {
  return fileURLToPath(
    new URL(`../../../test/fixtures/${name}`, import.meta.url),
  );
}

/** Absolute path of a file under the repository's data/ folder. */
export function dataFile(name: string): string {
  return fileURLToPath(new URL(`../../../data/${name}`, import.meta.url));
}

/** Runs `body` with a fresh temporary directory, removed afterwards. */
export async function withTempDir<T>(
  body: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'neuromake-fmri-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
}

/** The Debian python with nibabel and numpy (not the pyenv one on PATH). */
export const PYTHON = '/usr/bin/python3';

let available: Promise<string | undefined> | undefined;

/**
 * Why the nibabel checks must be skipped, or undefined when
 * /usr/bin/python3 imports nibabel, numpy and scipy.
 */
export function pythonSkipReason(): Promise<string | undefined> {
  available ??= run(PYTHON, ['-c', 'import nibabel, numpy, scipy'])
    .then(() => undefined)
    .catch(
      () =>
        `${PYTHON} lacks nibabel/numpy/scipy (apt-get install python3-nibabel python3-scipy)`,
    );
  return available;
}

/** Runs python code with arguments; returns stdout. */
export async function python(
  code: string,
  args: string[] = [],
): Promise<string> {
  const {stdout} = await run(PYTHON, ['-c', code, ...args], {
    maxBuffer: 64 << 20,
  });
  return stdout;
}
