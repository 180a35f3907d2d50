import {readFile} from 'node:fs/promises';

import {FormatError} from './format-error.js';
import {
  NIFTI_UNITS_MSEC,
  NIFTI_UNITS_SEC,
  NIFTI_UNITS_UNKNOWN,
  NIFTI_UNITS_USEC,
} from './nifti-constants.js';
import type {NiftiHeader} from './nifti-header.js';

/** The repetition time and where it was read. */
export interface RepetitionTime {
  readonly seconds: number;
  readonly source: 'sidecar' | 'header';
  /** The header's own value in seconds, when it has one. */
  readonly headerSeconds?: number;
}

/**
 * pixdim[4] converted to seconds using the time bits of xyzt_units
 * (s, ms or µs; unknown units are taken as seconds). Undefined when the
 * image is 3D or pixdim[4] is not positive.
 */
export function headerTrSeconds(header: NiftiHeader): number | undefined {
  if (header.shape.length < 4) return undefined;
  const raw = header.pixdim[4] ?? 0;
  if (!(raw > 0) || !Number.isFinite(raw)) return undefined;
  switch (header.xyztUnits & 0x38) {
    case NIFTI_UNITS_MSEC:
      return raw / 1000;
    case NIFTI_UNITS_USEC:
      return raw / 1e6;
    case NIFTI_UNITS_SEC:
    case NIFTI_UNITS_UNKNOWN:
    default:
      return raw;
  }
}

/** The BIDS JSON sidecar next to an image: same stem, `.json`. */
export function sidecarPathFor(imageFile: string): string {
  return imageFile.replace(/\.(nii|hdr|img)(\.gz)?$/i, '') + '.json';
}

/** Reads a BIDS sidecar JSON file; bad JSON is a FormatError. */
export async function readSidecar(sidecar: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(sidecar, 'utf8'));
  } catch (e) {
    if (e instanceof SyntaxError) {
      throw new FormatError(sidecar, 'JSON', e.message);
    }
    throw e;
  }
}

/** RepetitionTime (seconds) of a parsed sidecar, read from `sidecar`. */
export function sidecarTr(json: unknown, sidecar: string): number {
  const tr =
    typeof json === 'object' && json !== null
      ? (json as Record<string, unknown>)['RepetitionTime']
      : undefined;
  if (typeof tr !== 'number' || !(tr > 0)) {
    throw new FormatError(
      sidecar,
      'RepetitionTime',
      `is ${JSON.stringify(tr)}, expected a positive number of seconds`,
    );
  }
  return tr;
}

/** Reads RepetitionTime (seconds) from a BIDS sidecar JSON file. */
export async function readSidecarTr(sidecar: string): Promise<number> {
  return sidecarTr(await readSidecar(sidecar), sidecar);
}

/**
 * The TR to use: a BIDS sidecar's RepetitionTime takes precedence over the
 * header (ds000212's headers carry a wrong TR); the header is the fallback.
 */
export async function resolveTr(
  header: NiftiHeader,
  sidecar: string | undefined,
): Promise<RepetitionTime | undefined> {
  const fromHeader = headerTrSeconds(header);
  const base = fromHeader === undefined ? {} : {headerSeconds: fromHeader};
  if (sidecar !== undefined) {
    return {seconds: await readSidecarTr(sidecar), source: 'sidecar', ...base};
  }
  if (fromHeader === undefined) return undefined;
  return {seconds: fromHeader, source: 'header', ...base};
}
