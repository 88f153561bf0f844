// Reading and writing the images of `robustness-lens corrupt`: PNG / JPEG files through sharp (channels kept: a
// grey file stays grey, alpha is dropped) and .npy uint8 batches of shape (N, H, W) or (N, H, W, C), C = 1 or 3.
// Problems in the input are InputErrors that name the file; problems with the command line are UsageErrors.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { NpyFormatError, encodeNpy, parseNpy } from '../engine/data/npy';
import { InputError } from '../engine/errors';
import type { Image } from '../engine/types';
import { UsageError } from './cli-io';

export type FileFormat = 'png' | 'jpeg' | 'npy';

/** The format of a file from its extension (case-insensitive), or undefined. */
export function formatOf(file: string): FileFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.png') return 'png';
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  if (ext === '.npy') return 'npy';
  return undefined;
}

/** The output format of `file`, or a UsageError naming the extensions that work. */
export function outputFormatOf(file: string, allowed: readonly FileFormat[] = ['png', 'jpeg', 'npy']): FileFormat {
  const format = formatOf(file);
  if (!format || !allowed.includes(format)) {
    const names = allowed.map((f) => (f === 'jpeg' ? '.jpg, .jpeg' : `.${f}`)).join(', ');
    throw new UsageError(`cannot write '${file}': unknown output extension '${path.extname(file) || '(none)'}'; use ${names}`);
  }
  return format;
}

/** A batch of images read from one file. */
export interface ImageBatch {
  readonly file: string;
  readonly format: FileFormat;
  readonly images: readonly Image[];
  /** The .npy shape had a channel axis (N, H, W, C); false for (N, H, W) and for grey image files. */
  readonly channelAxis: boolean;
}

function unreadable(file: string, reason: string, fix: string): InputError {
  return new InputError(`cannot read ${path.basename(file)}: ${reason}`, { kind: 'data', code: 'input-unreadable', file, fix });
}

/** Reads a PNG / JPEG image (one sample) or a .npy batch. */
export async function readImages(file: string): Promise<ImageBatch> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'the file does not exist' : code === 'EISDIR' ? 'it is a folder, not a file' : (error as Error).message;
    throw unreadable(file, reason, 'check the path given to --in');
  }
  if (formatOf(file) === 'npy') return readNpyBatch(file, bytes);
  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    const image = sharp(bytes);
    const meta = await image.metadata();
    const colourChannels = (meta.channels ?? 3) - (meta.hasAlpha ? 1 : 0);
    decoded = await image
      .removeAlpha()
      .toColourspace(colourChannels === 1 ? 'b-w' : 'srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw unreadable(file, `not a readable image (${(error as Error).message})`, 'give a PNG or JPEG image, or a .npy uint8 array');
  }
  const { data, info } = decoded;
  if (info.channels !== 1 && info.channels !== 3) {
    throw unreadable(file, `it decoded to ${info.channels} channels`, 'save it as an 8-bit grey or RGB PNG or JPEG');
  }
  const format = formatOf(file) ?? 'png';
  return {
    file,
    format,
    images: [{ height: info.height, width: info.width, channels: info.channels, pixels: new Uint8Array(data) }],
    channelAxis: info.channels === 3,
  };
}

function readNpyBatch(file: string, bytes: Uint8Array): ImageBatch {
  let array;
  try {
    array = parseNpy(bytes);
  } catch (error) {
    if (error instanceof NpyFormatError) throw unreadable(file, error.message, 'save the images with numpy.save as a uint8 array of shape (N, H, W) or (N, H, W, 3)');
    throw error;
  }
  const shape = array.shape;
  if (array.dtype !== 'u1') {
    throw new InputError(`the array in ${path.basename(file)} has dtype '${array.dtype}', images must be uint8`, {
      kind: 'data',
      code: 'input-npy-dtype',
      file,
      place: 'header',
      fix: 'convert with a.astype(np.uint8) (values 0-255; scale floats in [0, 1] by 255 first)',
    });
  }
  const badShape = (why: string) =>
    new InputError(`the array in ${path.basename(file)} has shape (${shape.join(', ')}): ${why}`, {
      kind: 'data',
      code: 'input-npy-shape',
      file,
      place: 'header',
      fix: 'save images as (N, H, W) for grey or (N, H, W, 3) for RGB, N images first',
    });
  if (shape.length !== 3 && shape.length !== 4) throw badShape('expected (N, H, W) or (N, H, W, C)');
  const [count, height, width] = shape;
  const channels = shape.length === 4 ? shape[3] : 1;
  if (channels !== 1 && channels !== 3) throw badShape(`the last axis has ${channels} channels, expected 1 or 3`);
  if (count === 0) throw badShape('it holds no images');
  if (height === 0 || width === 0) throw badShape('the images are empty');
  const data = array.data as Uint8Array;
  const size = height * width * channels;
  const images: Image[] = [];
  for (let i = 0; i < count; i++) images.push({ height, width, channels, pixels: data.subarray(i * size, (i + 1) * size) });
  return { file, format: 'npy', images, channelAxis: shape.length === 4 };
}

/** Writes bytes to `file` through a temporary file in the same folder (created if missing), then a rename. */
export async function writeBytesAtomic(file: string, bytes: Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await fs.writeFile(temporary, bytes);
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
}

/** Encodes one image as PNG or JPEG (quality 95, no chroma subsampling), keeping its channels. */
export async function encodeImage(image: Image, format: 'png' | 'jpeg'): Promise<Buffer> {
  const input = sharp(Buffer.from(image.pixels.buffer, image.pixels.byteOffset, image.pixels.length), {
    raw: { width: image.width, height: image.height, channels: image.channels as 1 | 3 },
  }).toColourspace(image.channels === 1 ? 'b-w' : 'srgb');
  return format === 'png' ? input.png({ compressionLevel: 9 }).toBuffer() : input.jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer();
}

/**
 * Writes the images in `format`: .npy as (N, H, W) or (N, H, W, C) (`channelAxis`), PNG / JPEG for exactly one
 * image (a UsageError otherwise). All images must have the same shape.
 */
export async function writeImages(file: string, format: FileFormat, images: readonly Image[], channelAxis: boolean): Promise<void> {
  if (format === 'npy') {
    const { height, width, channels } = images[0];
    const size = height * width * channels;
    const data = new Uint8Array(images.length * size);
    images.forEach((image, i) => data.set(image.pixels, i * size));
    const shape = channelAxis || channels !== 1 ? [images.length, height, width, channels] : [images.length, height, width];
    await writeBytesAtomic(file, encodeNpy('u1', shape, data));
    return;
  }
  if (images.length !== 1) {
    throw new UsageError(`the input holds ${images.length} images; a ${format === 'png' ? 'PNG' : 'JPEG'} file holds one: write them to a .npy file instead`);
  }
  await writeBytesAtomic(file, await encodeImage(images[0], format));
}
