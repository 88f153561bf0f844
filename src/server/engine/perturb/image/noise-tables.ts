// Per-value noise sampled from the exact distribution of the output byte. For gaussian_noise, speckle_noise and
// shot_noise the output byte of a channel value depends only on its input byte v (256 possibilities) and on one
// random variable, so instead of drawing the variable and converting (np.uint8(np.clip(y, 0, 1) * 255)), the
// distribution of the output byte is computed once per (parameter, v) and sampled with an alias table: one 32-bit
// draw, two table reads and a comparison per value. The distributions are exact up to the representation of
// each probability as a multiple of 2^-32 (see buildByteAliasTable) and the integration / summation limits
// documented with each weight function, all far below anything an image statistic can resolve.
import { buildByteAliasTable, normalProbability, Xoshiro128 } from '../random';

/** Alias tables of the output byte for each input byte v (256 entries from offset 256 v). */
export interface ByteNoiseTables {
  readonly threshold: Uint32Array;
  readonly alias: Uint8Array;
}

/** Tables kept per corruption (a run uses one or a few severities at a time; each set is 320 KB). */
const MAX_CACHED = 5;

/**
 * The tables for `key` from `cache`, built with `weights(v)` (unnormalised weights of the 256 output bytes for
 * input byte v) when missing; the least recently used set is dropped beyond MAX_CACHED.
 */
export function cachedNoiseTables(cache: Map<number, ByteNoiseTables>, key: number, weights: (v: number) => ArrayLike<number>): ByteNoiseTables {
  let tables = cache.get(key);
  if (tables) {
    cache.delete(key); // re-inserted below: most recently used last
  } else {
    const threshold = new Uint32Array(256 * 256);
    const alias = new Uint8Array(256 * 256);
    for (let v = 0; v < 256; v++) buildByteAliasTable(weights(v), threshold, alias, v * 256);
    tables = { threshold, alias };
    while (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value as number);
  }
  cache.set(key, tables);
  return tables;
}

/**
 * Weights of the output bytes np.uint8(np.clip(x + s * Z, 0, 1) * 255) for a standard normal Z (s > 0): byte b
 * takes the z interval [(b / 255 - x) / s, ((b + 1) / 255 - x) / s), byte 0 everything below and byte 255
 * everything from (1 - x) / s up (normalProbability: absolute error < 1e-15).
 */
export function clippedNormalByteWeights(x: number, s: number): Float64Array {
  const weights = new Float64Array(256);
  for (let b = 0; b < 256; b++) {
    const lo = b === 0 ? -Infinity : (b / 255 - x) / s;
    const hi = b === 255 ? Infinity : ((b + 1) / 255 - x) / s;
    weights[b] = normalProbability(lo, hi);
  }
  return weights;
}

/**
 * One output byte per input byte, drawn from the tables with one 32-bit draw each. (The corruptions use this with
 * their own seeded generator; any other RandomSource, e.g. one replaying numpy's stream, goes through the
 * reference formula instead, so that such a replay reproduces the reference's bytes.)
 */
export function sampleNoiseBytes(src: Uint8Array, tables: ByteNoiseTables, random: Xoshiro128): Uint8Array {
  const { threshold, alias } = tables;
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const u = random.nextUint32();
    const at = (src[i] << 8) | (u >>> 24);
    out[i] = (u & 0xffffff) < threshold[at] ? u >>> 24 : alias[at];
  }
  return out;
}
