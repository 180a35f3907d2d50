import {readFile, writeFile} from 'node:fs/promises';

import {resampleAtlas} from '../../fmri/atlas-resample.js';
import {sameGrid, spatialDims, voxelCount, type Grid} from '../../fmri/grid.js';
import {savePreparedAtlas, solverFor} from '../../fmri/prepared-atlas.js';
import {dropEmptyRows} from '../../fmri/sparse-maps.js';
import {FormatError} from '../../io/format-error.js';
import {fileAffine, headerAffine} from '../../io/nifti-affine.js';
import {readNifti, readNiftiHeader} from '../../io/nifti-read.js';
import {
  optionalInput,
  outputPath,
  singleInput,
  stringParam,
  type TaskDefinition,
} from '../task.js';

/** Prepares an atlas for one BOLD grid (a cached, once-per-grid step). */
const atlasPrepare: TaskDefinition = {
  name: 'fmri.atlas-prepare',
  description:
    'Resample a probabilistic (4D maps) or label (3D) atlas onto a BOLD grid through both affines, restrict it to a mask, store it sparse with the pseudo-inverse of its normal matrix.',
  inputs: {
    atlas: {description: 'The atlas NIfTI (4D maps, or 3D integer labels).'},
    grid: {description: 'Any image on the target BOLD grid (a run or a mask).'},
    mask: {
      description:
        'uint8 mask on that grid; default: every voxel any map touches.',
      optional: true,
    },
    labels: {
      description: 'JSON with a "labels" array naming the maps.',
      optional: true,
    },
  },
  outputs: {
    prepared: {description: 'The prepared atlas (neuromake bundle).'},
    report: {description: 'JSON: sizes, rank, empty maps.'},
  },
  params: {
    kind: {
      type: 'string',
      description: 'Atlas kind.',
      default: 'auto',
      enum: ['auto', 'maps', 'labels'],
    },
  },
  async run(context) {
    const atlasFile = singleInput(context, 'atlas');
    const gridFile = singleInput(context, 'grid');
    const maskFile = optionalInput(context, 'mask');
    const labelsFile = optionalInput(context, 'labels');
    const kind = stringParam(context, 'kind', 'auto', [
      'auto',
      'maps',
      'labels',
    ] as const);
    const gh = await readNiftiHeader(gridFile);
    const grid: Grid = {
      dims: spatialDims(gh.shape),
      affine: fileAffine(gridFile, gh),
    };
    let voxels: Int32Array;
    if (maskFile !== undefined) {
      const m = await readNifti(maskFile);
      const mg = {
        dims: spatialDims(m.header.shape),
        affine: headerAffine(m.header).affine,
      };
      if (!sameGrid(mg, grid)) {
        throw new FormatError(
          maskFile,
          'dim/affine',
          `the mask's grid differs from ${gridFile}'s`,
        );
      }
      const list: number[] = [];
      for (let v = 0; v < voxelCount(grid); v++)
        if (m.data[v] !== 0) list.push(v);
      voxels = Int32Array.from(list);
    } else {
      voxels = Int32Array.from({length: voxelCount(grid)}, (_, i) => i);
    }
    const started = Date.now();
    let resampled = await resampleAtlas(atlasFile, grid, voxels, kind, (d, t) =>
      context.progress(d, t, 'resampling maps'),
    );
    if (maskFile === undefined) {
      // Without a mask keep only voxels some map reaches. Each voxel is
      // resampled on its own, so dropping the empty rows is the same as
      // resampling again onto the kept voxels (and reads the atlas once).
      const {rows, maps} = dropEmptyRows(resampled.maps);
      const all = voxels;
      voxels = rows.map((p) => all[p]!);
      resampled = {...resampled, maps};
    }
    const resampleSeconds = (Date.now() - started) / 1000;
    const {solver, rank, emptyMaps} = solverFor(resampled.maps);
    // Note: no map over any kept voxel is an atlas in another space (MNI
    // maps on a native-space run) or an empty mask, not a result.
    if (voxels.length === 0 || emptyMaps.length === resampled.maps.maps) {
      const ah = await readNiftiHeader(atlasFile);
      const atlasBox = worldBox(
        fileAffine(atlasFile, ah),
        spatialDims(ah.shape),
      );
      const where =
        maskFile === undefined
          ? `on the grid of ${gridFile}`
          : `inside the mask ${maskFile}`;
      throw new FormatError(
        atlasFile,
        'affine',
        `no atlas map has any weight ${where}: the atlas covers ${atlasBox}, the grid ${worldBox(grid.affine, grid.dims)}; resample the atlas into the run's space (or check the mask)`,
      );
    }
    if (emptyMaps.length > 0) {
      context.warn(
        `${emptyMaps.length} atlas maps have no weight inside the mask; their series are 0`,
      );
    }
    if (rank < resampled.maps.maps - emptyMaps.length) {
      context.warn(
        `the maps are rank-deficient (rank ${rank}); minimum-norm estimates are used`,
      );
    }
    let labels = resampled.labels;
    if (labelsFile !== undefined) {
      let parsed: {labels?: unknown};
      try {
        parsed = JSON.parse(await readFile(labelsFile, 'utf8')) as {
          labels?: unknown;
        };
      } catch (err) {
        if (!(err instanceof SyntaxError)) throw err;
        throw new FormatError(
          labelsFile,
          'JSON',
          `${err.message}; write {"labels": ["name", ...]} with one name per map`,
        );
      }
      if (
        Array.isArray(parsed.labels) &&
        parsed.labels.length === labels.length
      ) {
        labels = parsed.labels.map(String);
      } else {
        context.warn(`${labelsFile}: labels ignored (need ${labels.length})`);
      }
    }
    await savePreparedAtlas(outputPath(context, 'prepared'), {
      kind: resampled.kind,
      grid,
      voxels,
      maps: resampled.maps,
      solver,
      rank,
      labels,
      emptyMaps,
      sources: {
        atlas: atlasFile,
        grid: gridFile,
        ...(maskFile === undefined ? {} : {mask: maskFile}),
      },
    });
    const report = {
      kind: resampled.kind,
      maps: resampled.maps.maps,
      voxels: voxels.length,
      nonzeros: resampled.maps.val.length,
      rank,
      empty_maps: emptyMaps,
    };
    // Timings go to the log, not the output: an output that changed with
    // every run would defeat early cutoff for whatever reads it.
    context.log(
      `${JSON.stringify(report)}; resampling ${resampleSeconds.toFixed(2)} s, total ${((Date.now() - started) / 1000).toFixed(2)} s`,
    );
    await writeFile(
      outputPath(context, 'report'),
      JSON.stringify(report, null, 2) + '\n',
    );
  },
};

export default atlasPrepare;

/** The world-space box (mm) of a grid's voxel centres, for messages. */
function worldBox(affine: readonly number[], dims: readonly number[]): string {
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (const corner of [0, 1, 2, 3, 4, 5, 6, 7]) {
    const ijk = [0, 1, 2].map(
      (a) => ((corner >> a) & 1) * ((dims[a] ?? 1) - 1),
    );
    for (let r = 0; r < 3; r++) {
      const w =
        affine[4 * r]! * ijk[0]! +
        affine[4 * r + 1]! * ijk[1]! +
        affine[4 * r + 2]! * ijk[2]! +
        affine[4 * r + 3]!;
      lo[r] = Math.min(lo[r]!, w);
      hi[r] = Math.max(hi[r]!, w);
    }
  }
  const axes = ['x', 'y', 'z'];
  return (
    axes
      .map((a, r) => `${a} ${lo[r]!.toFixed(0)}…${hi[r]!.toFixed(0)}`)
      .join(', ') + ' mm'
  );
}
