import type {ParamSpec} from '../task.js';

/** The two brain scores of a brain.score report. */
export const SCORES = ['study', 'brainscore'] as const;

/** Values of the `metric` param: one score, or both. */
export const METRICS = [...SCORES, 'both'] as const;
export type Metric = (typeof METRICS)[number];

/** The `metric` param of brain.score and brain.compare. */
export const METRIC_PARAM: ParamSpec = {
  type: 'string',
  description: 'study, brainscore or both.',
  default: 'both',
  enum: [...METRICS],
};

/** The sign-flip test's params (brain.compare, results.tables). */
export const SIGN_FLIP_PARAMS = {
  permutations: {
    type: 'integer',
    description: 'Sign-flip draws (exact when 2^subjects is fewer).',
    default: 10000,
    minimum: 1,
  },
  seed: {
    type: 'string',
    description: 'Seed of the sign flips.',
    default: '212',
  },
} as const satisfies Record<string, ParamSpec>;
