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
import type { RandomSource } from '../../types';

/** The smallest power of two >= n (n >= 1). */
export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * A mapsize x mapsize plasma fractal (row-major, values in [0, 1]) drawn from `random`.
 * `mapsize` must be a power of two (1 is allowed and gives [0]).
 */
export function plasmaFractal(mapsize: number, wibbleDecay: number, random: RandomSource): Float64Array {
  if (!(Number.isInteger(mapsize) && mapsize >= 1 && (mapsize & (mapsize - 1)) === 0)) {
    throw new RangeError(`plasma fractal size must be a power of two, got ${mapsize}`);
  }
  const n = mapsize;
  const map = new Float64Array(n * n); // map[0] = 0; every other entry is written before it is read
  let step = n;
  let wibble = 100;
  while (step >= 2) {
    const h = step >> 1;
    const cells = n / step; // grid points per side at this level
    const lo = -wibble;
    const span = 2 * wibble;
    // Squares: centre = (four corners) / 4 + wibble * U(-wibble, wibble).
    for (let i = 0; i < cells; i++) {
      const r0 = i * step * n;
      const r1 = ((i + 1) % cells) * step * n;
      for (let j = 0; j < cells; j++) {
        const c0 = j * step;
        const c1 = ((j + 1) % cells) * step;
        // numpy order: (C[i,j] + C[i+1,j]) + (C[i,j+1] + C[i+1,j+1])
        const sum = map[r0 + c0] + map[r1 + c0] + (map[r0 + c1] + map[r1 + c1]);
        map[r0 + h * n + c0 + h] = sum / 4 + wibble * (lo + span * random.next());
      }
    }
    // Diamonds, first set: (i*step, j*step + h) from the centres below/above and the corners left/right.
    for (let i = 0; i < cells; i++) {
      const rowCorner = i * step * n;
      const rowCentre = (i * step + h) * n;
      const rowCentreUp = (((i - 1 + cells) % cells) * step + h) * n;
      for (let j = 0; j < cells; j++) {
        const c = j * step;
        const cNext = ((j + 1) % cells) * step;
        const ldr = map[rowCentre + c + h] + map[rowCentreUp + c + h];
        const lul = map[rowCorner + c] + map[rowCorner + cNext];
        map[rowCorner + c + h] = (ldr + lul) / 4 + wibble * (lo + span * random.next());
      }
    }
    // Diamonds, second set: (i*step + h, j*step) from the centres left/right and the corners above/below.
    for (let i = 0; i < cells; i++) {
      const rowCorner = i * step * n;
      const rowCornerNext = ((i + 1) % cells) * step * n;
      const rowCentre = (i * step + h) * n;
      for (let j = 0; j < cells; j++) {
        const c = j * step;
        const cPrev = ((j - 1 + cells) % cells) * step;
        const tdr = map[rowCentre + c + h] + map[rowCentre + cPrev + h];
        const tul = map[rowCorner + c] + map[rowCornerNext + c];
        map[rowCentre + c] = (tdr + tul) / 4 + wibble * (lo + span * random.next());
      }
    }
    step = h;
    wibble /= wibbleDecay;
  }
  let min = Infinity;
  for (let i = 0; i < map.length; i++) if (map[i] < min) min = map[i];
  let max = -Infinity;
  for (let i = 0; i < map.length; i++) {
    map[i] -= min;
    if (map[i] > max) max = map[i];
  }
  if (!(max > 0)) {
    map.fill(0);
    return map;
  }
  for (let i = 0; i < map.length; i++) map[i] /= max;
  return map;
}
