// Reusable scratch buffers for the image corruptions' intermediate float arrays.
//
// A fresh 1.2 MB Float64Array (one 224x224x3 image) costs ~0.8 ms before the first value is computed: the zeroed
// pages are faulted in on first touch and later collected. A corruption that makes four or five such intermediates
// spends more time on that than on its arithmetic, so intermediates come from here instead: one buffer per name,
// grown when needed and reused by the next call. This is safe because `Corruption.apply` is synchronous and a
// JavaScript realm (main thread or worker) runs one call at a time. Rules for callers: a scratch buffer's content is
// undefined (overwrite it before reading), it is valid only until the next request for the same name, it never
// leaves the corruption (outputs are fresh arrays), and each name is used by one call site at a time. Buffers
// above MAX_POOLED values are not kept (very large images just allocate).

const MAX_POOLED = 1 << 22; // 4 Mi values: 32 MB as float64, about a 1180x1180 RGB image

const float64Pool = new Map<string, Float64Array>();
const float32Pool = new Map<string, Float32Array>();
const uint8Pool = new Map<string, Uint8Array>();

function fromPool<T extends Float64Array | Float32Array | Uint8Array>(pool: Map<string, T>, name: string, length: number, make: (n: number) => T): T {
  if (length > MAX_POOLED) return make(length);
  let buffer = pool.get(name);
  if (!buffer || buffer.length < length) {
    buffer = make(Math.max(length, 16));
    pool.set(name, buffer);
  }
  return (buffer.length === length ? buffer : buffer.subarray(0, length)) as T;
}

/** A Float64Array of `length` values (content undefined) reserved for `name` until its next request. */
export function scratchFloat64(name: string, length: number): Float64Array {
  return fromPool(float64Pool, name, length, (n) => new Float64Array(n));
}

/** A Float32Array of `length` values (content undefined) reserved for `name` until its next request. */
export function scratchFloat32(name: string, length: number): Float32Array {
  return fromPool(float32Pool, name, length, (n) => new Float32Array(n));
}

/** A Uint8Array of `length` values (content undefined) reserved for `name` until its next request. */
export function scratchUint8(name: string, length: number): Uint8Array {
  return fromPool(uint8Pool, name, length, (n) => new Uint8Array(n));
}

/**
 * A plain array of n doubles, each 0, in V8's PACKED_DOUBLE elements kind (which later integer stores keep). Hot
 * loops read plain arrays at full speed even in a thread that has detached a buffer, where every typed-array access
 * is guarded (see corruption-pool.ts).
 */
export function doubles(n: number): number[] {
  const a: number[] = [];
  for (let i = 0; i < n; i++) a.push(0.5);
  a.fill(0);
  return a;
}

const doublesPool = new Map<string, number[]>();

/**
 * A plain double array of AT LEAST `length` values (content undefined; a plain array has no subarray) reserved for
 * `name` until its next request, under the same rules and size limit as the typed scratch buffers.
 */
export function scratchDoubles(name: string, length: number): number[] {
  if (length > MAX_POOLED) return doubles(length);
  let array = doublesPool.get(name);
  if (!array || array.length < length) {
    array = doubles(length);
    doublesPool.set(name, array);
  }
  return array;
}
