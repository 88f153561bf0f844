// Reading and decoding a batch of image files with the fast PNG path only (decode-png.ts), into one buffer: what a
// corruption worker does for an image-folder batch so that the inference thread does not (corruption-worker.ts).
// A file that is not a plain 8-bit PNG at the configured size, or that cannot be read, is only marked: the caller
// decodes it the general way (decode-image.ts: sharp, and the error that names the file).
import * as fs from 'node:fs';
import type { PixelFormat } from './decode-image';
import { decodePngFast, hasPngSignature } from './decode-png';

/**
 * Decodes `files` into `out` (file i at byte i * height * width * channels); returns per file 1 when it is there,
 * 0 when the caller must decode it.
 */
export function decodePngFilesInto(files: readonly string[], format: PixelFormat, out: Uint8Array): Uint8Array {
  const size = format.height * format.width * format.channels;
  if (out.length < files.length * size) throw new RangeError(`${files.length} images of ${size} bytes do not fit in ${out.length} bytes`);
  const decoded = new Uint8Array(files.length);
  for (let i = 0; i < files.length; i++) {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(files[i]);
    } catch {
      continue; // the general path reads it again and reports the error
    }
    if (!hasPngSignature(bytes)) continue;
    const pixels = decodePngFast(bytes, format);
    if (!pixels) continue;
    out.set(pixels, i * size);
    decoded[i] = 1;
  }
  return decoded;
}
