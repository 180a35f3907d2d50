/**
 * What a heads run trained and evaluated on, as the metrics JSON states it:
 * the sampling method of its fMRI rows and the ETHICS rows of each split.
 * The tables group by these fields, so they come from the data where the
 * data says, not from labels a pipeline may have forgotten to pass.
 */
import {TaskInputError} from '../tasks/task.js';
import type {FmriTargets} from './head-data.js';

/** The sampling a run used, and where that was read. */
export interface SamplingRecord {
  /** AVG, LAST, …; '' when neither the rows nor a label say. */
  readonly sampling: string;
  /** `rows`: the dataset rows' `method`; `param`: the `sampling` label. */
  readonly source: 'rows' | 'param' | 'none';
}

/**
 * The sampling method of a run's fMRI rows. Rows of two methods mean the
 * dataset gathered samples across a sampling matrix (a gather whose step
 * lacks the sampling wildcard), and a label that contradicts the rows
 * would put the run in the wrong row of Table 2: both are errors.
 */
export function resolveSampling(
  train: FmriTargets,
  validation: FmriTargets,
  label: string,
  files: {train: string; validation: string},
): SamplingRecord {
  const methods = [...new Set([...train.methods, ...validation.methods])];
  if (methods.length > 1) {
    const per = (t: FmriTargets, f: string) =>
      `${f}: ${t.methods.join(', ') || 'none'}`;
    throw new TaskInputError(
      `the fMRI rows mix sampling methods (${per(train, files.train)}; ${per(validation, files.validation)}): build one dataset per method, e.g. with a {sampling} wildcard in the sample and dataset steps`,
    );
  }
  const [rows] = methods;
  if (rows !== undefined) {
    if (label !== '' && label !== rows) {
      throw new TaskInputError(
        `param "sampling" is "${label}" but the fMRI rows were sampled by ${rows}: pass the sampling wildcard through, or leave the param empty`,
      );
    }
    return {sampling: rows, source: 'rows'};
  }
  return label === ''
    ? {sampling: '', source: 'none'}
    : {sampling: label, source: 'param'};
}

/** The rows of one ETHICS file a split used. */
export interface EthicsRows {
  /** The CSV's file name. */
  readonly file: string;
  /** How many of its rows. */
  readonly n: number;
  /**
   * 0-based data rows of the CSV (header not counted; a quoted field
   * spanning lines is one row), or `all`.
   */
  readonly rows: readonly number[] | 'all';
}

/** Which ETHICS rows trained the head and which evaluated it. */
export interface EthicsSplitRecord {
  readonly statement: string;
  readonly train: EthicsRows;
  readonly test: EthicsRows;
  readonly hard_test: EthicsRows;
  /** The seed of the train/test split of `test`'s file, when split. */
  readonly split_seed: string | null;
  readonly train_fraction: number | null;
}

/**
 * The record of a run's ETHICS splits. With `split` (no separate training
 * file), train and test are complementary rows of one file.
 */
export function ethicsSplitRecord(
  files: {train: string | undefined; test: string; hard: string},
  sizes: {train: number; test: number; hard: number},
  split:
    | {train: number[]; held: number[]; seed: string; fraction: number}
    | undefined,
): EthicsSplitRecord {
  const hard: EthicsRows = {file: files.hard, n: sizes.hard, rows: 'all'};
  if (split === undefined) {
    const train = files.train ?? '';
    return {
      statement: `trained on all ${sizes.train} rows of ${train}; "test" is all ${sizes.test} rows of ${files.test}; "hard_test" all ${sizes.hard} rows of ${files.hard}`,
      train: {file: train, n: sizes.train, rows: 'all'},
      test: {file: files.test, n: sizes.test, rows: 'all'},
      hard_test: hard,
      split_seed: null,
      train_fraction: null,
    };
  }
  return {
    statement: `trained on ${split.train.length} rows of ${files.test} (a seeded ${Math.round(split.fraction * 100)}% split, seed ${split.seed}); "test" is the other ${split.held.length} rows of ${files.test}, never trained on; "hard_test" is all ${sizes.hard} rows of ${files.hard}, never trained on`,
    train: {file: files.test, n: split.train.length, rows: split.train},
    test: {file: files.test, n: split.held.length, rows: split.held},
    hard_test: hard,
    split_seed: split.seed,
    train_fraction: split.fraction,
  };
}
