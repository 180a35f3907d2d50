/**
 * AdamW (Loshchilov & Hutter 2019) over flat Float64Array parameters, as
 * PyTorch's `torch.optim.AdamW` computes it: bias-corrected first and
 * second moments, and weight decay applied to the weights directly
 * (decoupled), not added to the gradient.
 */

/** AdamW's hyper-parameters. */
export interface AdamWOptions {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
}

/** One optimiser over a fixed list of parameter tensors. */
export class AdamW {
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];
  private t = 0;
  /** The current learning rate; a scheduler may change it between steps. */
  lr: number;

  constructor(
    private readonly params: readonly Float64Array[],
    private readonly options: AdamWOptions,
  ) {
    this.m = params.map((p) => new Float64Array(p.length));
    this.v = params.map((p) => new Float64Array(p.length));
    this.lr = options.lr;
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.t;
  }

  /**
   * Updates every parameter in place from its gradient (same order and
   * sizes as the parameters).
   */
  step(grads: readonly Float64Array[]): void {
    if (grads.length !== this.params.length) {
      throw new Error(
        `AdamW: ${grads.length} gradients for ${this.params.length} parameters`,
      );
    }
    this.t++;
    const {beta1, beta2, eps, weightDecay} = this.options;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    const decay = 1 - this.lr * weightDecay;
    for (const [k, p] of this.params.entries()) {
      const g = grads[k]!;
      const m = this.m[k]!;
      const v = this.v[k]!;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]!;
        const mi = beta1 * m[i]! + (1 - beta1) * gi;
        const vi = beta2 * v[i]! + (1 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        // PyTorch order: decay first, then the Adam step.
        p[i] =
          p[i]! * decay - (this.lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
      }
    }
  }
}
