import {readFileSync} from 'node:fs';
import {dirname, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

import {sha256, type Sha256Hex} from '../util/hash.js';

const cache = new Map<string, Sha256Hex>();

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
    const text = readFileSync(file, 'utf8');
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
