import {ProtoWriter, readFields} from './proto-writer.js';

/**
 * ONNX messages as plain objects, and their protobuf encoding (field numbers
 * from onnx/onnx.proto). Only what a feed-forward inference graph needs:
 * nodes with attributes, dense initializers, typed inputs and outputs, and
 * the model's metadata_props.
 */

/** TensorProto.DataType values used here. */
export const DataType = {
  FLOAT: 1,
  INT32: 6,
  INT64: 7,
} as const;
export type DataType = (typeof DataType)[keyof typeof DataType];

/** A dense constant tensor (an initializer or a tensor attribute). */
export interface OnnxTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | Int32Array | BigInt64Array;
}

/** An attribute value; the tag picks the AttributeProto field. */
export type OnnxAttribute =
  | {readonly kind: 'int'; readonly value: number}
  | {readonly kind: 'float'; readonly value: number}
  | {readonly kind: 'ints'; readonly value: readonly number[]}
  | {readonly kind: 'string'; readonly value: string};

/** One operator application. */
export interface OnnxNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly attributes?: Readonly<Record<string, OnnxAttribute>>;
}

/** A graph input or output: a tensor with an element type and a shape. */
export interface OnnxValueInfo {
  readonly name: string;
  readonly elemType: DataType;
  /** Fixed sizes, or names of symbolic dims such as `batch`. */
  readonly shape: readonly (number | string)[];
  readonly docString?: string;
}

/** A whole model. */
export interface OnnxModelSpec {
  readonly graphName: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxTensor[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  /** Default-domain opset version. */
  readonly opset: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString: string;
  /** Written as metadata_props, in key order (for byte-identical output). */
  readonly metadata: Readonly<Record<string, string>>;
}

/** IR version 8 is the one that goes with opset 17 (onnx/docs/Versioning). */
const IR_VERSION = 8;

const ATTR_TYPE = {float: 1, int: 2, string: 3, ints: 7} as const;

function elemTypeOf(data: OnnxTensor['data']): DataType {
  if (data instanceof Float32Array) return DataType.FLOAT;
  if (data instanceof Int32Array) return DataType.INT32;
  return DataType.INT64;
}

/** TensorProto: dims 1, data_type 2, name 8, raw_data 9 (little-endian). */
function encodeTensor(tensor: OnnxTensor): ProtoWriter {
  const w = new ProtoWriter();
  if (tensor.dims.length > 0) w.packedVarints(1, tensor.dims);
  w.varint(2, elemTypeOf(tensor.data));
  w.string(8, tensor.name);
  const {buffer, byteOffset, byteLength} = tensor.data;
  w.bytes(9, new Uint8Array(buffer, byteOffset, byteLength));
  return w;
}

function encodeAttribute(name: string, attr: OnnxAttribute): ProtoWriter {
  // AttributeProto: name 1, f 2, i 3, s 4, ints 8, type 20.
  const w = new ProtoWriter().string(1, name);
  switch (attr.kind) {
    case 'float':
      w.float32(2, attr.value);
      break;
    case 'int':
      w.varint(3, attr.value);
      break;
    case 'string':
      w.string(4, attr.value);
      break;
    case 'ints':
      w.packedVarints(8, attr.value);
      break;
  }
  return w.varint(20, ATTR_TYPE[attr.kind]);
}

/** NodeProto: input 1, output 2, name 3, op_type 4, attribute 5. */
function encodeNode(node: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of node.inputs) w.string(1, i);
  for (const o of node.outputs) w.string(2, o);
  if (node.name !== undefined) w.string(3, node.name);
  w.string(4, node.opType);
  for (const [k, v] of Object.entries(node.attributes ?? {})) {
    w.message(5, encodeAttribute(k, v));
  }
  return w;
}

/** ValueInfoProto → TypeProto.tensor_type → elem_type, TensorShapeProto. */
function encodeValueInfo(info: OnnxValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of info.shape) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.varint(1, d);
    else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter().varint(1, info.elemType);
  tensorType.message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  const w = new ProtoWriter().string(1, info.name).message(2, type);
  if (info.docString !== undefined) w.string(3, info.docString);
  return w;
}

/** Encodes a model as ONNX protobuf bytes (a `model.onnx` file). */
export function encodeModel(spec: OnnxModelSpec): Uint8Array {
  // GraphProto: node 1, name 2, initializer 5, input 11, output 12.
  const graph = new ProtoWriter();
  for (const n of spec.nodes) graph.message(1, encodeNode(n));
  graph.string(2, spec.graphName);
  for (const t of spec.initializers) graph.message(5, encodeTensor(t));
  for (const i of spec.inputs) graph.message(11, encodeValueInfo(i));
  for (const o of spec.outputs) graph.message(12, encodeValueInfo(o));
  // ModelProto: ir_version 1, producer_name 2, producer_version 3,
  // doc_string 6, graph 7, opset_import 8, metadata_props 14.
  const model = new ProtoWriter()
    .varint(1, IR_VERSION)
    .string(2, spec.producerName)
    .string(3, spec.producerVersion)
    .string(6, spec.docString)
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').varint(2, spec.opset));
  for (const key of Object.keys(spec.metadata).sort()) {
    const entry = new ProtoWriter()
      .string(1, key)
      .string(2, spec.metadata[key]!);
    model.message(14, entry);
  }
  return model.finish();
}

/** What `readModelInfo` finds at a model's top level. */
export interface OnnxModelInfo {
  readonly producerName: string;
  readonly docString: string;
  readonly metadata: Record<string, string>;
}

/**
 * Reads the producer, doc string and metadata_props of ONNX model bytes,
 * skipping the graph: onnxruntime-node does not expose model metadata, and
 * the "untrained" label travels in it.
 */
export function readModelInfo(bytes: Uint8Array): OnnxModelInfo {
  const text = (b: Uint8Array | undefined) =>
    b === undefined ? '' : Buffer.from(b).toString('utf8');
  let producerName = '';
  let docString = '';
  const metadata: Record<string, string> = {};
  for (const f of readFields(bytes)) {
    if (f.field === 2 && f.wireType === 2) producerName = text(f.bytes);
    else if (f.field === 6 && f.wireType === 2) docString = text(f.bytes);
    else if (f.field === 14 && f.bytes !== undefined) {
      let key = '';
      let value = '';
      for (const e of readFields(f.bytes)) {
        if (e.field === 1) key = text(e.bytes);
        if (e.field === 2) value = text(e.bytes);
      }
      metadata[key] = value;
    }
  }
  return {producerName, docString, metadata};
}
