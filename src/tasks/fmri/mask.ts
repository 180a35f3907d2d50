import {writeFile} from 'node:fs/promises';

import {computeEpiMask} from '../../fmri/epi-mask.js';
import {
  frameCount,
  sameGrid,
  spatialDims,
  voxelCount,
  type Grid,
} from '../../fmri/grid.js';
import {TemporalMean} from '../../fmri/temporal-mean.js';
import {FormatError} from '../../io/format-error.js';
import {headerAffine} from '../../io/nifti-affine.js';
import {
  readNifti,
  readNiftiFrames,
  readNiftiHeader,
} from '../../io/nifti-read.js';
import {writeNifti1} from '../../io/nifti-write.js';
import {
  booleanParam,
  numberParam,
  optionalInput,
  outputPath,
  singleInput,
  TaskInputError,
  type TaskDefinition,
} from '../task.js';

/** Computes (or checks and re-encodes) the brain mask of a BOLD run. */
const mask: TaskDefinition = {
  name: 'fmri.mask',
  description:
    "Brain mask of a BOLD run by nilearn's compute_epi_mask algorithm (or a given mask, checked against the run's grid); uint8 .nii.gz.",
  inputs: {
    bold: {description: 'The 4D BOLD run (.nii/.nii.gz).'},
    mask: {
      description: 'A mask to use instead of computing one.',
      optional: true,
    },
  },
  outputs: {
    mask: {description: 'uint8 mask on the BOLD grid, .nii.gz.'},
    report: {description: 'JSON: threshold, voxel count, parameters.'},
  },
  params: {
    lower_cutoff: {
      type: 'number',
      description: 'Lower fraction of the sorted intensities.',
      default: 0.2,
      minimum: 0,
      maximum: 1,
    },
    upper_cutoff: {
      type: 'number',
      description: 'Upper fraction.',
      default: 0.85,
      minimum: 0,
      maximum: 1,
    },
    connected: {
      type: 'boolean',
      description: 'Keep the largest connected component.',
      default: true,
    },
    opening: {
      type: 'integer',
      description: 'Erosion iterations of the opening (0 = none).',
      default: 2,
      minimum: 0,
    },
    exclude_zeros: {
      type: 'boolean',
      description: 'Leave zero voxels out of the histogram.',
      default: false,
    },
  },
  async run(context) {
    const bold = singleInput(context, 'bold');
    const given = optionalInput(context, 'mask');
    const options = {
      lowerCutoff: numberParam(context, 'lower_cutoff', 0.2),
      upperCutoff: numberParam(context, 'upper_cutoff', 0.85),
      connected: booleanParam(context, 'connected', true),
      opening: numberParam(context, 'opening', 2),
      excludeZeros: booleanParam(context, 'exclude_zeros', false),
    };
    // Checked before the run is read: the histogram needs lower < upper.
    if (!(options.lowerCutoff < options.upperCutoff)) {
      throw new TaskInputError(
        `params lower_cutoff (${options.lowerCutoff}) must be below upper_cutoff (${options.upperCutoff}): they are fractions of the sorted mean intensities, e.g. 0.2 and 0.85`,
      );
    }
    const header = await readNiftiHeader(bold);
    const dims = spatialDims(header.shape);
    const affine = headerAffine(header).affine;
    let result: {mask: Uint8Array; threshold: number | null; voxels: number};
    if (given !== undefined) {
      result = await givenMask(given, bold, {dims, affine});
    } else {
      const mean = new TemporalMean(
        voxelCount({dims}),
        header.sclSlope,
        header.sclInter,
      );
      const frames = frameCount(header.shape);
      await readNiftiFrames(
        bold,
        (frame, t) => {
          mean.add(frame);
          if (t % 16 === 15) context.progress(t + 1, frames);
        },
        {header},
      );
      try {
        result = computeEpiMask(mean.mean(), dims, options);
      } catch (err) {
        // Its only complaint about the data: too few voxels to threshold.
        if (!(err instanceof Error) || !err.message.startsWith('EPI mask:')) {
          throw err;
        }
        throw new FormatError(bold, 'data', err.message.slice(10));
      }
    }
    if (result.voxels === 0) context.warn(`${bold}: the mask is empty`);
    context.log(
      `mask: ${result.voxels} voxels, threshold ${result.threshold ?? 'given'}`,
    );
    await writeNifti1(outputPath(context, 'mask'), {
      shape: dims,
      affine,
      data: result.mask,
      descrip:
        given === undefined
          ? 'neuromake fmri.mask (EPI mask)'
          : 'neuromake fmri.mask (given)',
      gzip: true,
    });
    await writeFile(
      outputPath(context, 'report'),
      JSON.stringify(
        {
          source: bold,
          given_mask: given ?? null,
          threshold: result.threshold,
          voxels: result.voxels,
          options,
        },
        null,
        2,
      ) + '\n',
    );
  },
};

/** Reads a given mask, checks its grid, and makes it 0/1. */
async function givenMask(
  file: string,
  bold: string,
  grid: Grid,
): Promise<{mask: Uint8Array; threshold: null; voxels: number}> {
  const m = await readNifti(file);
  const own = {
    dims: spatialDims(m.header.shape),
    affine: headerAffine(m.header).affine,
  };
  if (!sameGrid(own, grid)) {
    throw new FormatError(
      file,
      'dim/affine',
      `the mask's grid does not match that of ${bold}`,
    );
  }
  const out = new Uint8Array(voxelCount(grid));
  let voxels = 0;
  for (let v = 0; v < out.length; v++) {
    out[v] = m.data[v]! * m.header.sclSlope + m.header.sclInter !== 0 ? 1 : 0;
    voxels += out[v]!;
  }
  return {mask: out, threshold: null, voxels};
}

export default mask;
