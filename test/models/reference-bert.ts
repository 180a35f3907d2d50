import type {
  BertWeights,
  Dense,
  EncoderConfig,
  Norm,
} from '../../src/models/bert-weights.js';

/**
 * BERT's forward pass for one sequence in plain float64 JS, written from
 * the equations (not from the ONNX graph), to check the graph against.
 * Returns hidden states 0 … L, each [seq][H].
 */
export function referenceBert(
  config: EncoderConfig,
  w: BertWeights,
  ids: readonly number[],
  mask: readonly number[],
): number[][][] {
  const h = config.hiddenSize;
  const seq = ids.length;
  const row = (m: Float32Array, i: number) =>
    Array.from(m.subarray(i * h, (i + 1) * h));
  const layerNorm = (x: number[], n: Norm) => {
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const v = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
    const s = Math.sqrt(v + config.layerNormEps);
    return x.map((xi, j) => ((xi - mean) / s) * n.gamma[j]! + n.beta[j]!);
  };
  const affine = (x: number[], d: Dense, outDim: number) => {
    const y = Array.from(d.b);
    for (let i = 0; i < x.length; i++) {
      for (let j = 0; j < outDim; j++) y[j]! += x[i]! * d.w[i * outDim + j]!;
    }
    return y;
  };
  let x = ids.map((id, t) => {
    const e = row(w.wordEmbeddings, id);
    const p = row(w.positionEmbeddings, t);
    const y = row(w.tokenTypeEmbeddings, 0);
    return layerNorm(
      e.map((v, j) => v + p[j]! + y[j]!),
      w.embeddingNorm,
    );
  });
  const states = [x];
  const dh = h / config.heads;
  for (const lw of w.layers) {
    const q = x.map((t) => affine(t, lw.query, h));
    const k = x.map((t) => affine(t, lw.key, h));
    const v = x.map((t) => affine(t, lw.value, h));
    const context = x.map(() => new Array<number>(h).fill(0));
    for (let head = 0; head < config.heads; head++) {
      const o = head * dh;
      for (let i = 0; i < seq; i++) {
        const scores = k.map((kj, j) => {
          let s = 0;
          for (let d = 0; d < dh; d++) s += q[i]![o + d]! * kj[o + d]!;
          return s / Math.sqrt(dh) + (mask[j] === 1 ? 0 : -10000);
        });
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const total = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j < seq; j++) {
          for (let d = 0; d < dh; d++) {
            context[i]![o + d]! += (e[j]! / total) * v[j]![o + d]!;
          }
        }
      }
    }
    const attended = x.map((t, i) =>
      layerNorm(
        affine(context[i]!, lw.attentionOut, h).map((a, j) => a + t[j]!),
        lw.attentionNorm,
      ),
    );
    x = attended.map((a) => {
      const z = affine(a, lw.intermediate, config.intermediateSize);
      const gelu = z.map((zi) => 0.5 * zi * (1 + erf(zi / Math.SQRT2)));
      const out = affine(gelu, lw.output, h);
      return layerNorm(
        out.map((o, j) => o + a[j]!),
        lw.outputNorm,
      );
    });
    states.push(x);
  }
  return states;
}

/** erf from its Maclaurin series (error below 1e-9 for |x| ≤ 4). */
function erf(x: number): number {
  // Past 4 the series cancels badly, and erf is ±1 within 2e-8 anyway.
  if (Math.abs(x) > 4) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
