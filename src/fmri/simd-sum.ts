/**
 * Accumulates 16-bit frames into Int32 sums with WebAssembly SIMD: 8
 * voxels per instruction pair, about 10× the plain typed-array loop (V8
 * does not vectorise that loop; it was the costliest part of the EPI mask).
 * Used by `TemporalMean`; `createFrameSummer` returns undefined where
 * WebAssembly SIMD is missing, and the caller then sums in JS.
 */

/** A running Int32 sum of frames of `voxels` 16-bit values. */
export interface FrameSummer {
  /** Adds one frame (exactly `voxels` values). */
  add(frame: Int16Array | Uint16Array): void;
  /** The sums so far (a view: copy or use before the next add). */
  sums(): Int32Array;
  /** Sets every sum back to 0. */
  reset(): void;
}

/*
 * The module, hand-assembled (WebAssembly binary format 1.0 + SIMD):
 *   (memory (export "mem") 1)
 *   (func (export "s16") (param $acc i32) (param $src i32) (param $n i32)
 *     (local $end i32)  ;; $end = $src + 2·$n; $n a multiple of 8
 *     (block (loop
 *       (br_if 1 (i32.ge_u $src $end))
 *       (v128.store offset=0 $acc (i32x4.add (v128.load offset=0 $acc)
 *         (i32x4.extend_low_i16x8_s (v128.load $src))))
 *       (v128.store offset=16 $acc (i32x4.add (v128.load offset=16 $acc)
 *         (i32x4.extend_high_i16x8_s (v128.load $src))))
 *       $acc += 32, $src += 16, (br 0))))
 *   and "u16", the same with the unsigned extends.
 */
function body(low: number, high: number): number[] {
  const get = (i: number) => [0x20, i];
  const set = (i: number) => [0x21, i];
  const i32 = (n: number) => [0x41, n];
  const load = (offset: number) => [0xfd, 0x00, 0x04, offset];
  const store = (offset: number) => [0xfd, 0x0b, 0x04, offset];
  const simd = (op: number) => [0xfd, op, 0x01];
  const [add, shl, geU, brIf, br, block, loop, end] = [
    0x6a, 0x74, 0x4f, 0x0d, 0x0c, 0x02, 0x03, 0x0b,
  ];
  const code = [
    [0x01, 0x01, 0x7f], // locals: one i32 ($end, local 3)
    [...get(1), ...get(2), ...i32(1), shl, add, ...set(3)],
    [block, 0x40, loop, 0x40],
    [...get(1), ...get(3), geU, brIf, 1],
    [...get(0), ...get(0), ...load(0), ...get(1), ...load(0)],
    [...simd(low), ...simd(0xae), ...store(0)], // extend, i32x4.add
    [...get(0), ...get(0), ...load(16), ...get(1), ...load(0)],
    [...simd(high), ...simd(0xae), ...store(16)],
    [...get(0), ...i32(32), add, ...set(0)], // (i32.const: signed LEB128,
    [...get(1), ...i32(16), add, ...set(1)], // one byte below 64)
    [br, 0, end, end, end],
  ].flat();
  return [...leb128(code.length), ...code];
}

/** Unsigned LEB128, the format's encoding of sizes. */
function leb128(n: number): number[] {
  const out: number[] = [];
  do {
    const byte = n & 0x7f;
    n >>>= 7;
    out.push(n === 0 ? byte : byte | 0x80);
  } while (n !== 0);
  return out;
}

function moduleBytes(): Uint8Array {
  const s16 = body(0xa7, 0xa8);
  const u16 = body(0xa9, 0xaa);
  const section = (id: number, content: number[]) => [
    id,
    ...leb128(content.length),
    ...content,
  ];
  const name = (s: string) => [s.length, ...Buffer.from(s, 'latin1')];
  const [func, memory] = [0x00, 0x02];
  return Uint8Array.from(
    [
      [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
      section(1, [0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x00]), // (i32 i32 i32)
      section(3, [0x02, 0x00, 0x00]), // two functions of that type
      section(5, [0x01, 0x00, 0x01]), // one memory, 1 page to start
      section(
        7,
        [
          [0x03],
          [...name('mem'), memory, 0],
          [...name('s16'), func, 0],
          [...name('u16'), func, 1],
        ].flat(),
      ),
      section(10, [0x02, ...s16, ...u16]),
    ].flat(),
  );
}

/** The little of the WebAssembly API used here (lib ES2023 lacks it). */
interface WasmModule {
  readonly wasm: unique symbol;
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule) => {
    readonly exports: Record<string, unknown>;
  };
};

let compiled: WasmModule | null | undefined;

function simdModule(): WasmModule | null {
  if (compiled !== undefined) return compiled;
  try {
    compiled = new WebAssembly.Module(moduleBytes());
  } catch (e) {
    if (process.env['NEUROMAKE_DEBUG_WASM']) console.error(e);
    compiled = null;
  }
  return compiled;
}

type Kernel = (acc: number, src: number, n: number) => void;

/** A SIMD frame summer for `voxels` values, or undefined without SIMD. */
export function createFrameSummer(voxels: number): FrameSummer | undefined {
  const mod = simdModule();
  if (mod === null) return undefined;
  const instance = new WebAssembly.Instance(mod);
  const mem = instance.exports['mem'] as WasmMemory;
  const s16 = instance.exports['s16'] as Kernel;
  const u16 = instance.exports['u16'] as Kernel;
  // Padded to 8 values so that the kernel needs no scalar tail.
  const padded = Math.ceil(voxels / 8) * 8;
  const accBytes = padded * 4;
  const need = accBytes + padded * 2;
  const pages = Math.ceil(need / 65536) - mem.buffer.byteLength / 65536;
  if (pages > 0) mem.grow(pages);
  const acc = new Int32Array(mem.buffer, 0, voxels);
  const src16 = new Int16Array(mem.buffer, accBytes, padded);
  const srcU16 = new Uint16Array(mem.buffer, accBytes, padded);
  return {
    add(frame) {
      if (frame instanceof Int16Array) {
        src16.set(frame);
        s16(0, accBytes, padded);
      } else {
        srcU16.set(frame);
        u16(0, accBytes, padded);
      }
    },
    sums: () => acc,
    reset: () => acc.fill(0),
  };
}
