import {writeFile} from 'node:fs/promises';

import {loadPreparedAtlas} from '../../fmri/prepared-atlas.js';
import {projectRun} from '../../fmri/projection.js';
import {
  detrend,
  standardize,
  type Standardize,
} from '../../fmri/signal-clean.js';
import {writeNpy} from '../../io/npy.js';
import {readNiftiHeader} from '../../io/nifti-read.js';
import {resolveTr} from '../../io/nifti-time.js';
import {
  booleanParam,
  optionalInput,
  outputPath,
  singleInput,
  stringParam,
  type TaskDefinition,
} from '../task.js';

const MODES = ['none', 'zscore', 'zscore_sample'] as const;

/** Projects one run onto a prepared atlas: parcel series [T, K]. */
const project: TaskDefinition = {
  name: 'fmri.project',
  description:
    'Least-squares projection of a BOLD run onto a prepared atlas (NiftiMapsMasker estimate; mean per label for label atlases), optional detrend and z-score; float32 .npy [T, K] + JSON sidecar.',
  inputs: {
    bold: {description: 'The BOLD run on the prepared grid.'},
    atlas: {description: 'The prepared atlas (fmri.atlas-prepare).'},
    sidecar: {
      description: 'BIDS _bold.json (its RepetitionTime wins over the header).',
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
    const started = Date.now();
    const atlas = await loadPreparedAtlas(atlasFile);
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
    const series = await projectRun(bold, header, atlas, (d, t) =>
      context.progress(d, t),
    );
    if (doDetrend) detrend(series);
    standardize(series, mode);
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
          standardize: mode,
          sources: {
            bold,
            atlas: atlasFile,
            sidecar: sidecar ?? null,
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
