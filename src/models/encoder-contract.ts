import {TaskInputError} from '../tasks/task.js';

/**
 * The encoder contract (docs/models.md): what an ONNX model must look like
 * for model.encode. Inputs input_ids and attention_mask, int64 [batch,
 * sequence], and optionally token_type_ids; outputs last_hidden_state and
 * one hidden state per layer, float32 [batch, sequence, H], either as
 * separate outputs hidden_states.0 … hidden_states.L (hidden_states_0 also
 * accepted) or one stacked hidden_states [L+1, batch, sequence, H].
 * Index 0 is the embedding output, as in Hugging Face's hidden_states.
 */

export const INPUT_IDS = 'input_ids';
export const ATTENTION_MASK = 'attention_mask';
export const TOKEN_TYPE_IDS = 'token_type_ids';
export const LAST_HIDDEN_STATE = 'last_hidden_state';
const STACKED_HIDDEN_STATES = 'hidden_states';

/** The output name of hidden state `i` (0 = embeddings). */
export function hiddenStateName(i: number): string {
  return `hidden_states.${i}`;
}

const HIDDEN_STATE = /^hidden_states[._](\d+)$/;

/** An input or output as the runtime describes it. */
export interface ModelValue {
  readonly name: string;
  /** The element type (onnxruntime's names: int64, float32, …). */
  readonly type?: string;
  readonly shape?: readonly (number | string)[];
}

/** Where a conforming model's hidden states are. */
export type HiddenStates =
  | {readonly kind: 'separate'; readonly names: readonly string[]}
  | {readonly kind: 'stacked'; readonly name: string; readonly count?: number};

/** What `checkContract` learns about a model. */
export interface EncoderLayout {
  readonly tokenTypeIds: boolean;
  readonly hiddenStates: HiddenStates;
}

/** A model that breaks the contract; the message names the file. */
export class ContractError extends TaskInputError {}

/**
 * Checks a model's inputs and outputs against the contract and returns
 * where its hidden states are; throws a ContractError naming `file` and
 * every problem found.
 */
export function checkContract(
  file: string,
  inputs: readonly ModelValue[],
  outputs: readonly ModelValue[],
): EncoderLayout {
  const problems: string[] = [];
  const byName = new Map(inputs.map((i) => [i.name, i]));
  const expectType = (v: ModelValue, type: string, what: string) => {
    if (v.type !== undefined && v.type !== type) {
      problems.push(
        `${what} "${v.name}" is ${v.type}, the contract says ${type}`,
      );
    }
  };
  for (const name of [INPUT_IDS, ATTENTION_MASK]) {
    const v = byName.get(name);
    if (v === undefined) problems.push(`has no input "${name}"`);
    else expectType(v, 'int64', 'input');
  }
  const tokenType = byName.get(TOKEN_TYPE_IDS);
  if (tokenType !== undefined) expectType(tokenType, 'int64', 'input');
  const known = new Set([INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS]);
  for (const i of inputs) {
    if (!known.has(i.name)) {
      problems.push(
        `has input "${i.name}", which the contract does not feed (only ${[...known].join(', ')})`,
      );
    }
  }
  const last = outputs.find((o) => o.name === LAST_HIDDEN_STATE);
  if (last === undefined) problems.push(`has no output "${LAST_HIDDEN_STATE}"`);
  else expectType(last, 'float32', 'output');
  const hiddenStates = findHiddenStates(outputs, problems);
  for (const o of outputs) {
    if (o.name === LAST_HIDDEN_STATE || o.name.startsWith('hidden_states')) {
      expectType(o, 'float32', 'output');
    }
  }
  if (problems.length > 0 || hiddenStates === undefined) {
    throw new ContractError(
      `${file} breaks the encoder contract (docs/models.md): ${problems.join('; ')}`,
    );
  }
  return {tokenTypeIds: tokenType !== undefined, hiddenStates};
}

function findHiddenStates(
  outputs: readonly ModelValue[],
  problems: string[],
): HiddenStates | undefined {
  const separate = new Map<number, string>();
  for (const o of outputs) {
    const match = HIDDEN_STATE.exec(o.name);
    if (match !== null) separate.set(Number(match[1]), o.name);
  }
  if (separate.size > 0) {
    const names: string[] = [];
    for (let i = 0; i < separate.size; i++) {
      const name = separate.get(i);
      if (name === undefined) {
        problems.push(
          `its hidden-state outputs skip index ${i} (need hidden_states.0 … hidden_states.${separate.size - 1})`,
        );
        return undefined;
      }
      names.push(name);
    }
    return {kind: 'separate', names};
  }
  const stacked = outputs.find((o) => o.name === STACKED_HIDDEN_STATES);
  if (stacked !== undefined) {
    if (stacked.shape !== undefined && stacked.shape.length !== 4) {
      problems.push(
        `output "hidden_states" has rank ${stacked.shape.length}, a stacked one needs [L+1, batch, sequence, H]`,
      );
      return undefined;
    }
    const count = stacked.shape?.[0];
    return typeof count === 'number'
      ? {kind: 'stacked', name: stacked.name, count}
      : {kind: 'stacked', name: stacked.name};
  }
  problems.push(
    'has no per-layer hidden states (outputs hidden_states.0 … hidden_states.L, or a stacked hidden_states); export it with output_hidden_states on',
  );
  return undefined;
}
