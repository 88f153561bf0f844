// The messages between the corruption pool (corruption-pool.ts, main thread) and its workers
// (corruption-worker.ts), and the error (de)serialisation that lets an InputError thrown inside a worker
// arrive on the main thread as the same InputError (message, kind, code, file, place, configPath, fix).
import { InputError, type InputErrorDetails } from '../errors';
import { preprocessBatch } from '../model/preprocess';
import type { InputSpec } from '../config/config';
import type { PixelFormat } from '../data/decode-image';
import type { Image, ParameterPreset } from '../types';

/** One corruption at one severity, applied with the run's preset and seed. */
export interface CorruptionJob {
  readonly corruption: string;
  readonly severity: number;
  readonly preset: ParameterPreset;
  readonly seed: number;
}

/**
 * Images packed in one buffer: image i is `dims[4i]` x `dims[4i+1]` x `dims[4i+2]` (height, width, channels)
 * starting at byte `dims[4i+3]` of `buffer`. One buffer per message instead of one per image: posting many
 * small typed arrays costs ~20x more than posting one. The dims are an Int32Array, which a message copies in one
 * piece (a plain array of 256 numbers cost ~7 us to post).
 */
export interface PackedImages {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  readonly dims: Int32Array;
}

/** Given to each worker at start (workerData): the pool's claim slots (see corruption-pool.ts). */
export interface CorruptionWorkerData {
  readonly claims: SharedArrayBuffer;
  readonly claimSlots: number;
}

/**
 * Main -> worker: one batch of images (the samples `sampleIds`, same order) to corrupt with the job, split into
 * tasks: task k has id `ids[k]` and covers images `bounds[k]` to `bounds[k + 1]` (exclusive). The batch is posted
 * to every worker once (one message per batch, not per task: each message costs the posting thread ~10 us); a
 * worker runs the tasks it can claim, in order, and skips those another thread claimed first. The source buffer
 * is a SharedArrayBuffer (shared, not copied; the worker never writes into it) or a transferred ArrayBuffer.
 */
export interface CorruptRequest extends CorruptionJob {
  readonly kind: 'corrupt';
  readonly ids: readonly number[];
  readonly bounds: readonly number[];
  readonly sampleIds: readonly number[];
  readonly images: PackedImages;
  /** Also write the corrupted images preprocessed for the model into these shared rows (image i into row i). */
  readonly rows?: { readonly buffer: SharedArrayBuffer; readonly input: InputSpec };
  /** Write the corrupted images into this buffer, at the offsets `images` has in its own (see packInto). */
  readonly out?: SharedArrayBuffer;
}

/**
 * Main -> one worker: read and decode these image files (plain 8-bit PNGs at `format`'s size, see decode-png.ts)
 * into `out`, file i at byte i * height * width * channels. Files that are not such PNGs, or cannot be read, are
 * left to the main thread's general path (sharp, and the errors that name the file).
 */
export interface DecodeRequest {
  readonly kind: 'decode';
  readonly id: number;
  readonly files: readonly string[];
  readonly format: PixelFormat;
  readonly out: SharedArrayBuffer;
}

/** Worker -> main: `decoded[i]` is 1 when file i of the request is in `out`, 0 when the main thread must decode it. */
export interface DecodeReply {
  readonly kind: 'decoded';
  readonly id: number;
  readonly decoded: Uint8Array;
}

/** The images of task k of a request: dims and offsets of its part of the batch. */
export function taskImages(request: CorruptRequest, k: number): PackedImages {
  return { buffer: request.images.buffer, dims: request.images.dims.slice(4 * request.bounds[k], 4 * request.bounds[k + 1]) };
}

/**
 * The images packed into `out` with the layout of `like` (same dims and offsets), when they have the same sizes
 * and fit; else undefined (the caller packs them into a new buffer). Lets a reused buffer carry results back.
 */
export function packInto(images: readonly Image[], like: PackedImages, out: SharedArrayBuffer): PackedImages | undefined {
  const { dims } = like;
  if (images.length * 4 !== dims.length) return undefined;
  for (let i = 0, k = 0; i < images.length; i++, k += 4) {
    const image = images[i];
    if (image.height !== dims[k] || image.width !== dims[k + 1] || image.channels !== dims[k + 2]) return undefined;
    if (dims[k + 3] + image.pixels.length > out.byteLength || image.pixels.length !== dims[k] * dims[k + 1] * dims[k + 2]) return undefined;
  }
  for (let i = 0, k = 0; i < images.length; i++, k += 4) new Uint8Array(out, dims[k + 3], images[i].pixels.length).set(images[i].pixels);
  return { buffer: out, dims };
}

/**
 * Model input rows to fill (preprocess.ts): the task's image i goes to row `from + i` of `buffer` (float32 rows of
 * height x width x channels values each).
 */
export interface RowsTarget {
  readonly buffer: SharedArrayBuffer;
  readonly input: InputSpec;
  readonly from: number;
}

/** Preprocesses `images` into their rows of `target` (see RowsTarget). */
export function fillRows(images: readonly Image[], target: RowsTarget): void {
  const { height, width, channels } = target.input;
  const perImage = height * width * channels;
  preprocessBatch(images, target.input, new Float32Array(target.buffer, target.from * perImage * 4, images.length * perImage));
}

/** The outcome of one task: its corrupted images packed in one SharedArrayBuffer, or the error of the first failing image. */
export type TaskResult =
  | { readonly id: number; readonly ok: true; readonly images: PackedImages }
  | { readonly id: number; readonly ok: false; readonly error: WireError };

/** Worker -> main: the results of the tasks of one request that this worker claimed (one message per request). */
export interface CorruptReply {
  readonly kind: 'corrupted';
  readonly results: readonly TaskResult[];
}

export type WorkerRequest = CorruptRequest | DecodeRequest;
export type WorkerReply = CorruptReply | DecodeReply;

/** An error as plain data (structured-clone safe). */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  /** Present for an InputError. */
  readonly details?: InputErrorDetails;
}

export function toWireError(error: unknown): WireError {
  if (error instanceof InputError) {
    return { name: error.name, message: error.message, stack: error.stack, details: cloneable(error.details) };
  }
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error) };
}

/** The details as they are when structured clone can copy them (keeps keys whose value is undefined), else via JSON. */
function cloneable(details: InputErrorDetails): InputErrorDetails {
  try {
    return structuredClone(details);
  } catch {
    return JSON.parse(JSON.stringify(details)) as InputErrorDetails;
  }
}

const ERROR_TYPES: Record<string, new (message: string) => Error> = { RangeError, TypeError, SyntaxError, ReferenceError, EvalError, URIError };

/** Rebuilds the error on the receiving side: an InputError stays an InputError with the same details. */
export function fromWireError(wire: WireError): Error {
  let error: Error;
  if (wire.details) {
    error = new InputError(wire.message, wire.details);
  } else {
    const Type = ERROR_TYPES[wire.name] ?? Error;
    error = new Type(wire.message);
    if (error.name !== wire.name) error.name = wire.name;
  }
  if (wire.stack) error.stack = `${wire.stack}\n    at (corruption worker thread)`;
  return error;
}

/** Views of the packed images (no copy). */
export function unpackImages(packed: PackedImages): Image[] {
  const { buffer, dims } = packed;
  const images: Image[] = new Array(dims.length / 4);
  for (let i = 0, k = 0; k < dims.length; i++, k += 4) {
    const height = dims[k];
    const width = dims[k + 1];
    const channels = dims[k + 2];
    images[i] = { height, width, channels, pixels: new Uint8Array(buffer, dims[k + 3], height * width * channels) };
  }
  return images;
}

/**
 * The images as one buffer. Shared: when they already lie in one SharedArrayBuffer (as `shareImages` makes them),
 * that buffer with their offsets, without copying; otherwise a copy into a new SharedArrayBuffer. Not shared:
 * always a copy into a new ArrayBuffer (which the caller may transfer without detaching anyone else's memory).
 */
export function packImages(images: readonly Image[], shared: boolean): PackedImages {
  const dims = new Int32Array(images.length * 4);
  const first = images[0]?.pixels.buffer;
  let inPlace = shared && first instanceof SharedArrayBuffer;
  let bytes = 0;
  images.forEach((image, i) => {
    if (image.pixels.buffer !== first || image.pixels.length !== image.height * image.width * image.channels) inPlace = false;
    dims[4 * i] = image.height;
    dims[4 * i + 1] = image.width;
    dims[4 * i + 2] = image.channels;
    dims[4 * i + 3] = image.pixels.byteOffset;
    bytes += image.pixels.byteLength;
  });
  if (inPlace) return { buffer: first as ArrayBuffer | SharedArrayBuffer, dims };
  const buffer = shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  const target = new Uint8Array(buffer);
  let offset = 0;
  images.forEach((image, i) => {
    target.set(image.pixels, offset);
    dims[4 * i + 3] = offset;
    offset += image.pixels.byteLength;
  });
  return { buffer, dims };
}
