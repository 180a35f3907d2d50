/**
 * Codes from the NIfTI-1 and NIfTI-2 headers, under the names the standard
 * (nifti1.h) gives them.
 */

export const NIFTI_TYPE_UINT8 = 2;
export const NIFTI_TYPE_INT16 = 4;
export const NIFTI_TYPE_INT32 = 8;
export const NIFTI_TYPE_FLOAT32 = 16;
export const NIFTI_TYPE_COMPLEX64 = 32;
export const NIFTI_TYPE_FLOAT64 = 64;
export const NIFTI_TYPE_RGB24 = 128;
export const NIFTI_TYPE_INT8 = 256;
export const NIFTI_TYPE_UINT16 = 512;
export const NIFTI_TYPE_UINT32 = 768;
export const NIFTI_TYPE_INT64 = 1024;
export const NIFTI_TYPE_UINT64 = 1280;
export const NIFTI_TYPE_FLOAT128 = 1536;
export const NIFTI_TYPE_COMPLEX128 = 1792;
export const NIFTI_TYPE_COMPLEX256 = 2048;
export const NIFTI_TYPE_RGBA32 = 2304;

/** The datatypes this reader turns into numbers, with their byte widths. */
export const SUPPORTED_DATATYPES: ReadonlyMap<number, DatatypeInfo> = new Map([
  [NIFTI_TYPE_UINT8, {name: 'uint8', bytes: 1}],
  [NIFTI_TYPE_INT8, {name: 'int8', bytes: 1}],
  [NIFTI_TYPE_INT16, {name: 'int16', bytes: 2}],
  [NIFTI_TYPE_UINT16, {name: 'uint16', bytes: 2}],
  [NIFTI_TYPE_INT32, {name: 'int32', bytes: 4}],
  [NIFTI_TYPE_UINT32, {name: 'uint32', bytes: 4}],
  [NIFTI_TYPE_FLOAT32, {name: 'float32', bytes: 4}],
  [NIFTI_TYPE_FLOAT64, {name: 'float64', bytes: 8}],
]);

/** Names of the codes that exist but are not read, for error messages. */
export const UNSUPPORTED_DATATYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [NIFTI_TYPE_COMPLEX64, 'complex64'],
  [NIFTI_TYPE_RGB24, 'rgb24'],
  [NIFTI_TYPE_INT64, 'int64'],
  [NIFTI_TYPE_UINT64, 'uint64'],
  [NIFTI_TYPE_FLOAT128, 'float128'],
  [NIFTI_TYPE_COMPLEX128, 'complex128'],
  [NIFTI_TYPE_COMPLEX256, 'complex256'],
  [NIFTI_TYPE_RGBA32, 'rgba32'],
]);

/** A readable datatype. */
export interface DatatypeInfo {
  readonly name: DatatypeName;
  readonly bytes: number;
}

export type DatatypeName =
  | 'uint8'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'float32'
  | 'float64';

export const NIFTI_XFORM_UNKNOWN = 0;
export const NIFTI_XFORM_SCANNER_ANAT = 1;
export const NIFTI_XFORM_ALIGNED_ANAT = 2;
export const NIFTI_XFORM_TALAIRACH = 3;
export const NIFTI_XFORM_MNI_152 = 4;
export const NIFTI_XFORM_TEMPLATE_OTHER = 5;

export const NIFTI_UNITS_UNKNOWN = 0;
export const NIFTI_UNITS_METER = 1;
export const NIFTI_UNITS_MM = 2;
export const NIFTI_UNITS_MICRON = 3;
export const NIFTI_UNITS_SEC = 8;
export const NIFTI_UNITS_MSEC = 16;
export const NIFTI_UNITS_USEC = 24;
export const NIFTI_UNITS_HZ = 32;
export const NIFTI_UNITS_PPM = 40;
export const NIFTI_UNITS_RADS = 48;

export const NIFTI_INTENT_NONE = 0;
export const NIFTI_INTENT_LABEL = 1002;

/** sizeof_hdr of the two header versions. */
export const NIFTI1_HEADER_SIZE = 348;
export const NIFTI2_HEADER_SIZE = 540;
