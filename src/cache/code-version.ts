import {readFileSync, statSync} from 'node:fs';
import {dirname, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

import {sha256, type Sha256Hex} from '../util/hash.js';
import type {FileStamp} from './state-store.js';

const cache = new Map<string, Sha256Hex>();
const filesRead = new Map<string, FileStamp>();

/**
 * Versions a built-in task by its code: the SHA-256 of its compiled module
 * and of every module it imports by relative path, transitively. Editing a
 * task (or a helper it uses) changes the version and so reruns its jobs;
 * editing unrelated engine code does not.
 */
export function codeVersion(moduleUrl: URL): Sha256Hex {
  const root = fileURLToPath(moduleUrl);
  const known = cache.get(root);
  if (known !== undefined) return known;

  const seen = new Set<string>();
  const pending = [root];
  const parts: string[] = [];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    // Stat before reading: a file replaced in between then looks changed
    // to the stamp check, never unchanged with stale contents.
    const stats = statSync(file);
    const text = readFileSync(file, 'utf8');
    if (!filesRead.has(file)) {
      filesRead.set(file, {
        size: stats.size,
        mtimeMs: stats.mtimeMs,
        ino: stats.ino,
      });
    }
    parts.push(`${file.slice(dirname(root).length)}\n${sha256(text)}`);
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2];
      if (specifier?.startsWith('.') === true) {
        pending.push(resolve(dirname(file), specifier));
      }
    }
  }
  const version = sha256(parts.sort().join('\n'));
  cache.set(root, version);
  return version;
}

// Static `import … from './x.js'`, `export … from './x.js'` and dynamic
// `import('./x.js')` with a literal specifier.
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/**
 * Every module file a code version was computed from in this process, with
 * its stat when read: the no-op stamp checks them to notice a rebuilt task.
 */
export function codeFilesRead(): ReadonlyMap<string, FileStamp> {
  return filesRead;
}
