import {FormatError} from '../io/format-error.js';
import {readJsonl} from '../io/jsonl.js';

/**
 * The subjects named by the `subject` field of the rows of JSONL files,
 * such as fmri.dataset's validation and test splits: the subjects a model
 * fine-tuned on the train split has not seen. A file with no row naming a
 * subject is an error (it is not such a split).
 */
export async function subjectsIn(
  files: readonly string[],
): Promise<Set<string>> {
  const subjects = new Set<string>();
  for (const file of files) {
    let found = 0;
    for (const row of await readJsonl(file)) {
      const subject = row['subject'];
      if (typeof subject === 'string' || typeof subject === 'number') {
        subjects.add(String(subject));
        found++;
      }
    }
    if (found === 0) {
      throw new FormatError(
        file,
        'subject',
        'no row has a "subject" field; give the dataset splits (fmri.dataset) whose subjects are to be scored',
      );
    }
  }
  return subjects;
}

/**
 * Keeps the subjects whose name is in `wanted`, in their order; names the
 * files and the subjects there are when none is left.
 */
export function keepSubjects<T extends {readonly name: string}>(
  subjects: readonly T[],
  wanted: ReadonlySet<string>,
  files: readonly string[],
): T[] {
  const kept = subjects.filter((s) => wanted.has(s.name));
  if (kept.length === 0) {
    throw new FormatError(
      files.join(', '),
      'subject',
      `none of the subjects there (${[...wanted].join(', ')}) has samples; the samples have ${subjects.map((s) => s.name).join(', ')}`,
    );
  }
  return kept;
}
