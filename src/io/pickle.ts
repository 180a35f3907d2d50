import {FormatError} from './format-error.js';

/** A numpy array reconstructed from a pickle. */
export interface PickledArray {
  readonly kind: 'ndarray';
  readonly shape: number[];
  /** numpy dtype string, e.g. "<f4". */
  readonly dtype: string;
  readonly fortran: boolean;
  readonly data: Uint8Array;
}

/** What this reader can return: numbers, strings, containers, arrays. */
export type PickleValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | PickleValue[]
  | {kind: 'tuple'; items: PickleValue[]}
  | {kind: 'dict'; entries: [PickleValue, PickleValue][]}
  | PickledArray
  | {kind: 'global'; module: string; name: string}
  | {kind: 'dtype'; str: string; order: string}
  | {kind: 'pending-array'};

const NUMPY_MODULES = /^numpy(\._core|\.core)?(\.multiarray|\.numeric)?$/;

/**
 * A minimal unpickler for what `pickle.dumps(numpy_array)` (protocols 2–5)
 * and `pickle.dumps(float)` produce: the opcodes of containers, numbers,
 * strings and bytes, plus the numpy reconstructors (_reconstruct + BUILD,
 * _frombuffer, scalar, dtype). Any other global is refused: unpickling
 * never runs code here.
 */
export function unpickle(bytes: Uint8Array, file: string): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: (PickleValue | typeof MARK)[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = 0;
  const fail = (detail: string): never => {
    throw new FormatError(file, `pickle byte ${pos}`, detail);
  };
  const need = (n: number) => {
    if (pos + n > bytes.length) fail('data end before STOP (truncated)');
  };
  const u8 = () => (need(1), bytes[pos++]!);
  const u32 = () => (need(4), (pos += 4), view.getUint32(pos - 4, true));
  const u64 = () => (
    need(8),
    (pos += 8),
    Number(view.getBigUint64(pos - 8, true))
  );
  const take = (n: number) => (need(n), (pos += n), bytes.slice(pos - n, pos));
  const utf8 = (n: number) => Buffer.from(take(n)).toString('utf8');
  const line = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated text line');
    const s = Buffer.from(bytes.subarray(pos, end)).toString('latin1');
    pos = end + 1;
    return s;
  };
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) return fail('stack underflow');
    return v;
  };
  const popMark = (): PickleValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail('no MARK on the stack');
    const items = stack.splice(i) as PickleValue[];
    items.shift();
    return items;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) return fail('stack underflow');
    return v;
  };
  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        u64();
        break; // FRAME
      case 0x2e:
        return pop(); // STOP
      case 0x28:
        stack.push(MARK);
        break;
      case 0x4e:
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        need(2);
        stack.push(view.getUint16(pos, true));
        pos += 2;
        break;
      case 0x4a:
        need(4);
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      case 0x8a:
        stack.push(long1(take(u8())));
        break; // LONG1
      case 0x47:
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x8c:
        stack.push(utf8(u8()));
        break; // SHORT_BINUNICODE
      case 0x58:
        stack.push(utf8(u32()));
        break; // BINUNICODE
      case 0x8d:
        stack.push(utf8(u64()));
        break; // BINUNICODE8
      case 0x55:
        stack.push(Buffer.from(take(u8())).toString('latin1'));
        break;
      case 0x54:
        stack.push(Buffer.from(take(u32())).toString('latin1'));
        break;
      case 0x43:
        stack.push(take(u8()));
        break; // SHORT_BINBYTES
      case 0x42:
        stack.push(take(u32()));
        break; // BINBYTES
      case 0x8e:
        stack.push(take(u64()));
        break; // BINBYTES8
      case 0x96:
        stack.push(take(u64()));
        break; // BYTEARRAY8
      case 0x98:
        break; // READONLY_BUFFER
      case 0x97:
        fail('out-of-band buffers (NEXT_BUFFER) are not supported');
        break;
      case 0x29:
        stack.push({kind: 'tuple', items: []});
        break;
      case 0x85:
        stack.push({kind: 'tuple', items: [pop()]});
        break;
      case 0x86: {
        const b = pop();
        stack.push({kind: 'tuple', items: [pop(), b]});
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        stack.push({kind: 'tuple', items: [pop(), b, c]});
        break;
      }
      case 0x74:
        stack.push({kind: 'tuple', items: popMark()});
        break;
      case 0x5d:
        stack.push([]);
        break;
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x7d:
        stack.push({kind: 'dict', entries: []});
        break;
      case 0x61: {
        const v = pop();
        const l = top();
        if (Array.isArray(l)) l.push(v);
        break;
      }
      case 0x65: {
        const vs = popMark();
        const l = top();
        if (Array.isArray(l)) l.push(...vs);
        break;
      }
      case 0x73: {
        const v = pop();
        const k = pop();
        addEntries(top(), [k, v]);
        break;
      }
      case 0x75: {
        const vs = popMark();
        const d = top();
        for (let i = 0; i + 1 < vs.length; i += 2)
          addEntries(d, [vs[i]!, vs[i + 1]!]);
        break;
      }
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(u32(), top());
        break; // LONG_BINPUT
      case 0x68:
        stack.push(memoGet(memo, u8(), fail));
        break;
      case 0x6a:
        stack.push(memoGet(memo, u32(), fail));
        break;
      case 0x63:
        stack.push(global(line(), line(), fail));
        break; // GLOBAL
      case 0x93: {
        const name = pop();
        const mod = pop();
        stack.push(global(text(mod, fail), text(name, fail), fail));
        break;
      }
      case 0x52: {
        const args = pop();
        const fn = pop();
        stack.push(reduce(fn, args, fail));
        break;
      }
      case 0x81: {
        const args = pop();
        const cls = pop();
        stack.push(reduce(cls, args, fail));
        break;
      } // NEWOBJ
      case 0x62: {
        const state = pop();
        const obj = stack.pop();
        stack.push(build(obj as PickleValue, state, fail));
        break;
      }
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        stack.push(top());
        break; // DUP
      default:
        fail(
          `opcode 0x${op.toString(16)} is not supported by this minimal reader`,
        );
    }
  }
}

const MARK = Symbol('mark');

function memoGet(
  memo: Map<number, PickleValue>,
  i: number,
  fail: (d: string) => never,
): PickleValue {
  const v = memo.get(i);
  return v === undefined ? fail(`memo ${i} is unset`) : v;
}

function long1(b: Uint8Array): number {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b.length > 0 && (b[b.length - 1]! & 0x80) !== 0)
    v -= 1n << BigInt(8 * b.length);
  return Number(v);
}

function addEntries(d: PickleValue, e: [PickleValue, PickleValue]): void {
  if (typeof d === 'object' && d !== null && 'kind' in d && d.kind === 'dict')
    d.entries.push(e);
}

function global(
  module: string,
  name: string,
  fail: (d: string) => never,
): PickleValue {
  const allowed =
    (NUMPY_MODULES.test(module) &&
      ['_reconstruct', '_frombuffer', 'scalar', 'dtype', 'ndarray'].includes(
        name,
      )) ||
    (module === 'numpy' && ['ndarray', 'dtype'].includes(name)) ||
    // Protocol 2 has no bytes opcode: Python 3 writes bytes as
    // _codecs.encode(latin-1 text, 'latin1').
    (module === '_codecs' && name === 'encode');
  if (!allowed)
    fail(
      `global ${module}.${name} is not allowed (only numpy arrays and scalars are read)`,
    );
  return {kind: 'global', module, name};
}

function items(v: PickleValue): PickleValue[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'object' && v !== null && 'kind' in v && v.kind === 'tuple')
    return v.items;
  return [v];
}

function reduce(
  fn: PickleValue,
  args: PickleValue,
  fail: (d: string) => never,
): PickleValue {
  if (
    typeof fn !== 'object' ||
    fn === null ||
    !('kind' in fn) ||
    fn.kind !== 'global'
  ) {
    return fail('REDUCE of something that is not a global');
  }
  const a = items(args);
  switch (fn.name) {
    case 'ndarray':
    case '_reconstruct':
      return {kind: 'pending-array'};
    case 'dtype':
      return {kind: 'dtype', str: text(a[0] ?? null, fail), order: '|'};
    case 'encode':
      if (typeof a[0] !== 'string' || a[1] !== 'latin1')
        return fail('_codecs.encode other than latin1 text');
      return Uint8Array.from(Buffer.from(a[0], 'latin1'));
    case '_frombuffer': {
      const [buf, dtype, shape, order] = a;
      if (!(buf instanceof Uint8Array))
        return fail('_frombuffer without bytes');
      return {
        kind: 'ndarray',
        shape: items(shape ?? null).map(Number),
        dtype: dtypeString(dtype ?? null),
        fortran: order === 'F',
        data: buf,
      };
    }
    case 'scalar': {
      const [dtype, buf] = a;
      if (!(buf instanceof Uint8Array))
        return fail('numpy scalar without bytes');
      return scalarValue(dtypeString(dtype ?? null), buf, fail);
    }
    default:
      return fail(`cannot call ${fn.module}.${fn.name}`);
  }
}

function build(
  obj: PickleValue,
  state: PickleValue,
  fail: (d: string) => never,
): PickleValue {
  if (typeof obj !== 'object' || obj === null || !('kind' in obj)) return obj;
  const s = items(state);
  if (obj.kind === 'dtype') {
    // State (version, byteorder, …): '<', '>', '|' or '='.
    return {...obj, order: typeof s[1] === 'string' ? s[1] : '|'};
  }
  if (obj.kind === 'pending-array') {
    const [, shape, dtype, fortran, data] = s;
    if (!(data instanceof Uint8Array)) {
      return fail(
        'array data is not raw bytes (object arrays are not supported)',
      );
    }
    return {
      kind: 'ndarray',
      shape: items(shape ?? null).map(Number),
      dtype: dtypeString(dtype ?? null),
      fortran: fortran === true,
      data,
    };
  }
  return obj;
}

function dtypeString(d: PickleValue): string {
  if (
    typeof d === 'object' &&
    d !== null &&
    'kind' in d &&
    d.kind === 'dtype'
  ) {
    const order = d.order === '=' ? '<' : d.order;
    return `${order}${d.str}`;
  }
  return typeof d === 'string' ? d : '?';
}

/** A value that must be a string (module and class names, dtype codes). */
function text(v: PickleValue, fail: (d: string) => never): string {
  return typeof v === 'string' ? v : fail('expected a string on the stack');
}

function scalarValue(
  dtype: string,
  b: Uint8Array,
  fail: (d: string) => never,
): number {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = !dtype.startsWith('>');
  const t = dtype.replace(/^[<>|=]/, '');
  if (t === 'f8' && b.length >= 8) return v.getFloat64(0, le);
  if (t === 'f4' && b.length >= 4) return v.getFloat32(0, le);
  if (t === 'i8' && b.length >= 8) return Number(v.getBigInt64(0, le));
  if (t === 'i4' && b.length >= 4) return v.getInt32(0, le);
  return fail(`numpy scalar of dtype ${dtype} is not supported`);
}

/** Converts a pickled numeric array to Float32 (C order), checking size. */
export function arrayToFloat32(a: PickledArray, file: string): Float32Array {
  const n = a.shape.reduce((x, y) => x * y, 1);
  const t = a.dtype.replace(/^[<>|=]/, '');
  const le = !a.dtype.startsWith('>');
  const width = ({f4: 4, f8: 8, i2: 2, i4: 4, u1: 1} as Record<string, number>)[
    t
  ];
  if (width === undefined)
    throw new FormatError(file, 'dtype', `${a.dtype} is not supported`);
  if (a.data.length < n * width) {
    throw new FormatError(
      file,
      'data',
      `holds ${a.data.length} bytes, shape (${a.shape.join(', ')}) of ${a.dtype} needs ${n * width}`,
    );
  }
  if (a.fortran && a.shape.length > 1)
    throw new FormatError(
      file,
      'order',
      'Fortran-order arrays are not supported',
    );
  const v = new DataView(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * width;
    out[i] =
      t === 'f4'
        ? v.getFloat32(o, le)
        : t === 'f8'
          ? v.getFloat64(o, le)
          : t === 'i2'
            ? v.getInt16(o, le)
            : t === 'i4'
              ? v.getInt32(o, le)
              : v.getUint8(o);
  }
  return out;
}
