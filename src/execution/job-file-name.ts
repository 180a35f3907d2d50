import {createHash} from 'node:crypto';

/** Longest name kept readable; the rest of a longer id goes into a hash. */
const READABLE_MAX = 200;

/**
 * A job id as a file name (its log, its Slurm script): the id itself where
 * it is already a safe, short name; otherwise the id with path separators
 * and other odd characters replaced, cut to a readable length, and a hash
 * of the whole id, because ids that differ only in the replaced characters
 * (`cp[name=数据]`, `cp[name=文件]`) or past the cut would share one file.
 */
export function safeName(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9._,=[\]-]/g, '_');
  if (safe === id && id.length <= READABLE_MAX) return id;
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 10);
  return `${safe.slice(0, READABLE_MAX)}~${hash}`;
}
