// Seeded random numbers for the corruptions.
//
// Generator: xoshiro128** (Blackman & Vigna), 128 bits of state, 32-bit outputs, period 2^128 - 1, passes
// BigCrush. Every operation is a 32-bit integer operation (Math.imul, shifts), so the stream is the same on
// every machine. Uniforms use 53 bits (two outputs). Normals use Marsaglia's polar method with the spare value
// cached; Poisson draws use Knuth's multiplication method for small means and Hoermann's PTRS (the algorithm
// numpy uses) for means >= 10. Math.log / Math.exp / Math.sqrt are deterministic in V8 (fdlibm ports and
// IEEE sqrt), so the same seed gives the same bytes on every machine. Math.random is never used.
//
// Streams: `seedFor(runSeed, corruption, severity, sampleId)` hashes all four inputs (murmur3-style absorbing of
// 32-bit words, the name hashed with FNV-1a over its UTF-16 code units, two lanes with different seeds for a
// 64-bit key) and expands the key into the 128-bit state with splitmix32. Changing any input gives an
// unrelated stream.
import type { RandomSource } from '../types';

const TWO_POW_32 = 4294967296;
const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;

/** splitmix32 step: returns the next output of a splitmix32 sequence whose counter is `state`. */
function splitmix32(state: number): number {
  let z = (state + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** murmur3 finaliser: a full-avalanche 32-bit mix. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Absorbs one 32-bit word into a murmur3 hash state. */
function absorb(h: number, word: number): number {
  let k = Math.imul(word | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** FNV-1a (32-bit) of a string's UTF-16 code units. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Low and high 32-bit words of a safe integer (two's complement for negatives). */
function words(value: number): [number, number] {
  const lo = value >>> 0; // ToUint32 is value mod 2^32, also for negatives
  const hi = Math.floor((value - lo) / TWO_POW_32) | 0;
  return [lo, hi];
}

/** log(k!) for the PTRS acceptance test (numpy's random_loggam, Stirling series with exact small values). */
function logFactorial(k: number): number {
  if (k < LOG_FACTORIALS.length) return LOG_FACTORIALS[k];
  // Stirling series for log Gamma(k + 1), error < 1e-15 for k >= 16.
  const x = k + 1;
  const x2 = 1 / (x * x);
  const series = (((-1.0 / 1680) * x2 + 1.0 / 1260) * x2 - 1.0 / 360) * x2 + 1.0 / 12;
  return (x - 0.5) * Math.log(x) - x + 0.9189385332046728 + series / x;
}

const LOG_FACTORIALS: Float64Array = (() => {
  const table = new Float64Array(16);
  let acc = 0;
  for (let k = 1; k < table.length; k++) {
    acc += Math.log(k);
    table[k] = acc;
  }
  return table;
})();

/** A seeded xoshiro128** generator implementing RandomSource, with integer, normal and Poisson helpers. */
export class Xoshiro128 implements RandomSource {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare = 0;
  private hasSpare = false;

  /** Seeds the state from four 32-bit words (expanded through splitmix32, so any words are fine). */
  constructor(a: number, b = 0, c = 0, d = 0) {
    this.s0 = splitmix32(a ^ 0x6a09e667);
    this.s1 = splitmix32(b ^ 0xbb67ae85) ^ splitmix32(this.s0);
    this.s2 = splitmix32(c ^ 0x3c6ef372) ^ splitmix32(this.s1);
    this.s3 = splitmix32(d ^ 0xa54ff53a) ^ splitmix32(this.s2);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
    // Discard a few outputs so that close seeds are decorrelated even further.
    for (let i = 0; i < 4; i++) this.nextUint32();
  }

  /** A generator with exactly this raw state (not all zero), for checking against the published reference code. */
  static fromState(s0: number, s1: number, s2: number, s3: number): Xoshiro128 {
    if (((s0 | s1 | s2 | s3) >>> 0) === 0) throw new RangeError('xoshiro128** state must not be all zero');
    const random = new Xoshiro128(0);
    random.s0 = s0 | 0;
    random.s1 = s1 | 0;
    random.s2 = s2 | 0;
    random.s3 = s3 | 0;
    return random;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const s2 = this.s2;
    const s3 = this.s3;
    const m = Math.imul(s1, 5);
    const r = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = s1 ^ n2;
    this.s0 = s0 ^ n3;
    this.s2 = n2 ^ t;
    this.s3 = (n3 << 11) | (n3 >>> 21);
    return r >>> 0;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const a = this.nextUint32() >>> 5; // 27 bits
    const b = this.nextUint32() >>> 6; // 26 bits
    return (a * TWO_POW_26 + b) / TWO_POW_53;
  }

  /** Uniform in [0, 1) with 32 random bits (one output; for hot loops where 32 bits are enough). */
  next32(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform integer in [0, n) for 0 < n <= 2^32, without modulo bias. */
  nextInt(n: number): number {
    if (!(n > 0 && n <= TWO_POW_32)) throw new RangeError(`nextInt: n must be in (0, 2^32], got ${n}`);
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal N(0, 1), Marsaglia's polar method; the second value of each pair is cached. */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    this.hasSpare = true;
    return u * f;
  }

  /** A Poisson(lambda) draw (lambda >= 0); see `poisson`. */
  poisson(lambda: number): number {
    return poisson(this, lambda);
  }
}

/**
 * A Poisson(lambda) draw (lambda >= 0) from any uniform source: Knuth's multiplication method below 10,
 * PTRS (Hoermann 1993, "The transformed rejection method for generating Poisson random variables", as in numpy)
 * from 10 on.
 */
export function poisson(random: RandomSource, lambda: number): number {
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new RangeError(`poisson: lambda must be finite and >= 0, got ${lambda}`);
  if (lambda === 0) return 0;
  if (lambda < 10) {
    const limit = Math.exp(-lambda);
    let k = 0;
    let prod = random.next();
    while (prod > limit) {
      k++;
      prod *= random.next();
    }
    return k;
  }
  const slam = Math.sqrt(lambda);
  const loglam = Math.log(lambda);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const logInvAlpha = Math.log(1.1239 + 1.1328 / (b - 3.4));
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const U = random.next() - 0.5;
    const V = random.next();
    const us = 0.5 - Math.abs(U);
    if (us === 0) continue; // U = -0.5 exactly (probability 2^-53): avoid dividing by zero
    const k = Math.floor(((2 * a) / us + b) * U + lambda + 0.43);
    if (us >= 0.07 && V <= vr) return k;
    if (k < 0 || (us < 0.013 && V > us)) continue;
    if (Math.log(V) + logInvAlpha - Math.log(a / (us * us) + b) <= -lambda + k * loglam - logFactorial(k)) return k;
  }
}

/** A generator seeded from one number (any safe integer). */
export function createRandom(seed: number): Xoshiro128 {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`random seed must be a safe integer, got ${seed}`);
  const [lo, hi] = words(seed);
  return new Xoshiro128(fmix32(lo ^ 0x2545f491), fmix32(hi ^ 0x9e3779b9), lo, hi);
}

/**
 * The generator for one (run seed, corruption, severity, sample) cell: an independent stream derived by hashing
 * all four inputs. Same inputs give the same stream on every machine.
 */
export function seedFor(runSeed: number, corruption: string, severity: number, sampleId: number): Xoshiro128 {
  if (!Number.isSafeInteger(runSeed)) throw new RangeError(`run seed must be a safe integer, got ${runSeed}`);
  if (!Number.isSafeInteger(severity)) throw new RangeError(`severity must be an integer, got ${severity}`);
  if (!Number.isSafeInteger(sampleId)) throw new RangeError(`sample id must be a safe integer, got ${sampleId}`);
  const [seedLo, seedHi] = words(runSeed);
  const [idLo, idHi] = words(sampleId);
  const nameHash = fnv1a32(corruption);
  const input = [seedLo, seedHi, nameHash, corruption.length, severity | 0, idLo, idHi];
  // Two murmur3 lanes with different seeds give a 64-bit key.
  let h1 = 0x1b873593;
  let h2 = 0x5bd1e995;
  for (const w of input) {
    h1 = absorb(h1, w);
    h2 = absorb(h2, w ^ 0xa5a5a5a5);
  }
  h1 = fmix32(h1 ^ (input.length * 4));
  h2 = fmix32(h2 ^ (input.length * 4) ^ h1);
  return new Xoshiro128(h1, h2, fmix32(h1 + 0x7f4a7c15), fmix32(h2 + 0x632be5ab));
}
