import {execFile} from 'node:child_process';
import {stat} from 'node:fs/promises';
import {promisify} from 'node:util';

import {readNifti} from '../src/io/nifti-read.js';
import {benchData, best, isMain, peer, peersAvailable} from './fmri-common.js';

const run = promisify(execFile);

/** .nii.gz read throughput: neuromake vs nibabel vs gzip -dc. */
export async function main(): Promise<Record<string, number>> {
  const d = await benchData();
  const mb = (await stat(d.bold)).size / 1e6;
  const ours = await best(5, () => readNifti(d.bold));
  const gzip = await best(3, () =>
    run('sh', ['-c', `gzip -dc '${d.bold}' > /dev/null`]),
  );
  const out: Record<string, number> = {
    compressed_mb: mb,
    neuromake_mb_per_s: mb / ours,
    gzip_dc_mb_per_s: mb / gzip,
  };
  if (await peersAvailable()) {
    const nib = await peer('read_nifti.py', [d.bold, '5']);
    out['nibabel_mb_per_s'] = mb / Number(nib['raw_seconds']);
    out['nibabel_fdata_mb_per_s'] = mb / Number(nib['fdata_seconds']);
    out['ratio_vs_nibabel'] = Number(nib['raw_seconds']) / ours;
    out['ratio_vs_nibabel_fdata'] = Number(nib['fdata_seconds']) / ours;
  }
  out['ratio_vs_gzip_dc'] = gzip / ours;
  console.log(`fmri-read: ${JSON.stringify(out)}`);
  return out;
}

if (isMain(import.meta.url)) await main();
