// The lossy part of a baseline JPEG encode + decode, without a codec. JPEG loses information only in the colour
// conversion, the chroma subsampling, the DCT quantisation and the decoder's upsampling; the Huffman entropy
// coding in between is lossless. So the round trip `decode(encode(x, quality))` is computed here directly, step by
// step as libjpeg-turbo does it with the settings Pillow uses for `Image.save(f, 'JPEG', quality=q)` and a plain
// `Image.open(f)`:
//  - RGB -> YCbCr with libjpeg's 16-bit fixed-point tables (jccolor.c), Cb/Cr rounding fudge 0.5 - epsilon;
//  - 4:2:0 subsampling (Pillow's default): libjpeg's h2v2_downsample, 2x2 box average with the alternating
//    bias 1, 2, 1, 2 ... per output row;
//  - edges: the image is padded by replicating its last column / row to whole blocks (expand_right_edge,
//    expand_bottom_edge; the full-resolution rows are first padded to an even count, the downsampled rows then
//    to whole blocks), exactly as jcprepct.c / jcsample.c do;
//  - level shift by 128, 8x8 forward DCT with libjpeg's 'islow' integer algorithm (jfdctint.c, the default
//    JDCT_ISLOW), quantisation with rounding, |c| -> (|c| + d/2) / d with d = 8 * table entry (jcdctmgr.c);
//  - tables: the IJG tables of Annex K scaled by the quality (jpeg_quality_scaling: q < 50 -> 5000 / q, else
//    200 - 2q; (t * scale + 50) / 100 clamped to 1..255 for baseline);
//  - decoding: dequantise, inverse 'islow' DCT (jidctint.c) with libjpeg's range-limit table, 'fancy' h2v2
//    upsampling (jdsample.c h2v2_fancy_upsample, the triangle filter 9/16, 3/16, 3/16, 1/16 with biases 8 / 7 and
//    edge rows replicated as jdmainct.c does; plain box upsampling when the chroma plane is at most 2 columns
//    wide, as libjpeg-turbo chooses), YCbCr -> RGB with libjpeg's tables (jdcolor.c), clamped;
//  - grey images are encoded as one-component (luminance only) JPEGs, like Pillow saves mode 'L'.
// Integer arithmetic is done in doubles (exact for these magnitudes) on blocks held in Int32Arrays, and descaled
// with 32-bit shifts.
// Checked bit for bit against Pillow's output (the reference arrays) and against libjpeg-turbo through sharp
// (odd sizes from 1x1 up, grey and RGB, qualities 1-95).
import type { Image } from '../../types';

/** IJG / JPEG Annex K luminance quantisation table, natural (row-major) order. */
export const STD_LUMINANCE_TABLE: readonly number[] = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22,
  37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/** IJG / JPEG Annex K chrominance quantisation table, natural order. */
export const STD_CHROMINANCE_TABLE: readonly number[] = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
];

/** libjpeg's jpeg_quality_scaling: the percentage the standard tables are scaled by. */
export function qualityScaling(quality: number): number {
  let q = Math.trunc(quality);
  if (q <= 0) q = 1;
  if (q > 100) q = 100;
  return q < 50 ? Math.trunc(5000 / q) : 200 - q * 2;
}

/** libjpeg's jpeg_add_quant_table with force_baseline: (t * scale + 50) / 100, clamped to 1..255. */
export function scaledQuantTable(basic: readonly number[], quality: number): Int32Array {
  const scale = qualityScaling(quality);
  const table = new Int32Array(64);
  for (let i = 0; i < 64; i++) {
    let t = Math.trunc((basic[i] * scale + 50) / 100);
    if (t <= 0) t = 1;
    if (t > 255) t = 255;
    table[i] = t;
  }
  return table;
}

// ---- colour conversion tables (jccolor.c, jdcolor.c), SCALEBITS = 16 ----
const SCALEBITS = 16;
const ONE_HALF = 1 << (SCALEBITS - 1);
const CBCR_OFFSET = 128 * 65536;
const fix = (x: number): number => Math.trunc(x * 65536 + 0.5);

const R_Y = new Int32Array(256);
const G_Y = new Int32Array(256);
const B_Y = new Int32Array(256);
const R_CB = new Int32Array(256);
const G_CB = new Int32Array(256);
const B_CB = new Int32Array(256); // also R_CR
const G_CR = new Int32Array(256);
const B_CR = new Int32Array(256);
const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  R_Y[i] = fix(0.299) * i;
  G_Y[i] = fix(0.587) * i;
  B_Y[i] = fix(0.114) * i + ONE_HALF;
  R_CB[i] = -fix(0.16874) * i;
  G_CB[i] = -fix(0.33126) * i;
  B_CB[i] = fix(0.5) * i + CBCR_OFFSET + ONE_HALF - 1;
  G_CR[i] = -fix(0.41869) * i;
  B_CR[i] = -fix(0.08131) * i;
  const x = i - 128;
  CR_R[i] = (fix(1.402) * x + ONE_HALF) >> SCALEBITS;
  CB_B[i] = (fix(1.772) * x + ONE_HALF) >> SCALEBITS;
  CR_G[i] = -fix(0.71414) * x;
  CB_G[i] = -fix(0.34414) * x + ONE_HALF;
}

// ---- islow DCT constants (jfdctint.c / jidctint.c), CONST_BITS = 13, PASS1_BITS = 2 ----
const F_0_298631336 = 2446;
const F_0_390180644 = 3196;
const F_0_541196100 = 4433;
const F_0_765366865 = 6270;
const F_0_899976223 = 7373;
const F_1_175875602 = 9633;
const F_1_501321110 = 12299;
const F_1_847759065 = 15137;
const F_1_961570560 = 16069;
const F_2_053119869 = 16819;
const F_2_562915447 = 20995;
const F_3_072711026 = 25172;

/**
 * DESCALE(x, n) = (x + 2^(n-1)) >> n, an arithmetic shift. The products and sums are exact in doubles, and every
 * value reaching here fits in 32 bits (libjpeg-turbo's SIMD islow DCTs, bit-exact with the C code, also keep
 * 32-bit intermediates), so ToInt32 followed by >> is exact.
 */
function descale(x: number, n: number): number {
  return ((x + (1 << (n - 1))) | 0) >> n;
}

/**
 * jpeg_fdct_islow of the 8x8 samples of `plane` at `offset` (row stride `stride`) into `d`; the results are 8x
 * the true DCT coefficients. The level shift by 128 is folded into the row pass as libjpeg-turbo's jfdctint.c
 * does it (only the row's DC term sees it: 8 * 128 is subtracted from the sum), which is exact.
 */
function forwardDct(plane: Uint8Array, offset: number, stride: number, d: Int32Array): void {
  for (let r = 0, s = offset; r < 64; r += 8, s += stride) {
    const tmp0 = plane[s] + plane[s + 7];
    let tmp7 = plane[s] - plane[s + 7];
    const tmp1 = plane[s + 1] + plane[s + 6];
    let tmp6 = plane[s + 1] - plane[s + 6];
    const tmp2 = plane[s + 2] + plane[s + 5];
    let tmp5 = plane[s + 2] - plane[s + 5];
    const tmp3 = plane[s + 3] + plane[s + 4];
    let tmp4 = plane[s + 3] - plane[s + 4];
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    d[r] = (tmp10 + tmp11 - 1024) * 4;
    d[r + 4] = (tmp10 - tmp11) * 4;
    let z1 = (tmp12 + tmp13) * F_0_541196100;
    d[r + 2] = descale(z1 + tmp13 * F_0_765366865, 11);
    d[r + 6] = descale(z1 - tmp12 * F_1_847759065, 11);
    z1 = tmp4 + tmp7;
    let z2 = tmp5 + tmp6;
    let z3 = tmp4 + tmp6;
    let z4 = tmp5 + tmp7;
    const z5 = (z3 + z4) * F_1_175875602;
    tmp4 *= F_0_298631336;
    tmp5 *= F_2_053119869;
    tmp6 *= F_3_072711026;
    tmp7 *= F_1_501321110;
    z1 *= -F_0_899976223;
    z2 *= -F_2_562915447;
    z3 = z3 * -F_1_961570560 + z5;
    z4 = z4 * -F_0_390180644 + z5;
    d[r + 7] = descale(tmp4 + z1 + z3, 11);
    d[r + 5] = descale(tmp5 + z2 + z4, 11);
    d[r + 3] = descale(tmp6 + z2 + z3, 11);
    d[r + 1] = descale(tmp7 + z1 + z4, 11);
  }
  for (let c = 0; c < 8; c++) {
    const tmp0 = d[c] + d[c + 56];
    let tmp7 = d[c] - d[c + 56];
    const tmp1 = d[c + 8] + d[c + 48];
    let tmp6 = d[c + 8] - d[c + 48];
    const tmp2 = d[c + 16] + d[c + 40];
    let tmp5 = d[c + 16] - d[c + 40];
    const tmp3 = d[c + 24] + d[c + 32];
    let tmp4 = d[c + 24] - d[c + 32];
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    d[c] = descale(tmp10 + tmp11, 2);
    d[c + 32] = descale(tmp10 - tmp11, 2);
    let z1 = (tmp12 + tmp13) * F_0_541196100;
    d[c + 16] = descale(z1 + tmp13 * F_0_765366865, 15);
    d[c + 48] = descale(z1 - tmp12 * F_1_847759065, 15);
    z1 = tmp4 + tmp7;
    let z2 = tmp5 + tmp6;
    let z3 = tmp4 + tmp6;
    let z4 = tmp5 + tmp7;
    const z5 = (z3 + z4) * F_1_175875602;
    tmp4 *= F_0_298631336;
    tmp5 *= F_2_053119869;
    tmp6 *= F_3_072711026;
    tmp7 *= F_1_501321110;
    z1 *= -F_0_899976223;
    z2 *= -F_2_562915447;
    z3 = z3 * -F_1_961570560 + z5;
    z4 = z4 * -F_0_390180644 + z5;
    d[c + 56] = descale(tmp4 + z1 + z3, 15);
    d[c + 40] = descale(tmp5 + z2 + z4, 15);
    d[c + 24] = descale(tmp6 + z2 + z3, 15);
    d[c + 8] = descale(tmp7 + z1 + z4, 15);
  }
}

/** libjpeg's IDCT output range limit table: index (x + 128) & 1023 wraps around, clamping to 0..255. */
const RANGE_LIMIT: Uint8Array = (() => {
  const table = new Uint8Array(1024);
  for (let i = 0; i < 1024; i++) table[i] = i < 128 ? i + 128 : i < 512 ? 255 : i < 896 ? 0 : i - 896;
  return table;
})();

/** libjpeg's IDCT output range limit: (x + 128) through the 1024-entry wrap-around table (clamps to 0..255). */
function idctLimit(x: number): number {
  return RANGE_LIMIT[x & 1023];
}

/**
 * jpeg_idct_islow on 64 dequantised coefficients (natural order), writing 8x8 samples into `out` at `offset`
 * with row stride `stride`. `ws` is a 64-entry work array.
 */
function inverseDct(coef: Int32Array, ws: Int32Array, out: Uint8Array, offset: number, stride: number): void {
  // Pass 1: columns.
  for (let c = 0; c < 8; c++) {
    if (coef[c + 8] === 0 && coef[c + 16] === 0 && coef[c + 24] === 0 && coef[c + 32] === 0 && coef[c + 40] === 0 && coef[c + 48] === 0 && coef[c + 56] === 0) {
      const dc = coef[c] * 4;
      for (let k = 0; k < 64; k += 8) ws[c + k] = dc;
      continue;
    }
    let z2 = coef[c + 16];
    let z3 = coef[c + 48];
    let z1 = (z2 + z3) * F_0_541196100;
    let tmp2 = z1 - z3 * F_1_847759065;
    let tmp3 = z1 + z2 * F_0_765366865;
    z2 = coef[c];
    z3 = coef[c + 32];
    let tmp0 = (z2 + z3) * 8192;
    let tmp1 = (z2 - z3) * 8192;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp0 = coef[c + 56];
    tmp1 = coef[c + 40];
    tmp2 = coef[c + 24];
    tmp3 = coef[c + 8];
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * F_1_175875602;
    tmp0 *= F_0_298631336;
    tmp1 *= F_2_053119869;
    tmp2 *= F_3_072711026;
    tmp3 *= F_1_501321110;
    z1 *= -F_0_899976223;
    z2 *= -F_2_562915447;
    z3 = z3 * -F_1_961570560 + z5;
    z4 = z4 * -F_0_390180644 + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;
    ws[c] = descale(tmp10 + tmp3, 11);
    ws[c + 56] = descale(tmp10 - tmp3, 11);
    ws[c + 8] = descale(tmp11 + tmp2, 11);
    ws[c + 48] = descale(tmp11 - tmp2, 11);
    ws[c + 16] = descale(tmp12 + tmp1, 11);
    ws[c + 40] = descale(tmp12 - tmp1, 11);
    ws[c + 24] = descale(tmp13 + tmp0, 11);
    ws[c + 32] = descale(tmp13 - tmp0, 11);
  }
  // Pass 2: rows.
  for (let r = 0; r < 8; r++) {
    const w = r * 8;
    const o = offset + r * stride;
    if (ws[w + 1] === 0 && ws[w + 2] === 0 && ws[w + 3] === 0 && ws[w + 4] === 0 && ws[w + 5] === 0 && ws[w + 6] === 0 && ws[w + 7] === 0) {
      const v = idctLimit(descale(ws[w], 5));
      for (let k = 0; k < 8; k++) out[o + k] = v;
      continue;
    }
    let z2 = ws[w + 2];
    let z3 = ws[w + 6];
    let z1 = (z2 + z3) * F_0_541196100;
    let tmp2 = z1 - z3 * F_1_847759065;
    let tmp3 = z1 + z2 * F_0_765366865;
    let tmp0 = (ws[w] + ws[w + 4]) * 8192;
    let tmp1 = (ws[w] - ws[w + 4]) * 8192;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp0 = ws[w + 7];
    tmp1 = ws[w + 5];
    tmp2 = ws[w + 3];
    tmp3 = ws[w + 1];
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * F_1_175875602;
    tmp0 *= F_0_298631336;
    tmp1 *= F_2_053119869;
    tmp2 *= F_3_072711026;
    tmp3 *= F_1_501321110;
    z1 *= -F_0_899976223;
    z2 *= -F_2_562915447;
    z3 = z3 * -F_1_961570560 + z5;
    z4 = z4 * -F_0_390180644 + z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;
    out[o] = idctLimit(descale(tmp10 + tmp3, 18));
    out[o + 7] = idctLimit(descale(tmp10 - tmp3, 18));
    out[o + 1] = idctLimit(descale(tmp11 + tmp2, 18));
    out[o + 6] = idctLimit(descale(tmp11 - tmp2, 18));
    out[o + 2] = idctLimit(descale(tmp12 + tmp1, 18));
    out[o + 5] = idctLimit(descale(tmp12 - tmp1, 18));
    out[o + 3] = idctLimit(descale(tmp13 + tmp0, 18));
    out[o + 4] = idctLimit(descale(tmp13 - tmp0, 18));
  }
}

/** Per quality: the two scaled tables, and for each the quantisation divisors' reciprocals (see roundTripPlane). */
interface QuantTables {
  readonly luma: Int32Array;
  readonly chroma: Int32Array;
  readonly lumaInverses: Float64Array;
  readonly chromaInverses: Float64Array;
}

/** 1 / d for the divisors d = 8 * table entry that jcdctmgr.c divides the forward DCT's output by. */
function inversesOf(table: Int32Array): Float64Array {
  const inverses = new Float64Array(64);
  for (let i = 0; i < 64; i++) inverses[i] = 1 / (table[i] * 8);
  return inverses;
}

/**
 * Added to the quotient before truncation, see roundTripPlane. The quotient (|x| + d / 2) / d = |x| / d + 1 / 2
 * is either an integer or at least 1 / d >= 1 / 2040 below the next one, and |x| * (1 / d) + 1 / 2 in doubles is
 * within 2^-33 of it for |x| < 2^18, so adding QUOTIENT_EPSILON and truncating gives the exact integer quotient.
 * Checked exhaustively as computed,
 * (|x| * (1 / d) + (0.5 + QUOTIENT_EPSILON)) | 0 against the integer division, for every baseline divisor and
 * |x| < 2^18 (the forward DCT's output stays below 2^15 in magnitude).
 */
const QUOTIENT_EPSILON = 1e-6;

const block = new Int32Array(64);
const ws = new Int32Array(64);
const edgeBlock = new Uint8Array(64);

/**
 * Encodes and decodes one component plane of w x h samples (row stride `stride`) from `src` into `dst` (same
 * stride; may be `src` itself, each block is read before it is written). The plane is treated as padded to whole
 * 8x8 blocks by replicating its last column and row (expand_right_edge, expand_bottom_edge): a block crossing the
 * right or bottom edge is gathered padded into an 8x8 buffer and only its samples inside the plane are written
 * back. Every block goes through level shift, forward DCT, quantisation, dequantisation and inverse DCT.
 * `inverses` holds 1 / (8 * table entry).
 */
function roundTripPlane(
  src: Uint8Array,
  dst: Uint8Array,
  w: number,
  h: number,
  stride: number,
  table: Int32Array,
  inverses: Float64Array,
): void {
  for (let by = 0; by < h; by += 8) {
    const rows = h - by < 8 ? h - by : 8;
    for (let bx = 0; bx < w; bx += 8) {
      const cols = w - bx < 8 ? w - bx : 8;
      const offset = by * stride + bx;
      const inside = rows === 8 && cols === 8;
      if (inside) {
        forwardDct(src, offset, stride, block);
      } else {
        for (let r = 0; r < 8; r++) {
          const row = offset + (r < rows ? r : rows - 1) * stride;
          for (let c = 0; c < 8; c++) edgeBlock[r * 8 + c] = src[row + (c < cols ? c : cols - 1)];
        }
        forwardDct(edgeBlock, 0, 8, block);
      }
      // jcdctmgr.c quantize: |x| -> (|x| + d/2) / d (integer division, d = 8 q, even), keep the sign; the decoder
      // multiplies back by q. The quotient comes from a multiplication by 1 / d, made exact by QUOTIENT_EPSILON.
      // With s = x >> 31 (0, or -1 when x < 0), (x ^ s) - s is |x| and (level ^ s) - s gives the sign back,
      // without branches (the signs are unpredictable) and in integer arithmetic (a -0 from -level would make V8
      // fall back to slower float code).
      const x0 = block[0];
      const s0 = x0 >> 31;
      const dc = (((x0 ^ s0) - s0) * inverses[0] + (0.5 + QUOTIENT_EPSILON)) | 0;
      block[0] = ((dc ^ s0) - s0) * table[0];
      let ac = 0; // any non-zero quantised AC coefficient
      for (let i = 1; i < 64; i++) {
        const x = block[i];
        const s = x >> 31;
        const level = (((x ^ s) - s) * inverses[i] + (0.5 + QUOTIENT_EPSILON)) | 0;
        block[i] = ((level ^ s) - s) * table[i];
        ac |= level;
      }
      if (ac === 0) {
        // DC only: jpeg_idct_islow's column pass gives 4 DC in column 0 and zeros elsewhere, then every row takes
        // its all-zero-AC shortcut, so all 64 samples are the same value.
        const v = idctLimit(descale(block[0] * 4, 5));
        for (let r = 0, o = offset; r < rows; r++, o += stride) for (let c = 0; c < cols; c++) dst[o + c] = v;
      } else if (inside) {
        inverseDct(block, ws, dst, offset, stride);
      } else {
        inverseDct(block, ws, edgeBlock, 0, 8);
        for (let r = 0, o = offset; r < rows; r++, o += stride) for (let c = 0; c < cols; c++) dst[o + c] = edgeBlock[r * 8 + c];
      }
    }
  }
}

/**
 * libjpeg's h2v2_downsample of a w x h plane into `out`, a cpw x cph plane (edge replication, bias 1, 2, 1, 2 ...).
 */
function downsampleH2V2(src: Uint8Array, w: number, h: number, cpw: number, cph: number, out: Uint8Array): void {
  const ch = (h + 1) >> 1; // rows produced from the even-padded full-resolution rows
  for (let r = 0; r < cph; r++) {
    const o = r * cpw;
    if (r >= ch) {
      out.copyWithin(o, (ch - 1) * cpw, ch * cpw);
      continue;
    }
    const row0 = 2 * r * w;
    const row1 = Math.min(2 * r + 1, h - 1) * w;
    let bias = 1;
    for (let c = 0; c < cpw; c++) {
      const x0 = Math.min(2 * c, w - 1);
      const x1 = Math.min(2 * c + 1, w - 1);
      out[o + c] = (src[row0 + x0] + src[row0 + x1] + src[row1 + x0] + src[row1 + x1] + bias) >> 2;
      bias ^= 3;
    }
  }
}

/**
 * Row y (of h) of libjpeg-turbo's upsampling of a decoded chroma plane (stride cpw, cw x ch real samples) to
 * width w, into `row` (at least 2 cw entries): h2v2 'fancy' (triangle) upsampling, or the plain 2x2 replication
 * when cw <= 2. `sums` is a work array of cw entries.
 */
function upsampleRowH2V2(plane: Uint8Array, cpw: number, cw: number, ch: number, w: number, y: number, sums: Int32Array, row: Uint8Array): void {
  const r = y >> 1;
  if (cw <= 2) {
    for (let x = 0; x < w; x++) row[x] = plane[r * cpw + (x >> 1)];
    return;
  }
  let further = (y & 1) === 0 ? r - 1 : r + 1;
  if (further < 0) further = 0;
  if (further > ch - 1) further = ch - 1;
  const near = r * cpw;
  const far = further * cpw;
  for (let c = 0; c < cw; c++) sums[c] = plane[near + c] * 3 + plane[far + c];
  row[0] = (sums[0] * 4 + 8) >> 4;
  row[1] = (sums[0] * 3 + sums[1] + 7) >> 4;
  for (let c = 1; c < cw - 1; c++) {
    row[2 * c] = (sums[c] * 3 + sums[c - 1] + 8) >> 4;
    row[2 * c + 1] = (sums[c] * 3 + sums[c + 1] + 7) >> 4;
  }
  row[2 * cw - 2] = (sums[cw - 1] * 3 + sums[cw - 2] + 8) >> 4;
  row[2 * cw - 1] = (sums[cw - 1] * 4 + 7) >> 4;
}

const tableCache = new Map<number, QuantTables>();

function tablesFor(quality: number): QuantTables {
  let tables = tableCache.get(quality);
  if (!tables) {
    const luma = scaledQuantTable(STD_LUMINANCE_TABLE, quality);
    const chroma = scaledQuantTable(STD_CHROMINANCE_TABLE, quality);
    tables = { luma, chroma, lumaInverses: inversesOf(luma), chromaInverses: inversesOf(chroma) };
    tableCache.set(quality, tables);
  }
  return tables;
}

// Work buffers, reused from call to call (the round trip is synchronous and returns fresh pixels); a buffer larger
// than SCRATCH_LIMIT is allocated for the call only. Every function indexes them with explicit strides, so a
// buffer may be longer than the plane it holds.
const SCRATCH_LIMIT = 1 << 20;
const LUMA = 0;
const CB_FULL = 1;
const CR_FULL = 2;
const CB = 3;
const CR = 4;
const CB_ROW = 5;
const CR_ROW = 6;
const scratch: Uint8Array[] = [];
let sumsScratch = new Int32Array(0);

function scratchBuffer(slot: number, size: number): Uint8Array {
  let buffer = scratch[slot];
  if (buffer === undefined || buffer.length < size) {
    buffer = new Uint8Array(size);
    if (size <= SCRATCH_LIMIT) scratch[slot] = buffer;
  }
  return buffer;
}

/** The image after a baseline JPEG encode at `quality` (1..100) and decode, as Pillow + libjpeg-turbo give it. */
export function jpegRoundTrip(image: Image, quality: number): Image {
  const { height: h, width: w, channels, pixels } = image;
  const tables = tablesFor(Math.trunc(quality));
  if (channels === 1) {
    const out = new Uint8Array(w * h);
    roundTripPlane(pixels, out, w, h, w, tables.luma, tables.lumaInverses);
    return { height: h, width: w, channels: 1, pixels: out };
  }
  // Colour conversion at full resolution; luminance is then coded in place, chroma downsampled first.
  const n = w * h;
  const y = scratchBuffer(LUMA, n);
  const cbPlane = scratchBuffer(CB_FULL, n);
  const crPlane = scratchBuffer(CR_FULL, n);
  for (let i = 0, p = 0; i < n; i++, p += 3) {
    const r = pixels[p];
    const g = pixels[p + 1];
    const b = pixels[p + 2];
    y[i] = (R_Y[r] + G_Y[g] + B_Y[b]) >> SCALEBITS;
    cbPlane[i] = (R_CB[r] + G_CB[g] + B_CB[b]) >> SCALEBITS;
    crPlane[i] = (B_CB[r] + G_CR[g] + B_CR[b]) >> SCALEBITS;
  }
  roundTripPlane(y, y, w, h, w, tables.luma, tables.lumaInverses);
  // Chrominance: one sample per 2x2, planes of whole blocks of the 16x16 MCU.
  const cw = (w + 1) >> 1;
  const ch = (h + 1) >> 1;
  const cpw = Math.ceil(w / 16) * 8;
  const cph = Math.ceil(h / 16) * 8;
  const cb = scratchBuffer(CB, cpw * cph);
  const cr = scratchBuffer(CR, cpw * cph);
  downsampleH2V2(cbPlane, w, h, cpw, cph, cb);
  downsampleH2V2(crPlane, w, h, cpw, cph, cr);
  roundTripPlane(cb, cb, cpw, cph, cpw, tables.chroma, tables.chromaInverses);
  roundTripPlane(cr, cr, cpw, cph, cpw, tables.chroma, tables.chromaInverses);
  // Upsampling and YCbCr -> RGB, one row at a time.
  if (sumsScratch.length < cw) sumsScratch = new Int32Array(cw);
  const sums = sumsScratch;
  const cbRow = scratchBuffer(CB_ROW, 2 * cw);
  const crRow = scratchBuffer(CR_ROW, 2 * cw);
  const out = new Uint8Array(n * 3);
  for (let row = 0, i = 0; row < h; row++) {
    upsampleRowH2V2(cb, cpw, cw, ch, w, row, sums, cbRow);
    upsampleRowH2V2(cr, cpw, cw, ch, w, row, sums, crRow);
    const yRow = row * w;
    for (let x = 0; x < w; x++, i++) {
      const lum = y[yRow + x];
      const cbv = cbRow[x];
      const crv = crRow[x];
      const rv = lum + CR_R[crv];
      const gv = lum + ((CB_G[cbv] + CR_G[crv]) >> SCALEBITS);
      const bv = lum + CB_B[cbv];
      out[i * 3] = rv < 0 ? 0 : rv > 255 ? 255 : rv;
      out[i * 3 + 1] = gv < 0 ? 0 : gv > 255 ? 255 : gv;
      out[i * 3 + 2] = bv < 0 ? 0 : bv > 255 ? 255 : bv;
    }
  }
  return { height: h, width: w, channels: 3, pixels: out };
}
