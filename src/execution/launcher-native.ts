import {existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';

import {
  QUEUE_DEPTH,
  QUICK_MS,
  SHELL_WORDS,
  SIMPLE_WORD_CHARS,
  type LauncherProgram,
} from './launcher-protocol.js';

/**
 * Where `npm run build` puts the native launcher (launcher-native.c,
 * compiled by scripts/build-launcher.js): dist/native/, beside the
 * compiled dist/src/.
 */
const NATIVE_LAUNCHER_PATH = fileURLToPath(
  new URL('../../native/neuromake-launcher', import.meta.url),
);

/** Whether the build made it: looked at once per process. */
let built: boolean | undefined;

/**
 * The native launcher, or undefined where the build found no C compiler
 * (then the Perl and Python launchers do its work). It speaks the Python
 * launcher's queueing protocol, with the simple-command rules passed in
 * from launcher-protocol.ts so that every launcher agrees on them.
 */
export function nativeLauncher(): LauncherProgram | undefined {
  built ??= existsSync(NATIVE_LAUNCHER_PATH);
  if (!built) return undefined;
  return {
    name: 'native',
    command: NATIVE_LAUNCHER_PATH,
    args: [
      String(QUICK_MS),
      String(QUEUE_DEPTH),
      SIMPLE_WORD_CHARS.first,
      SIMPLE_WORD_CHARS.later,
      ...SHELL_WORDS,
    ],
  };
}
