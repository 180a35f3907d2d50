import {crc32, deflateSync} from 'node:zlib';

/**
 * Encodes an 8-bit RGB image as a PNG (one IDAT, filter 0 on every row).
 * Slice previews are a few thousand pixels, so the simplest valid file is
 * enough; node:zlib provides both deflate and the chunk CRC.
 */
export function encodePng(
  width: number,
  height: number,
  rgb: Uint8Array,
): Buffer {
  if (rgb.length !== width * height * 3) {
    throw new Error(
      `encodePng: ${rgb.length} bytes for ${width}×${height} RGB pixels`,
    );
  }
  const stride = width * 3;
  const scanlines = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    // Byte 0 of each scanline is its filter type, 0 = none.
    scanlines.set(
      rgb.subarray(y * stride, (y + 1) * stride),
      y * (stride + 1) + 1,
    );
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(scanlines)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}
