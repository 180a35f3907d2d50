import {TaskInputError} from '../tasks/task.js';
import {
  ATTENTION_MASK,
  checkContract,
  ContractError,
  INPUT_IDS,
  TOKEN_TYPE_IDS,
  type EncoderLayout,
  type ModelValue,
} from './encoder-contract.js';
import type {TokenBatch} from './hf-tokenizer.js';

/** Execution providers model.encode can ask onnxruntime for. */
export const PROVIDERS = ['cpu', 'cuda'] as const;
export type Provider = (typeof PROVIDERS)[number];

type Ort = typeof import('onnxruntime-node');
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

/** A float32 output of one batch. */
export interface OutputTensor {
  readonly dims: readonly number[];
  readonly data: Float32Array;
}

/** An ONNX encoder that passed the contract check, ready to run batches. */
export interface EncoderSession {
  readonly file: string;
  readonly layout: EncoderLayout;
  /** Runs one batch and returns the outputs named in `fetch`. */
  run(
    batch: TokenBatch,
    fetch: readonly string[],
  ): Promise<Record<string, OutputTensor>>;
  release(): Promise<void>;
}

/** How to open a session. */
export interface SessionOptions {
  readonly threads: number;
  readonly provider: Provider;
}

/** Why a CUDA session could not be made, and how to fix it. */
const CUDA_HINT =
  'onnxruntime-node ships only the CPU provider here (.npmrc sets onnxruntime-node-install=skip, since its installer downloads the CUDA libraries from nuget.org). On a machine with an NVIDIA GPU, CUDA 12 and cuDNN 9, run `ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js`, or copy libonnxruntime_providers_{cuda,shared}.so of Microsoft.ML.OnnxRuntime.Gpu.Linux (same version as onnxruntime-node) into node_modules/onnxruntime-node/bin/napi-v6/linux/x64/ (docs/models.md, "CUDA")';

const describe = (list: readonly unknown[]): ModelValue[] =>
  list.map((m) => {
    const v = m as {name: string; type?: string; shape?: (number | string)[]};
    return {
      name: v.name,
      ...(v.type === undefined ? {} : {type: v.type}),
      ...(v.shape === undefined ? {} : {shape: v.shape}),
    };
  });

/**
 * Opens `file` with onnxruntime-node on `provider` and checks it against
 * the encoder contract. A CUDA request that cannot be met is an error,
 * never a silent fall back to the CPU.
 */
export async function openEncoder(
  file: string,
  options: SessionOptions,
): Promise<EncoderSession> {
  const ort: Ort = await import('onnxruntime-node');
  let session: Session;
  try {
    session = await ort.InferenceSession.create(file, {
      executionProviders: [options.provider],
      intraOpNumThreads: options.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    if (options.provider === 'cuda') {
      throw new TaskInputError(
        `${file}: the CUDA execution provider did not load (${why.split('\n')[0] ?? ''}). ${CUDA_HINT}`,
      );
    }
    throw new TaskInputError(`${file}: onnxruntime cannot load it: ${why}`);
  }
  let layout: EncoderLayout;
  try {
    layout = checkContract(
      file,
      describe(session.inputMetadata),
      describe(session.outputMetadata),
    );
  } catch (e) {
    await session.release();
    throw e;
  }
  return {
    file,
    layout,
    async run(batch, fetch) {
      const dims = [batch.batch, batch.length];
      const feeds: Record<string, InstanceType<Ort['Tensor']>> = {
        [INPUT_IDS]: new ort.Tensor('int64', batch.inputIds, dims),
        [ATTENTION_MASK]: new ort.Tensor('int64', batch.attentionMask, dims),
      };
      if (layout.tokenTypeIds) {
        feeds[TOKEN_TYPE_IDS] = new ort.Tensor(
          'int64',
          batch.tokenTypeIds,
          dims,
        );
      }
      const result = await session.run(feeds, [...fetch]);
      const out: Record<string, OutputTensor> = {};
      for (const name of fetch) {
        const t = result[name];
        if (t === undefined || !(t.data instanceof Float32Array)) {
          throw new ContractError(
            `${file}: output "${name}" is ${t === undefined ? 'missing' : t.type}, the contract says float32`,
          );
        }
        out[name] = {dims: t.dims, data: t.data};
      }
      return out;
    },
    release: () => session.release(),
  };
}
