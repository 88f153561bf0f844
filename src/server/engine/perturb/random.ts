// Seeded random numbers for the corruptions.
//
// Generator: xoshiro128** (Blackman & Vigna), 128 bits of state, 32-bit outputs, period 2^128 - 1, passes
// BigCrush. Every operation is a 32-bit integer operation (Math.imul, shifts), so the stream is the same on
// every machine. Uniforms use 53 bits (two outputs). Normals use the Marsaglia-Tsang ziggurat with 256 layers
// (one 32-bit output per draw ~99% of the time: 8 bits pick the layer, 1 bit the sign, 23 bits the position in
// the layer, so the values lie on a grid of at most 4.4e-7; the wedges and the tail beyond r = 3.654 are sampled
// exactly with 53-bit uniforms). Poisson draws use Knuth's multiplication method for small means and Hoermann's
// PTRS (the algorithm numpy uses) for means >= 10. Math.log / Math.exp / Math.sqrt are deterministic in V8
// (fdlibm ports and IEEE sqrt), and the ziggurat tables are computed with them at load time, so the same seed
// gives the same bytes on every machine. Math.random is never used.
//
// Also here: byte alias tables (Walker / Vose, one 32-bit draw per sample) and standard-normal interval
// probabilities, with which the noise corruptions sample the exact distribution of each output byte
// (image/noise-tables.ts).
//
// Streams: `seedFor(runSeed, corruption, severity, sampleId)` hashes all four inputs (murmur3-style absorbing of
// 32-bit words, the name hashed with FNV-1a over its UTF-16 code units, two lanes with different seeds for a
// 64-bit key) and expands the key into the 128-bit state with splitmix32. Changing any input gives an
// unrelated stream.
//
// Bulk draws: Xoshiro128.fillNext / fillNormal (and the fillNext / fillNormal functions, which fall back to one
// call per value for any other RandomSource) give exactly the values, in the same order, and the final state of
// the same number of next() / normal() calls; they only keep the state in local variables while they loop.
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

// ---- Ziggurat tables (Marsaglia & Tsang 2000, "The ziggurat method for generating random variables"), 256 layers
// of equal area ZIG_V under f(x) = exp(-x^2 / 2): layer 0 is the base strip [0, r] x [0, f(r)] plus the tail
// beyond r, of pseudo-width ZIG_X[0] = v / f(r); layer i >= 1 is the rectangle [0, ZIG_X[i]] x [f(ZIG_X[i]),
// f(ZIG_X[i + 1])], ZIG_X[1] = r > ZIG_X[2] > ... > ZIG_X[256] = 0.
const ZIG_R = 3.6541528853610088;
const ZIG_V = 0.00492867323399;
const TWO_POW_M23 = 1 / 8388608;
/** ZIG_X: layer right edges; ZIG_W: ZIG_X[i] / 2^23 (the position step of layer i); ZIG_F: f(ZIG_X[i]). */
const ZIG_X = new Float64Array(257);
const ZIG_W = new Float64Array(256);
const ZIG_F = new Float64Array(257);
{
  const f = (x: number): number => Math.exp(-0.5 * x * x);
  ZIG_X[0] = ZIG_V / f(ZIG_R);
  ZIG_X[1] = ZIG_R;
  for (let i = 1; i < 255; i++) ZIG_X[i + 1] = Math.sqrt(-2 * Math.log(ZIG_V / ZIG_X[i] + f(ZIG_X[i])));
  ZIG_X[256] = 0;
  for (let i = 0; i < 256; i++) ZIG_W[i] = ZIG_X[i] * TWO_POW_M23;
  for (let i = 0; i <= 256; i++) ZIG_F[i] = f(ZIG_X[i]);
  ZIG_F[0] = 0; // the base layer starts at height 0 (its wedge test is never used)
}

/** A seeded xoshiro128** generator implementing RandomSource, with integer, normal and Poisson helpers. */
export class Xoshiro128 implements RandomSource {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

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

  /**
   * Standard normal N(0, 1), 256-layer ziggurat. Fast path (~98.8% of draws): one 32-bit output u, layer
   * i = u & 255, sign = bit 8, position m = u >>> 9 (23 bits), z = m * ZIG_X[i] / 2^23, accepted when it lies
   * in the part of the layer that is entirely under the curve (z < ZIG_X[i + 1]).
   */
  normal(): number {
    // xoshiro128** step, inlined (nextUint32).
    const s0 = this.s0;
    const s1 = this.s1;
    const s2 = this.s2;
    const s3 = this.s3;
    const m5 = Math.imul(s1, 5);
    const u = Math.imul((m5 << 7) | (m5 >>> 25), 9);
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = s1 ^ n2;
    this.s0 = s0 ^ n3;
    this.s2 = n2 ^ (s1 << 9);
    this.s3 = (n3 << 11) | (n3 >>> 21);
    const i = u & 255;
    const z = (u >>> 9) * ZIG_W[i];
    // Branch-free sign (bit 8): the sign is a coin flip, a branch on it would be mispredicted half of the time.
    if (z < ZIG_X[i + 1]) return z * (1 - ((u >>> 7) & 2));
    return this.normalSlow(i, z, (u & 256) !== 0);
  }

  /** The ziggurat's rare cases: the tail (layer 0 beyond r) or a wedge (layer i >= 1 beyond ZIG_X[i + 1]). */
  private normalSlow(layer: number, z: number, negative: boolean): number {
    for (;;) {
      if (layer === 0) {
        // Marsaglia's tail method: r + x with x ~ Exp(r) accepted with probability exp(-x^2 / 2).
        let x: number;
        let y: number;
        do {
          x = -Math.log(1 - this.next()) / ZIG_R;
          y = -Math.log(1 - this.next());
        } while (y + y < x * x);
        return negative ? -(ZIG_R + x) : ZIG_R + x;
      }
      // Wedge: accept (z, y) with y uniform in [f(x_i), f(x_{i+1})) if y < f(z).
      const fi = ZIG_F[layer];
      if (fi + this.next() * (ZIG_F[layer + 1] - fi) < Math.exp(-0.5 * z * z)) return negative ? -z : z;
      // Rejected: a fresh draw (through the fast path first).
      const u = this.nextUint32();
      layer = u & 255;
      negative = (u & 256) !== 0;
      z = (u >>> 9) * ZIG_W[layer];
      if (z < ZIG_X[layer + 1]) return negative ? -z : z;
    }
  }

  /** A Poisson(lambda) draw (lambda >= 0); see `poisson`. */
  poisson(lambda: number): number {
    return poisson(this, lambda);
  }

  // ---- Bulk draws. Each fills out[offset .. offset + count) with exactly what `count` calls of the per-draw
  // method would return, in order, and leaves the generator in the same state: only faster, because the state
  // stays in local variables for the whole loop instead of being read and written back through the fields at
  // every step. The xoshiro128** step is the one of nextUint32, inlined.

  /** out[offset + k] = the k-th of `count` next() values (two outputs each). */
  fillNext(out: Float64Array, count: number, offset = 0): void {
    let s0 = this.s0 | 0; // | 0: int32 locals (the fields may hold heap numbers)
    let s1 = this.s1 | 0;
    let s2 = this.s2 | 0;
    let s3 = this.s3 | 0;
    for (let k = offset, end = offset + count; k < end; k++) {
      let m = Math.imul(s1, 5);
      const a = Math.imul((m << 7) | (m >>> 25), 9) >>> 5; // 27 bits
      let n2 = s2 ^ s0;
      let n3 = s3 ^ s1;
      s2 = n2 ^ (s1 << 9);
      s1 ^= n2;
      s0 ^= n3;
      s3 = (n3 << 11) | (n3 >>> 21);
      m = Math.imul(s1, 5);
      const b = Math.imul((m << 7) | (m >>> 25), 9) >>> 6; // 26 bits
      n2 = s2 ^ s0;
      n3 = s3 ^ s1;
      s2 = n2 ^ (s1 << 9);
      s1 ^= n2;
      s0 ^= n3;
      s3 = (n3 << 11) | (n3 >>> 21);
      out[k] = (a * TWO_POW_26 + b) / TWO_POW_53;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  /**
   * out[offset + k] = the k-th of `count` normal() values: the ziggurat's fast path inlined; a draw that misses it
   * writes the state back and finishes in normalSlow (the same code as normal()'s), then reloads the state.
   */
  fillNormal(out: Float64Array, count: number, offset = 0): void {
    let s0 = this.s0 | 0; // | 0: int32 locals (the fields may hold heap numbers)
    let s1 = this.s1 | 0;
    let s2 = this.s2 | 0;
    let s3 = this.s3 | 0;
    for (let k = offset, end = offset + count; k < end; k++) {
      const m5 = Math.imul(s1, 5);
      const u = Math.imul((m5 << 7) | (m5 >>> 25), 9);
      const n2 = s2 ^ s0;
      const n3 = s3 ^ s1;
      s2 = n2 ^ (s1 << 9);
      s1 ^= n2;
      s0 ^= n3;
      s3 = (n3 << 11) | (n3 >>> 21);
      const i = u & 255;
      const z = (u >>> 9) * ZIG_W[i];
      if (z < ZIG_X[i + 1]) {
        out[k] = z * (1 - ((u >>> 7) & 2));
        continue;
      }
      this.s0 = s0;
      this.s1 = s1;
      this.s2 = s2;
      this.s3 = s3;
      out[k] = this.normalSlow(i, z, (u & 256) !== 0);
      s0 = this.s0 | 0;
      s1 = this.s1 | 0;
      s2 = this.s2 | 0;
      s3 = this.s3 | 0;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }
}

/**
 * out[offset + k] = the k-th of `count` random.next() values: Xoshiro128's bulk fillNext, or one next() call per
 * value for any other source (the same values either way).
 */
export function fillNext(random: RandomSource, out: Float64Array, count: number, offset = 0): void {
  if (random instanceof Xoshiro128) random.fillNext(out, count, offset);
  else for (let k = offset, end = offset + count; k < end; k++) out[k] = random.next();
}

/**
 * out[offset + k] = the k-th of `count` random.normal() values: Xoshiro128's bulk fillNormal, or one normal() call
 * per value for any other source (the same values either way).
 */
export function fillNormal(random: RandomSource, out: Float64Array, count: number, offset = 0): void {
  if (random instanceof Xoshiro128) random.fillNormal(out, count, offset);
  else for (let k = offset, end = offset + count; k < end; k++) out[k] = random.normal();
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

/** 8-point Gauss-Legendre nodes and weights on [-1, 1] (Newton's method on P8, computed once at load). */
const GL_NODES = new Float64Array(8);
const GL_WEIGHTS = new Float64Array(8);
{
  const n = 8;
  for (let i = 0; i < n; i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let derivative = 1;
    for (let iteration = 0; iteration < 100; iteration++) {
      // P_n(x) and P_n'(x) by the three-term recurrence.
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      derivative = (n * (x * p1 - p0)) / (x * x - 1);
      const step = p1 / derivative;
      x -= step;
      if (Math.abs(step) < 1e-17) break;
    }
    GL_NODES[i] = x;
    GL_WEIGHTS[i] = 2 / ((1 - x * x) * derivative * derivative);
  }
}

/** Panel width of the quadrature in normalProbability and the range beyond which the density is ignored. */
const NORMAL_PANEL = 0.25;
const NORMAL_RANGE = 12;

/**
 * P(lo <= Z < hi) for a standard normal Z (lo, hi may be infinite): the density integrated with 8-point
 * Gauss-Legendre on panels at most 0.25 wide (relative error far below 1e-15 per panel), over [-12, 12] (the
 * mass outside is below 4e-33).
 */
export function normalProbability(lo: number, hi: number): number {
  const a = lo > -NORMAL_RANGE ? lo : -NORMAL_RANGE;
  const b = hi < NORMAL_RANGE ? hi : NORMAL_RANGE;
  if (!(b > a)) return 0;
  const panels = Math.ceil((b - a) / NORMAL_PANEL);
  const width = (b - a) / panels;
  const half = width / 2;
  let sum = 0;
  for (let p = 0; p < panels; p++) {
    const centre = a + (p + 0.5) * width;
    let panel = 0;
    for (let i = 0; i < 8; i++) {
      const z = centre + half * GL_NODES[i];
      panel += GL_WEIGHTS[i] * Math.exp(-0.5 * z * z);
    }
    sum += panel * half;
  }
  return sum * 0.3989422804014327; // 1 / sqrt(2 pi)
}

/** Column capacity of the byte alias tables: the low 24 bits of a 32-bit draw. */
const ALIAS_CAPACITY = 16777216;

/**
 * Walker's alias table (built with Vose's method) for a distribution over the 256 byte values, written into
 * `threshold` / `alias` at `offset` (256 entries each). It is sampled with one 32-bit draw u: the column
 * j = u >>> 24 gives the value j when (u & 0xffffff) < threshold[j], else alias[j]. The
 * probabilities (`weights` / their sum; weights >= 0, not all 0) are rounded to multiples of 2^-32 (their sum
 * kept exactly 1) and the table represents exactly those rounded probabilities: each value's probability is off
 * by less than 2^-32 (plus the float rounding of the normalisation) from the requested one.
 */
export function buildByteAliasTable(weights: ArrayLike<number>, threshold: Uint32Array, alias: Uint8Array, offset = 0): void {
  if (weights.length !== 256) throw new RangeError(`alias table: expected 256 weights, got ${weights.length}`);
  let sum = 0;
  for (let j = 0; j < 256; j++) {
    const w = weights[j];
    if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`alias table: weight ${j} is ${w}`);
    sum += w;
  }
  if (!(sum > 0)) throw new RangeError('alias table: all weights are 0');
  // Integer masses summing to exactly 2^32 = 256 columns of ALIAS_CAPACITY: rounded down, then the units left
  // over go to the largest remainders, so every mass is within one unit (2^-32) of the exact value.
  const mass = new Float64Array(256);
  const remainder = new Float64Array(256);
  let total = 0;
  for (let j = 0; j < 256; j++) {
    const exact = (weights[j] / sum) * TWO_POW_32;
    mass[j] = Math.floor(exact);
    remainder[j] = exact - mass[j];
    total += mass[j];
  }
  const order: number[] = [];
  for (let j = 0; j < 256; j++) if (remainder[j] > 0) order.push(j);
  order.sort((a, b) => remainder[b] - remainder[a] || a - b);
  if (order.length === 0) order.push(mass.indexOf(Math.max(...mass)));
  // (The leftover is below the number of non-zero remainders, up to the float rounding of the normalisation.)
  for (let k = 0; total < TWO_POW_32; k++, total++) mass[order[k % order.length]]++;
  for (; total > TWO_POW_32; total--) mass[order[0]]--; // float rounding the other way (never below 0 in practice)
  const small = new Int32Array(256);
  const large = new Int32Array(256);
  let ns = 0;
  let nl = 0;
  for (let j = 0; j < 256; j++) {
    if (mass[j] < ALIAS_CAPACITY) small[ns++] = j;
    else large[nl++] = j;
  }
  while (ns > 0 && nl > 0) {
    const s = small[--ns];
    const l = large[--nl];
    threshold[offset + s] = mass[s];
    alias[offset + s] = l;
    mass[l] -= ALIAS_CAPACITY - mass[s];
    if (mass[l] < ALIAS_CAPACITY) small[ns++] = l;
    else large[nl++] = l;
  }
  // Integer arithmetic is exact, so whatever is left holds exactly one full column.
  while (nl > 0) {
    const l = large[--nl];
    threshold[offset + l] = ALIAS_CAPACITY;
    alias[offset + l] = l;
  }
  while (ns > 0) {
    const s = small[--ns];
    threshold[offset + s] = ALIAS_CAPACITY;
    alias[offset + s] = s;
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
