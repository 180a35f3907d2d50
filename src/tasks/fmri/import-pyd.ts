import {writeFile} from 'node:fs/promises';

import {FormatError} from '../../io/format-error.js';
import {writeNpy} from '../../io/npy.js';
import {arrayToFloat32, unpickle, type PickledArray} from '../../io/pickle.js';
import {readTar} from '../../io/tar.js';
import {
  outputPath,
  singleInput,
  stringParam,
  type TaskDefinition,
} from '../task.js';

/** Reads a published parcel-series tar (Thomas, Ré & Poldrack 2023). */
const importPyd: TaskDefinition = {
  name: 'fmri.import-pyd',
  description:
    'Import already-parcellated series from a tar holding <key>.bold.pyd (pickled float32 T×K array) and <key>.t_r.pyd: float32 .npy [T, K] + JSON sidecar with RepetitionTime.',
  inputs: {tar: {description: "The run's .tar (or .tar.gz)."}},
  outputs: {
    series: {description: 'float32 .npy [T, K].'},
    sidecar: {description: 'JSON: RepetitionTime, key, shape, source.'},
  },
  params: {
    key: {
      type: 'string',
      description: 'Sample key inside the tar; default: the only one.',
      default: '',
    },
  },
  async run(context) {
    const tar = singleInput(context, 'tar');
    const entries = await readTar(tar);
    const keys = [
      ...new Set(
        entries
          .map((e) => /^(.*)\.bold\.pyd$/.exec(e.name)?.[1])
          .filter((k) => k !== undefined),
      ),
    ];
    let key: string = stringParam(context, 'key', '');
    if (key === '') {
      if (keys.length !== 1) {
        throw new FormatError(
          tar,
          'bold.pyd',
          keys.length === 0
            ? 'no <key>.bold.pyd entry'
            : `several keys (${keys.join(', ')}); set param "key"`,
        );
      }
      key = keys[0]!;
    }
    const bold = entries.find((e) => e.name === `${key}.bold.pyd`);
    const trEntry = entries.find((e) => e.name === `${key}.t_r.pyd`);
    if (bold === undefined)
      throw new FormatError(tar, `${key}.bold.pyd`, 'entry is missing');
    const where = `${tar}:${bold.name}`;
    const value = unpickle(bold.data, where);
    if (
      typeof value !== 'object' ||
      value === null ||
      !('kind' in value) ||
      value.kind !== 'ndarray'
    ) {
      throw new FormatError(where, 'pickle', 'does not hold a numpy array');
    }
    const array: PickledArray = value;
    if (array.shape.length !== 2) {
      throw new FormatError(
        where,
        'shape',
        `is (${array.shape.join(', ')}), expected T×K`,
      );
    }
    let tr: number | null = null;
    if (trEntry === undefined)
      context.warn(`${tar}: no ${key}.t_r.pyd; the sidecar has no TR`);
    else {
      const t = unpickle(trEntry.data, `${tar}:${trEntry.name}`);
      const n =
        typeof t === 'number'
          ? t
          : typeof t === 'object' &&
              t !== null &&
              'kind' in t &&
              t.kind === 'ndarray'
            ? arrayToFloat32(t, trEntry.name)[0]
            : undefined;
      if (n === undefined || !(n > 0))
        throw new FormatError(
          `${tar}:${trEntry.name}`,
          't_r',
          `is ${JSON.stringify(t)}, not a positive number`,
        );
      tr = n;
    }
    const data = arrayToFloat32(array, where);
    await writeNpy(outputPath(context, 'series'), data, array.shape);
    await writeFile(
      outputPath(context, 'sidecar'),
      JSON.stringify(
        {
          shape: array.shape,
          dtype: 'float32',
          source_dtype: array.dtype,
          RepetitionTime: tr,
          RepetitionTimeSource: 'tar',
          key,
          sources: {tar},
        },
        null,
        2,
      ) + '\n',
    );
  },
};

export default importPyd;
