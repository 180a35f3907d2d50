import {access} from 'node:fs/promises';
import {basename} from 'node:path';

import {FormatError} from '../io/format-error.js';
import {
  headerAffine,
  orientationCodes,
  spatialZooms,
  type Affine,
} from '../io/nifti-affine.js';
import {readNiftiFrames, readNiftiHeader} from '../io/nifti-read.js';
import {StatsAccumulator} from '../io/nifti-scale.js';
import {resolveTr, sidecarPathFor} from '../io/nifti-time.js';

const USAGE = 'usage: neuromake inspect FILE [--json]\n';

/** The JSON document `inspect --json` prints. */
export interface InspectReport {
  file: string;
  nifti_version: 1 | 2;
  shape: number[];
  datatype: string;
  voxel_size: number[];
  tr_seconds: number | null;
  tr_source: 'sidecar' | 'header' | null;
  header_tr_seconds: number | null;
  affine: number[][];
  affine_source: string;
  orientation: string;
  scl_slope: number;
  scl_inter: number;
  descrip: string;
  min: number | null;
  max: number | null;
  mean: number | null;
}

/**
 * `neuromake inspect FILE [--json]`: shape, datatype, voxel size, TR in
 * seconds (a BIDS sidecar next to the file wins over the header), affine,
 * orientation and min/max/mean of the finite scaled voxels. Returns the exit
 * code: 0 on success, 1 for an unreadable file, 2 for bad usage.
 */
export async function inspectCommand(
  args: string[],
  out: {write(s: string): void},
): Promise<number> {
  const json = args.includes('--json');
  const rest = args.filter((a) => a !== '--json');
  const file = rest[0];
  if (file === undefined || rest.length > 1 || file.startsWith('-')) {
    out.write(USAGE);
    return 2;
  }
  let report: InspectReport;
  try {
    report = await inspectFile(file);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    out.write(
      `neuromake inspect: ${e instanceof FormatError ? '' : `${file}: `}${message}\n`,
    );
    return 1;
  }
  out.write(json ? JSON.stringify(report, null, 2) + '\n' : formatText(report));
  return 0;
}

/** Gathers what `inspect` reports about one NIfTI file. */
async function inspectFile(file: string): Promise<InspectReport> {
  const header = await readNiftiHeader(file);
  const {affine, source} = headerAffine(header);
  const sidecar = sidecarPathFor(file);
  const hasSidecar = sidecar !== file && (await exists(sidecar));
  const tr = await resolveTr(header, hasSidecar ? sidecar : undefined);
  const stats = new StatsAccumulator(header.sclSlope, header.sclInter);
  await readNiftiFrames(file, (frame) => stats.add(frame), {header});
  const s = stats.result();
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  return {
    file,
    nifti_version: header.version,
    shape: [...header.shape],
    datatype: header.datatypeInfo.name,
    voxel_size: spatialZooms(header).slice(0, Math.min(3, header.shape.length)),
    tr_seconds: tr?.seconds ?? null,
    tr_source: tr?.source ?? null,
    header_tr_seconds: tr?.headerSeconds ?? null,
    affine: rows(affine),
    affine_source: source,
    orientation: orientationCodes(affine),
    scl_slope: header.sclSlope,
    scl_inter: header.sclInter,
    descrip: header.descrip,
    min: finite(s.min),
    max: finite(s.max),
    mean: finite(s.mean),
  };
}

function rows(a: Affine): number[][] {
  return [0, 1, 2, 3].map((r) =>
    a.slice(r * 4, r * 4 + 4).map((v) => +v.toFixed(6)),
  );
}

function formatText(r: InspectReport): string {
  const g = (v: number | null) =>
    v === null ? 'n/a' : String(+v.toPrecision(6));
  let tr = 'n/a (3D image or no TR in the header)';
  if (r.tr_seconds !== null) {
    tr = `${g(r.tr_seconds)} s (${r.tr_source ?? ''})`;
    if (r.tr_source === 'sidecar' && r.header_tr_seconds !== null) {
      tr +=
        r.header_tr_seconds === r.tr_seconds
          ? ''
          : `; header says ${g(r.header_tr_seconds)} s`;
    }
  }
  const affine = r.affine
    .map((row) => '  ' + row.map((v) => v.toFixed(4).padStart(11)).join(''))
    .join('\n');
  const lines = [
    ['file', basename(r.file)],
    ['format', `NIfTI-${r.nifti_version}`],
    ['shape', r.shape.join(' x ')],
    ['datatype', r.datatype],
    ['voxel size', `${r.voxel_size.map(g).join(' x ')} mm`],
    ['TR', tr],
    ['orientation', r.orientation],
    ['scaling', `slope ${g(r.scl_slope)}, intercept ${g(r.scl_inter)}`],
    ['min/max/mean', `${g(r.min)} / ${g(r.max)} / ${g(r.mean)}`],
    ['description', r.descrip === '' ? '(none)' : r.descrip],
    ['affine', `(${r.affine_source})`],
  ];
  return (
    lines.map(([k, v]) => `${k!.padEnd(13)}${v!}`).join('\n') + `\n${affine}\n`
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
