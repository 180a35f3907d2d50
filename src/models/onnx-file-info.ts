import {open} from 'node:fs/promises';

import {FormatError} from '../io/format-error.js';
import {readModelInfo, type OnnxModelInfo} from './onnx-model.js';
import {ProtoWriter} from './proto-writer.js';

/** ModelProto fields kept: producer_name 2, doc_string 6, metadata_props 14. */
const KEPT = new Set([2, 6, 14]);

/**
 * Reads a model file's producer, doc string and metadata without loading
 * its graph: it walks the top-level fields and seeks past the others, so a
 * 1 GB model costs a few reads.
 */
export async function readModelFileInfo(file: string): Promise<OnnxModelInfo> {
  const handle = await open(file, 'r');
  try {
    const {size} = await handle.stat();
    const kept = new ProtoWriter();
    const head = Buffer.alloc(20);
    let pos = 0;
    while (pos < size) {
      const {bytesRead} = await handle.read(head, 0, head.length, pos);
      let at = 0;
      const varint = (): number => {
        let result = 0;
        let scale = 1;
        for (;;) {
          if (at >= bytesRead) {
            throw new FormatError(
              file,
              'ONNX',
              'not an ONNX model (bad varint)',
            );
          }
          const b = head[at++]!;
          result += (b & 0x7f) * scale;
          if ((b & 0x80) === 0) return result;
          scale *= 128;
        }
      };
      const key = varint();
      const field = Math.floor(key / 8);
      const wire = key % 8;
      let size2: number;
      if (wire === 0) {
        varint();
        size2 = 0;
      } else if (wire === 2) size2 = varint();
      else if (wire === 1) size2 = 8;
      else if (wire === 5) size2 = 4;
      else {
        throw new FormatError(
          file,
          'ONNX',
          `not an ONNX model (wire type ${wire})`,
        );
      }
      const start = pos + at;
      if (start + size2 > size) {
        throw new FormatError(file, 'ONNX', 'not an ONNX model (truncated)');
      }
      if (wire === 2 && KEPT.has(field)) {
        const body = Buffer.alloc(size2);
        await handle.read(body, 0, size2, start);
        kept.bytes(field, body);
      }
      pos = start + size2;
    }
    return readModelInfo(kept.finish());
  } finally {
    await handle.close();
  }
}
