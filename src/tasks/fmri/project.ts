import {writeFile} from 'node:fs/promises';

import {loadPreparedAtlas} from '../../fmri/prepared-atlas.js';
import {frameCount} from '../../fmri/grid.js';
import {projectRun} from '../../fmri/projection.js';
import {readConfounds} from '../../fmri/confounds.js';
import {
  cleanSeries,
  highPassProblem,
  type HighPassFilter,
  type Standardize,
} from '../../fmri/signal-clean.js';
import {writeNpy} from '../../io/npy.js';
import {readNiftiHeader} from '../../io/nifti-read.js';
import {resolveTr} from '../../io/nifti-time.js';
import {
  booleanParam,
  listParam,
  optionalInput,
  outputPath,
  singleInput,
  numberParam,
  stringParam,
  TaskInputError,
  type TaskDefinition,
} from '../task.js';

const MODES = ['none', 'zscore', 'zscore_sample'] as const;
const FILTERS = ['butterworth', 'cosine'] as const;

/** The TR a high-pass needs, or a TaskInputError saying where to get it. */
function trFor(tr: {readonly seconds: number} | undefined, bold: string) {
  if (tr === undefined) {
    throw new TaskInputError(
      `param "high_pass" needs the run's TR: the header of ${bold} gives none; add the BIDS sidecar as the "sidecar" input`,
    );
  }
  return tr.seconds;
}

/** Projects one run onto a prepared atlas: parcel series [T, K]. */
const project: TaskDefinition = {
  name: 'fmri.project',
  description:
    'Least-squares projection of a BOLD run onto a prepared atlas (NiftiMapsMasker estimate; mean per label for label atlases), then nilearn-style cleaning: optional detrend, high-pass (Butterworth or cosine), confound regression and z-score; float32 .npy [T, K] + JSON sidecar.',
  inputs: {
    bold: {description: 'The BOLD run on the prepared grid.'},
    atlas: {description: 'The prepared atlas (fmri.atlas-prepare).'},
    sidecar: {
      description: 'BIDS _bold.json (its RepetitionTime wins over the header).',
      optional: true,
    },
    confounds: {
      description:
        "Confounds table, one row per frame (fMRIPrep's desc-confounds_timeseries.tsv); the columns named in confound_columns are regressed out.",
      optional: true,
    },
  },
  outputs: {
    series: {description: 'float32 .npy of shape [T, K].'},
    sidecar: {description: 'JSON: labels, TR, shape, source files.'},
  },
  params: {
    detrend: {
      type: 'boolean',
      description: "Remove each series' linear trend.",
      default: false,
    },
    standardize: {
      type: 'string',
      description: 'Z-score each series.',
      default: 'none',
      enum: [...MODES],
    },
    high_pass: {
      type: 'number',
      description:
        'High-pass cutoff in Hz (the published ds000212 series: 0.008); 0 = none. Needs the TR.',
      default: 0,
      minimum: 0,
    },
    filter: {
      type: 'string',
      description:
        "How to high-pass: 'butterworth' (order 5, forwards and backwards, nilearn's default) or 'cosine' (discrete cosine drift regressors).",
      default: 'butterworth',
      enum: [...FILTERS],
    },
    confound_columns: {
      type: 'array',
      description:
        'Columns of the confounds input to regress out, e.g. [trans_x, trans_y, trans_z, rot_x, rot_y, rot_z, white_matter, csf, global_signal].',
      default: [],
    },
  },
  async run(context) {
    const bold = singleInput(context, 'bold');
    const atlasFile = singleInput(context, 'atlas');
    const sidecar = optionalInput(context, 'sidecar');
    const doDetrend = booleanParam(context, 'detrend', false);
    const mode: Standardize = stringParam(
      context,
      'standardize',
      'none',
      MODES,
    );
    const highPass = numberParam(context, 'high_pass', 0);
    const filter: HighPassFilter = stringParam(
      context,
      'filter',
      'butterworth',
      FILTERS,
    );
    const confoundsFile = optionalInput(context, 'confounds');
    const names = listParam(
      context,
      'confound_columns',
      (x): x is string => typeof x === 'string',
      'column names',
    );
    if (confoundsFile !== undefined && names.length === 0) {
      throw new TaskInputError(
        `input "confounds" is given but param "confound_columns" names no column: list the columns to regress out`,
      );
    }
    if (confoundsFile === undefined && names.length > 0) {
      throw new TaskInputError(
        `param "confound_columns" names ${names.join(', ')} but there is no "confounds" input: add the confounds table to the step's inputs`,
      );
    }
    const header = await readNiftiHeader(bold);
    const tr = await resolveTr(header, sidecar);
    if (
      tr?.source === 'sidecar' &&
      tr.headerSeconds !== undefined &&
      Math.abs(tr.headerSeconds - tr.seconds) > 1e-6
    ) {
      context.log(
        `TR ${tr.seconds} s from ${sidecar ?? ''}; the header says ${tr.headerSeconds} s`,
      );
    }
    // Everything that can be wrong with the cleaning is checked before the
    // expensive part (loading the atlas, the projection): the TR, the
    // cutoff, the confounds.
    const frames = frameCount(header.shape);
    const cleanHighPass =
      highPass > 0
        ? {hz: highPass, trSeconds: trFor(tr, bold), filter}
        : undefined;
    const problem =
      cleanHighPass === undefined
        ? undefined
        : highPassProblem(frames, cleanHighPass);
    if (problem !== undefined) {
      throw new TaskInputError(`param "high_pass" for ${bold}: ${problem}`);
    }
    const confounds =
      confoundsFile === undefined
        ? undefined
        : (await readConfounds(confoundsFile, names, frames)).columns;

    const started = Date.now();
    const atlas = await loadPreparedAtlas(atlasFile);
    const series = await projectRun(bold, header, atlas, (d, t) =>
      context.progress(d, t),
    );
    cleanSeries(series, {
      detrend: doDetrend,
      ...(cleanHighPass === undefined ? {} : {highPass: cleanHighPass}),
      ...(confounds === undefined ? {} : {confounds}),
      standardize: mode,
    });
    await writeNpy(
      outputPath(context, 'series'),
      Float32Array.from(series.data),
      [series.frames, series.parcels],
    );
    await writeFile(
      outputPath(context, 'sidecar'),
      JSON.stringify(
        {
          shape: [series.frames, series.parcels],
          dtype: 'float32',
          RepetitionTime: tr?.seconds ?? null,
          RepetitionTimeSource: tr?.source ?? null,
          atlas_kind: atlas.kind,
          labels: atlas.labels,
          empty_maps: atlas.emptyMaps,
          rank: atlas.rank,
          detrend: doDetrend,
          high_pass: highPass > 0 ? highPass : null,
          filter: highPass > 0 ? filter : null,
          confounds: names,
          standardize: mode,
          sources: {
            bold,
            atlas: atlasFile,
            sidecar: sidecar ?? null,
            confounds: confoundsFile ?? null,
            ...atlas.sources,
          },
        },
        null,
        1,
      ) + '\n',
    );
    // Timings go to the log only (see atlas-prepare): outputs stay stable.
    context.log(`projected in ${((Date.now() - started) / 1000).toFixed(2)} s`);
  },
};

export default project;
