import {FormatError} from '../io/format-error.js';
import {readJsonl} from '../io/jsonl.js';

/**
 * The subject a dataset row names in its `subject` field (fmri.dataset
 * writes strings; a number is read as its text), or undefined. One rule
 * for every reader, so that the subjects an adapter was fitted to and the
 * ones scored are named alike.
 */
export function subjectOf(
  row: Readonly<Record<string, unknown>>,
): string | undefined {
  const subject = row['subject'];
  return typeof subject === 'string' || typeof subject === 'number'
    ? String(subject)
    : undefined;
}

/**
 * The subjects named by the `subject` field of the rows of JSONL files,
 * such as fmri.dataset's validation and test splits: the subjects a model
 * fine-tuned on the train split has not seen. One file may be empty (a
 * split of fraction 0); files that together name no subject are an error
 * (they are not such splits).
 */
export async function subjectsIn(
  files: readonly string[],
): Promise<Set<string>> {
  const subjects = new Set<string>();
  for (const file of files) {
    for (const row of await readJsonl(file)) {
      const subject = subjectOf(row);
      if (subject !== undefined) subjects.add(subject);
    }
  }
  if (subjects.size === 0) {
    throw new FormatError(
      files.join(', '),
      'subject',
      'no row has a "subject" field; give the dataset splits (fmri.dataset) whose subjects are to be scored',
    );
  }
  return subjects;
}

/**
 * Keeps the subjects whose name is in `wanted`, in their order, and says
 * which wanted ones have no samples (a typo such as `04` for `sub-04`, or
 * a subject with no runs); names the files and the subjects there are
 * when none is left.
 */
export function keepSubjects<T extends {readonly name: string}>(
  subjects: readonly T[],
  wanted: ReadonlySet<string>,
  files: readonly string[],
): {readonly kept: T[]; readonly missing: string[]} {
  const kept = subjects.filter((s) => wanted.has(s.name));
  if (kept.length === 0) {
    throw new FormatError(
      files.join(', '),
      'subject',
      `none of the subjects there (${[...wanted].join(', ')}) has samples; the samples have ${subjects.map((s) => s.name).join(', ')}`,
    );
  }
  const names = new Set(subjects.map((s) => s.name));
  return {kept, missing: [...wanted].filter((w) => !names.has(w)).sort()};
}
