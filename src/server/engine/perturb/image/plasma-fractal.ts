// The diamond-square plasma fractal of the ImageNet-C / CIFAR-10-C `plasma_fractal(mapsize, wibbledecay)` (a
// modification of FLHerne/mapgen's diamondsquare.py), used by fog (and as a smooth random field by the frost texture).
//
// Algorithm, exactly as the reference: a square map of side `mapsize` (a power of two) with map[0, 0] = 0, step =
// mapsize, wibble = 100. While step >= 2: (1) "squares": every centre (i*step + h, j*step + h), h = step / 2, gets
// the sum of its four corners (wrapping around the map, like np.roll) / 4 + wibble * U(-wibble, wibble);
// (2) "diamonds": every (i*step, j*step + h) gets (centre above-left ... the two centres and two corners around it,
// wrapping) / 4 + wibble * U(-wibble, wibble), then every (i*step + h, j*step) likewise; then step /= 2 and
// wibble /= wibbledecay. Finally the map is shifted to start at 0 and divided by its maximum, so it spans [0, 1].
// Uniform draws are taken in the reference's order (per level: the squares row-major, then the first diamond set
// row-major, then the second), one `random.next()` each, U(-w, w) = -w + 2w * next().
// Degenerate case: a map whose values are all equal (mapsize 1) would divide 0 by 0 (NaN in the reference); it
// is returned as all zeros instead.
// Implementation (same values bit for bit, same draws): the uniforms are drawn first, in order, into a scratch
// array with one bulk fillNext (in a tight loop of its own, state in locals, the generator runs faster than
// between the map's loads and stores); the
// wrap-around neighbours are found with bit masks (the side is a power of two); the minimum and maximum are
// tracked while the values are generated, so the normalisation is one pass, (v - min) / (max - min). That equals
// the reference's "subtract the minimum, then divide by the new maximum" bit for bit, because rounding is
// monotonic: the largest (v - min) is exactly (max - min) rounded. `plasmaFractalRaw` leaves that last pass to the
// caller (fog fuses it with its own per-pixel loop and skips the cropped-off part of the map).
import type { RandomSource } from '../../types';
import { fillNext } from '../random';
import { scratchFloat64 } from './scratch';

/** The smallest power of two >= n (n >= 1). */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * A mapsize x mapsize plasma fractal (row-major, values in [0, 1]) drawn from `random`, in a new array.
 * `mapsize` must be a power of two (1 is allowed and gives [0]).
 */
export function plasmaFractal(mapsize: number, wibbleDecay: number, random: RandomSource): Float64Array {
  checkMapSize(mapsize);
  const map = new Float64Array(mapsize * mapsize);
  const { min, range } = plasmaFractalRaw(map, mapsize, wibbleDecay, random);
  for (let i = 0; i < map.length; i++) map[i] = (map[i] - min) / range;
  return map;
}

/** The normalisation of a raw plasma map: value = (raw - min) / range. */
export interface PlasmaRange {
  readonly min: number;
  readonly range: number;
}

/**
 * The same plasma fractal (same draws) BEFORE its normalisation, written into map[0 .. mapsize^2) (`map` may be
 * longer; its content is overwritten): `plasmaFractal`'s values are exactly (map[i] - min) / range with the
 * returned min and range. In the degenerate case (all values equal) the map is zeroed and (0, 1) returned.
 */
export function plasmaFractalRaw(map: Float64Array, mapsize: number, wibbleDecay: number, random: RandomSource): PlasmaRange {
  checkMapSize(mapsize);
  const n = mapsize;
  const size = n * n;
  if (map.length < size) throw new RangeError(`plasma fractal buffer too small: ${map.length} < ${size}`);
  const draws = scratchFloat64('plasma-draws', size);
  fillNext(random, draws, size - 1); // in bulk: the same values, in the same order, as one next() each
  let d = 0;
  const colMask = n - 1; // (column +- step) & colMask wraps around, as does (row offset +- rows) & indexMask
  const indexMask = size - 1;
  map[0] = 0; // every other entry is written before it is read
  let min = 0;
  let max = 0;
  let step = n;
  let wibble = 100;
  while (step >= 2) {
    const h = step >> 1;
    const rows = step * n; // offset between grid rows at this level
    const half = h * n; // offset of half a step down
    const lo = -wibble;
    const span = 2 * wibble;
    // Squares: centre = (four corners) / 4 + wibble * U(-wibble, wibble).
    for (let r0 = 0; r0 < size; r0 += rows) {
      const r1 = (r0 + rows) & indexMask;
      for (let c0 = 0; c0 < n; c0 += step) {
        const c1 = (c0 + step) & colMask;
        // numpy order: (C[i,j] + C[i+1,j]) + (C[i,j+1] + C[i+1,j+1])
        const sum = map[r0 + c0] + map[r1 + c0] + (map[r0 + c1] + map[r1 + c1]);
        const v = sum / 4 + wibble * (lo + span * draws[d++]);
        map[r0 + half + c0 + h] = v;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    // Diamonds, first set: (i*step, j*step + h) from the centres below/above and the corners left/right.
    for (let rowCorner = 0; rowCorner < size; rowCorner += rows) {
      const rowCentre = rowCorner + half;
      const rowCentreUp = (rowCentre - rows) & indexMask;
      for (let c = 0; c < n; c += step) {
        const cNext = (c + step) & colMask;
        const ldr = map[rowCentre + c + h] + map[rowCentreUp + c + h];
        const lul = map[rowCorner + c] + map[rowCorner + cNext];
        const v = (ldr + lul) / 4 + wibble * (lo + span * draws[d++]);
        map[rowCorner + c + h] = v;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    // Diamonds, second set: (i*step + h, j*step) from the centres left/right and the corners above/below.
    for (let rowCorner = 0; rowCorner < size; rowCorner += rows) {
      const rowCornerNext = (rowCorner + rows) & indexMask;
      const rowCentre = rowCorner + half;
      for (let c = 0; c < n; c += step) {
        const cPrev = (c - step) & colMask;
        const tdr = map[rowCentre + c + h] + map[rowCentre + cPrev + h];
        const tul = map[rowCorner + c] + map[rowCornerNext + c];
        const v = (tdr + tul) / 4 + wibble * (lo + span * draws[d++]);
        map[rowCentre + c] = v;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    step = h;
    wibble /= wibbleDecay;
  }
  const range = max - min;
  if (!(range > 0)) {
    map.fill(0, 0, size);
    return { min: 0, range: 1 };
  }
  return { min, range };
}

function checkMapSize(mapsize: number): void {
  if (!(Number.isInteger(mapsize) && mapsize >= 1 && (mapsize & (mapsize - 1)) === 0)) {
    throw new RangeError(`plasma fractal size must be a power of two, got ${mapsize}`);
  }
}
