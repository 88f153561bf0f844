// Decoding one PNG or JPEG file into the configured pixel format with sharp: uint8, HWC, 1 (grey)
// or 3 (sRGB) channels, at the configured size.
//  - Alpha is dropped (not flattened): removeAlpha() keeps the colour values as stored.
//  - Grey uses libvips' 'b-w' colourspace (luminance); grey files asked for as RGB repeat the grey value.
//  - When the file's size differs from input.size it is resized with fit 'fill': stretched to exactly
//    height x width, ignoring the aspect ratio (no cropping, no padding), like torchvision's
//    Resize((h, w)), with sharp's default lanczos3 kernel.
//  - EXIF orientation is not applied (PIL, and so torchvision's ImageFolder, do not apply it either).
// The file is read into memory first so that sharp's file cache never serves a stale image after an edit.
// Plain 8-bit PNGs already at the configured size are decoded by decode-png.ts instead (same bytes, much less
// CPU); every other file, and every error, goes through sharp.
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { InputError, type ConfigPath } from '../errors';
import type { Image } from '../types';
import { decodePngFast, hasPngSignature } from './decode-png';


export interface PixelFormat {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/** Where a failing file sits, for the error: e.g. place "sample 12 (label 'cat')", configPath ['data', 'path']. */
export interface DecodeContext {
  readonly place: string;
  readonly configPath: ConfigPath;
}

/** Decodes `file` into `format`; throws an InputError (code 'data-image-unreadable') naming the file. */
export async function decodeImageFile(file: string, format: PixelFormat, context: DecodeContext): Promise<Image> {
  const fail = (reason: string, fix: string): InputError =>
    new InputError(`cannot read the image ${path.basename(file)}: ${reason}`, {
      kind: 'data',
      code: 'data-image-unreadable',
      file,
      place: context.place,
      configPath: context.configPath,
      fix,
    });

  let bytes: Buffer;
  try {
    // Synchronous on purpose: image files are small, and the asynchronous API costs this thread (the one that runs
    // inference) ~100 us per file in four round trips (measured with the demo's 32x32 PNGs), more than decoding.
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw fail((error as Error).message, 'the file could not be opened; check that it still exists and is readable, then rerun');
  }
  if (hasPngSignature(bytes)) {
    const pixels = decodePngFast(bytes, format);
    if (pixels) return { height: format.height, width: format.width, channels: format.channels, pixels };
  }
  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    const image = sharp(bytes);
    const { width, height } = await image.metadata();
    let pipeline = image.removeAlpha().toColourspace(format.channels === 1 ? 'b-w' : 'srgb');
    if (width !== format.width || height !== format.height) {
      pipeline = pipeline.resize(format.width, format.height, { fit: 'fill' });
    }
    decoded = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw fail((error as Error).message, 'the file is corrupt or not really a PNG/JPEG; replace it or delete it');
  }
  const { data, info } = decoded;
  if (info.width !== format.width || info.height !== format.height || info.channels !== format.channels || data.length !== format.height * format.width * format.channels) {
    throw fail(
      `it decoded to ${info.width}x${info.height} with ${info.channels} channel(s) instead of ${format.width}x${format.height} with ${format.channels}`,
      'save the image as an 8-bit grey or RGB PNG or JPEG',
    );
  }
  // A plain Uint8Array of its own (not a view into sharp's Buffer).
  return { height: format.height, width: format.width, channels: format.channels, pixels: new Uint8Array(data) };
}
