import {loadPreparedAtlas} from '../fmri/prepared-atlas.js';
import {readNifti, readNiftiFrames, readNiftiHeader} from '../io/nifti-read.js';
import {encodePng} from './png-encode.js';

/** A middle axial slice rendered as a PNG. */
export interface SlicePreview {
  readonly png: Buffer;
  readonly width: number;
  readonly height: number;
  /** The slice index and the grid, e.g. "z = 15 of 30 (64×64)". */
  readonly where: string;
  /** What the image holds, e.g. "1 843 voxels in the mask". */
  readonly summary: string;
  /** The NIfTI header description, which says SYNTHETIC for generated data. */
  readonly descrip: string;
}

const INSIDE = [230, 230, 230] as const;
const OUTSIDE = [24, 24, 32] as const;

/** The middle axial slice of a 3D mask (non-zero = inside): white on dark. */
export async function maskSlice(file: string): Promise<SlicePreview> {
  const image = await readNifti(file);
  const [nx = 1, ny = 1, nz = 1] = image.header.shape;
  const z = Math.floor(nz / 2);
  const rgb = new Uint8Array(nx * ny * 3);
  let inside = 0;
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const on = (image.data[x + nx * (y + ny * z)] ?? 0) !== 0;
      if (on) inside++;
      setPixel(rgb, nx, ny, x, y, on ? INSIDE : OUTSIDE);
    }
  }
  return {
    png: encodePng(nx, ny, rgb),
    width: nx,
    height: ny,
    where: `z = ${z} of ${nz} (${nx}×${ny})`,
    summary: `${inside} voxels of this slice in the mask`,
    descrip: image.header.descrip,
  };
}

/**
 * The middle axial slice of an atlas, each voxel coloured by the parcel
 * that weighs most there: a prepared atlas (fmri.atlas-prepare bundle, on
 * the BOLD grid), a 4D maps NIfTI, or a 3D label NIfTI.
 */
export async function atlasSlice(file: string): Promise<SlicePreview> {
  if (/\.nii(\.gz)?$/i.test(file)) return niftiAtlasSlice(file);
  const atlas = await loadPreparedAtlas(file);
  const [nx, ny, nz] = atlas.grid.dims;
  const z = Math.floor(nz / 2);
  const best = new Int32Array(nx * ny).fill(-1);
  const {rowPtr, col, val} = atlas.maps;
  for (let v = 0; v < atlas.voxels.length; v++) {
    const index = atlas.voxels[v]!;
    if (Math.floor(index / (nx * ny)) !== z) continue;
    let top = -1;
    let weight = 0;
    for (let e = rowPtr[v]!; e < rowPtr[v + 1]!; e++) {
      if (val[e]! > weight) [top, weight] = [col[e]!, val[e]!];
    }
    best[index % (nx * ny)] = top;
  }
  return labelled(
    best,
    nx,
    ny,
    z,
    nz,
    atlas.maps.maps,
    // Provenance decides "synthetic" (see collect-artifacts.ts).
    '',
  );
}

async function niftiAtlasSlice(file: string): Promise<SlicePreview> {
  const header = await readNiftiHeader(file);
  const [nx = 1, ny = 1, nz = 1, frames = 1] = header.shape;
  const z = Math.floor(nz / 2);
  const plane = nx * ny;
  const best = new Int32Array(plane).fill(-1);
  if (header.shape.length <= 3) {
    // A label atlas: the value is the parcel (0 = background).
    const image = await readNifti(file);
    for (let i = 0; i < plane; i++) {
      best[i] = Math.round(image.data[i + plane * z] ?? 0) - 1;
    }
    return labelled(best, nx, ny, z, nz, maxOf(best) + 1, header.descrip);
  }
  const weight = new Float32Array(plane);
  await readNiftiFrames(
    file,
    (frame, t) => {
      for (let i = 0; i < plane; i++) {
        const w = frame[i + plane * z] ?? 0;
        if (w > weight[i]!) {
          weight[i] = w;
          best[i] = t;
        }
      }
    },
    {header},
  );
  return labelled(best, nx, ny, z, nz, frames, header.descrip);
}

function maxOf(values: Int32Array): number {
  let m = -1;
  for (const v of values) if (v > m) m = v;
  return m;
}

/** Colours a slice of parcel indices (-1 = none) and wraps it up. */
function labelled(
  best: Int32Array,
  nx: number,
  ny: number,
  z: number,
  nz: number,
  parcels: number,
  descrip: string,
): SlicePreview {
  const rgb = new Uint8Array(nx * ny * 3);
  const seen = new Set<number>();
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const p = best[x + nx * y]!;
      if (p >= 0) seen.add(p);
      setPixel(rgb, nx, ny, x, y, p < 0 ? OUTSIDE : parcelColour(p));
    }
  }
  return {
    png: encodePng(nx, ny, rgb),
    width: nx,
    height: ny,
    where: `z = ${z} of ${nz} (${nx}×${ny})`,
    summary: `${seen.size} of ${parcels} parcels in this slice (colour: the heaviest parcel per voxel)`,
    descrip,
  };
}

/** Writes voxel (x, y) with y up, as radiological viewers show it. */
function setPixel(
  rgb: Uint8Array,
  nx: number,
  ny: number,
  x: number,
  y: number,
  colour: readonly [number, number, number] | readonly number[],
): void {
  const at = (x + nx * (ny - 1 - y)) * 3;
  rgb[at] = colour[0]!;
  rgb[at + 1] = colour[1]!;
  rgb[at + 2] = colour[2]!;
}

/** A distinct, stable colour per parcel: hues a golden angle apart. */
function parcelColour(p: number): [number, number, number] {
  const h = (p * 137.508) % 360;
  const s = 0.65;
  const l = 0.55 + 0.1 * (p % 3 === 0 ? 1 : 0);
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = l - c / 2;
  const [r, g, b] =
    h < 60
      ? [c, x, 0]
      : h < 120
        ? [x, c, 0]
        : h < 180
          ? [0, c, x]
          : h < 240
            ? [0, x, c]
            : h < 300
              ? [x, 0, c]
              : [c, 0, x];
  return [r, g, b].map((v) => Math.round((v + m) * 255)) as [
    number,
    number,
    number,
  ];
}
