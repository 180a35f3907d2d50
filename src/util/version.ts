import {readFileSync} from 'node:fs';

/** neuromake's own version, from package.json; part of every cache key. */
export const NEUROMAKE_VERSION: string = (
  JSON.parse(
    readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
  ) as {version: string}
).version;
