import {execFile} from 'node:child_process';
import {stat} from 'node:fs/promises';
import {promisify} from 'node:util';

import {readNifti} from '../src/io/nifti-read.js';
import {scaledFloat64} from '../src/io/nifti-scale.js';
import {benchData, best, isMain, peer, peersAvailable} from './fmri-common.js';

const run = promisify(execFile);

/**
 * .nii.gz read throughput: neuromake vs nibabel vs gzip -dc (and pigz -dc
 * where installed), all in the same run.
 *
 * MB/s is compressed bytes (the file's size) per second of wall time, for
 * every reader alike; `uncompressed_mb` gives the other scale. Like for
 * like: neuromake's readNifti and nibabel's `np.asanyarray(img.dataobj)`
 * both return the stored int16 values as a native-dtype array (the run's
 * scl_slope is unset); `…_float64` compares readNifti + scaling to float64
 * with nibabel's get_fdata(). neuromake is timed with the two-core inflate
 * (`parallel`) and with one core (`serial`, the single-threaded bound).
 */
export async function main(): Promise<Record<string, number>> {
  const d = await benchData();
  const mb = (await stat(d.bold)).size / 1e6;
  const image = await readNifti(d.bold);
  const repeat = 10;
  const parallel = await best(repeat, () =>
    readNifti(d.bold, {parallel: true}),
  );
  const serial = await best(repeat, () => readNifti(d.bold, {parallel: false}));
  const float64 = await best(repeat, async () => {
    const im = await readNifti(d.bold, {parallel: true});
    return scaledFloat64(im.header, im.data);
  });
  const gzip = await best(5, () =>
    run('sh', ['-c', `gzip -dc '${d.bold}' > /dev/null`]),
  );
  const pigz = await best(5, () =>
    run('sh', ['-c', `pigz -dc '${d.bold}' > /dev/null`]),
  ).catch(() => undefined);
  const out: Record<string, number> = {
    compressed_mb: mb,
    uncompressed_mb: (image.data.byteLength + image.header.voxOffset) / 1e6,
    neuromake_mb_per_s: mb / parallel,
    neuromake_serial_mb_per_s: mb / serial,
    neuromake_float64_mb_per_s: mb / float64,
    gzip_dc_mb_per_s: mb / gzip,
  };
  if (pigz !== undefined) out['pigz_dc_mb_per_s'] = mb / pigz;
  if (await peersAvailable()) {
    const nib = await peer('read_nifti.py', [d.bold, '7']);
    const raw = Number(nib['raw_seconds']);
    const fdata = Number(nib['fdata_seconds']);
    out['nibabel_mb_per_s'] = mb / raw;
    out['nibabel_fdata_mb_per_s'] = mb / fdata;
    out['python_zlib_mb_per_s'] = mb / Number(nib['zlib_seconds']);
    out['ratio_vs_nibabel'] = raw / parallel;
    out['ratio_serial_vs_nibabel'] = raw / serial;
    out['ratio_float64_vs_nibabel_fdata'] = fdata / float64;
  }
  out['ratio_vs_gzip_dc'] = gzip / parallel;
  console.log(`fmri-read: ${JSON.stringify(out)}`);
  return out;
}

if (isMain(import.meta.url)) await main();
