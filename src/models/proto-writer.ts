/**
 * A minimal protocol-buffers writer: just the wire types ONNX needs (varint,
 * length-delimited, 32-bit). Messages are built bottom-up: a child message
 * is finished to bytes, then written into its parent as a length-delimited
 * field. Chunks are kept as a list and joined once, because an encoder's
 * weights run to megabytes and byte-at-a-time arrays would be slow.
 */
export class ProtoWriter {
  readonly #chunks: Uint8Array[] = [];
  #pending: number[] = [];
  #length = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#length + this.#pending.length;
  }

  /** A varint field (wire type 0); negative values take ten bytes. */
  varint(field: number, value: number | bigint): this {
    this.#key(field, 0);
    this.#rawVarint(value);
    return this;
  }

  /** A length-delimited field (wire type 2) holding `bytes`. */
  bytes(field: number, bytes: Uint8Array): this {
    this.#key(field, 2);
    this.#rawVarint(bytes.length);
    this.#flush();
    this.#chunks.push(bytes);
    this.#length += bytes.length;
    return this;
  }

  /** A UTF-8 string field. */
  string(field: number, text: string): this {
    return this.bytes(field, Buffer.from(text, 'utf8'));
  }

  /** An embedded message field. */
  message(field: number, child: ProtoWriter): this {
    return this.bytes(field, child.finish());
  }

  /** A float field (wire type 5, little-endian IEEE 754 single). */
  float32(field: number, value: number): this {
    this.#key(field, 5);
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    this.#pending.push(...b);
    return this;
  }

  /** A packed repeated varint field (proto3 default for scalars). */
  packedVarints(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.#rawVarint(v);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated float field. */
  packedFloats(field: number, values: readonly number[]): this {
    const f = Float32Array.from(values);
    return this.bytes(field, new Uint8Array(f.buffer));
  }

  /** The encoded message. */
  finish(): Uint8Array {
    this.#flush();
    return Buffer.concat(this.#chunks, this.#length);
  }

  #key(field: number, wireType: number): void {
    this.#rawVarint(field * 8 + wireType);
  }

  #rawVarint(value: number | bigint): void {
    // Protobuf encodes negative int64 as their 64-bit two's complement.
    let v = BigInt.asUintN(64, BigInt(value));
    while (v > 0x7fn) {
      this.#pending.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#pending.push(Number(v));
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    this.#chunks.push(Uint8Array.from(this.#pending));
    this.#length += this.#pending.length;
    this.#pending = [];
  }
}

/** One field read back by `readFields`. */
export interface ProtoField {
  readonly field: number;
  readonly wireType: number;
  /** The varint value (wire type 0). */
  readonly value?: bigint;
  /** The payload (wire types 1, 2 and 5). */
  readonly bytes?: Uint8Array;
}

/**
 * Splits one message into its top-level fields without decoding nested
 * ones, so a reader can pick out a model's metadata and skip its weights.
 */
export function readFields(bytes: Uint8Array): ProtoField[] {
  const out: ProtoField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= bytes.length) throw new Error('truncated varint');
      const b = bytes[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < bytes.length) {
    const key = Number(varint());
    const field = Math.floor(key / 8);
    const wireType = key & 7;
    if (wireType === 0) {
      out.push({field, wireType, value: varint()});
      continue;
    }
    const size =
      wireType === 2
        ? Number(varint())
        : wireType === 1
          ? 8
          : wireType === 5
            ? 4
            : -1;
    if (size < 0 || pos + size > bytes.length) {
      throw new Error(`bad field ${field} (wire type ${wireType}) at ${pos}`);
    }
    out.push({field, wireType, bytes: bytes.subarray(pos, pos + size)});
    pos += size;
  }
  return out;
}
