/** How one vector per text is taken from a layer's token states. */
export const POOLING_RULES = ['first', 'last', 'mean'] as const;
export type Pooling = (typeof POOLING_RULES)[number];

/**
 * Pools hidden states [batch, seq, H] to [batch, H] by `rule`, reading the
 * attention mask [batch, seq]: `first` is the first non-padding token
 * ([CLS] or <s>), `last` the last non-padding token (the study's brain
 * score; with BERT's template that is [SEP]), `mean` the average over
 * non-padding tokens. The mask, not a padding side, decides, so left- and
 * right-padded batches pool alike. Writes row b to out[offset(b) …].
 */
export function poolStates(
  states: Float32Array,
  dims: {batch: number; seq: number; hidden: number},
  mask: ArrayLike<bigint>,
  rule: Pooling,
  out: Float32Array,
  offset: (b: number) => number,
): void {
  const {batch, seq, hidden} = dims;
  for (let b = 0; b < batch; b++) {
    const o = offset(b);
    const row = b * seq;
    let first = -1;
    let last = -1;
    let count = 0;
    for (let t = 0; t < seq; t++) {
      if (mask[row + t] === 0n) continue;
      if (first < 0) first = t;
      last = t;
      count++;
    }
    if (count === 0) {
      throw new Error(`text ${b} of the batch has no tokens to pool`);
    }
    if (rule === 'mean') {
      // Sum in float64: many tokens of similar size lose bits in float32.
      const acc = new Float64Array(hidden);
      for (let t = 0; t < seq; t++) {
        if (mask[row + t] === 0n) continue;
        const base = (row + t) * hidden;
        for (let j = 0; j < hidden; j++) acc[j]! += states[base + j]!;
      }
      for (let j = 0; j < hidden; j++) out[o + j] = acc[j]! / count;
    } else {
      const t = rule === 'first' ? first : last;
      const base = (row + t) * hidden;
      out.set(states.subarray(base, base + hidden), o);
    }
  }
}
