/**
 * Dense products through onnxruntime-node's CPU provider (~200 GFLOP/s on
 * 2 threads here, against ~1–3 for plain JS loops). The model — one
 * float64 MatMul with symbolic dims — is encoded by hand as ONNX protobuf
 * so that no model file ships. onnxruntime is imported lazily: task
 * modules load on the main thread, and this one is heavy.
 */

type Ort = typeof import('onnxruntime-node');
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

let cached: Promise<{ort: Ort; session: Session} | undefined> | undefined;

/** Protobuf helpers: varint, length-delimited field, string field. */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
function field(tag: number, body: number[]): number[] {
  return [...varint((tag << 3) | 2), ...varint(body.length), ...body];
}
function str(tag: number, s: string): number[] {
  return field(tag, [...Buffer.from(s, 'utf8')]);
}
function num(tag: number, n: number): number[] {
  return [...varint(tag << 3), ...varint(n)];
}

/** ValueInfoProto of a float64 matrix with symbolic dims. */
function matrixInfo(name: string, rows: string, cols: string): number[] {
  const dim = (p: string) => field(1, str(2, p));
  const tensor = [...num(1, 11), ...field(2, [...dim(rows), ...dim(cols)])];
  return [...str(1, name), ...field(2, field(1, tensor))];
}

/** The ONNX model C = A·B, A [T, K], B [K, N], float64. */
function matmulModel(): Uint8Array {
  const node = [
    ...str(1, 'A'),
    ...str(1, 'B'),
    ...str(2, 'C'),
    ...str(4, 'MatMul'),
  ];
  const graph = [
    ...field(1, node),
    ...str(2, 'matmul'),
    ...field(11, matrixInfo('A', 'T', 'K')),
    ...field(11, matrixInfo('B', 'K', 'N')),
    ...field(12, matrixInfo('C', 'T', 'N')),
  ];
  const opset = [...str(1, ''), ...num(2, 13)];
  return Uint8Array.from([
    ...num(1, 8),
    ...field(7, graph),
    ...field(8, opset),
  ]);
}

async function load(): Promise<{ort: Ort; session: Session} | undefined> {
  try {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(matmulModel(), {
      executionProviders: ['cpu'],
      intraOpNumThreads: 2,
    });
    return {ort, session};
  } catch {
    // Without onnxruntime the caller falls back to JS loops.
    return undefined;
  }
}

/**
 * A [rows×k] · B [k×n] in float64 through onnxruntime, or undefined when
 * onnxruntime cannot be loaded here.
 */
export async function ortMatmul(
  a: Float64Array,
  rows: number,
  b: Float64Array,
  k: number,
  n: number,
): Promise<Float64Array | undefined> {
  cached ??= load();
  const loaded = await cached;
  if (loaded === undefined) return undefined;
  const {ort, session} = loaded;
  const result = await session.run({
    A: new ort.Tensor('float64', a, [rows, k]),
    B: new ort.Tensor('float64', b, [k, n]),
  });
  const c = result['C'];
  return c === undefined ? undefined : (c.data as Float64Array);
}
