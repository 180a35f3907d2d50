import type {OnnxAttribute, OnnxNode, OnnxTensor} from './onnx-model.js';

/** Attribute shorthands: `attr.int(-1)`, `attr.ints([0, 2, 1, 3])`. */
export const attr = {
  int: (value: number): OnnxAttribute => ({kind: 'int', value}),
  float: (value: number): OnnxAttribute => ({kind: 'float', value}),
  ints: (value: readonly number[]): OnnxAttribute => ({kind: 'ints', value}),
};

/**
 * Collects nodes and initializers while a graph is written as code. Each
 * `op` call names its output after the node (`<scope>/<op>_<n>`), so the
 * graph reads like the module tree of the model it mirrors.
 */
export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  readonly #counts = new Map<string, number>();
  readonly #int64 = new Map<string, string>();

  /** Adds a float32 weight and returns its name. */
  weight(name: string, dims: readonly number[], data: Float32Array): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (n !== data.length) {
      throw new Error(`weight ${name}: dims [${dims.join(', ')}] need ${n}`);
    }
    this.initializers.push({name, dims, data});
    return name;
  }

  /** An int64 constant vector (shapes, axes), shared by value. */
  int64(values: readonly number[]): string {
    const key = values.join(',');
    const known = this.#int64.get(key);
    if (known !== undefined) return known;
    const name = `const_i64_${this.#int64.size}`;
    this.initializers.push({
      name,
      dims: [values.length],
      data: BigInt64Array.from(values.map(BigInt)),
    });
    this.#int64.set(key, name);
    return name;
  }

  /** A float32 scalar constant. */
  scalar(name: string, value: number): string {
    this.initializers.push({name, dims: [], data: Float32Array.of(value)});
    return name;
  }

  /**
   * Appends a node and returns its (first) output's name; `output` names it
   * explicitly, as graph outputs must be.
   */
  op(
    scope: string,
    opType: string,
    inputs: readonly string[],
    attributes?: Readonly<Record<string, OnnxAttribute>>,
    output?: string,
  ): string {
    const key = `${scope}/${opType}`;
    const n = this.#counts.get(key) ?? 0;
    this.#counts.set(key, n + 1);
    const name = `${key}_${n}`;
    const out = output ?? name;
    this.nodes.push({
      opType,
      inputs,
      outputs: [out],
      name,
      ...(attributes === undefined ? {} : {attributes}),
    });
    return out;
  }
}
