// Bench (a): milliseconds per image of each implemented corruption at severity 3, at 32x32 (cifar preset) and
// 224x224 (imagenet preset), on one core (in this thread) and with all cores (a pool of one worker per core),
// beside the reference figures of /work/shared/reference/corruptions/PARAMETERS.md (2-vCPU machine, one
// severity). The sum over the 15 benchmark corruptions is checked against the targets (PASS/MISS lines).
import * as path from 'node:path';
import sharp from 'sharp';
import { applyCorruption, BENCHMARK_CORRUPTIONS, CORRUPTION_NAMES, implementedCorruptions } from '../src/server/engine/perturb/image/registry';
import { corruptBatch, shareImages, type CorruptionPool } from '../src/server/engine/run/corruption-pool';
import type { Image, ParameterPreset } from '../src/server/engine/types';
import { cores, fmt, median, pad, padLeft, warmPool } from './common';

const REFERENCE_DIR = '/work/shared/reference/corruptions';
const SEVERITY = 3;

/** Target sums over the 15 benchmark corruptions, ms per image on one core. */
const TARGET_MS = { 32: 1.3, 224: 40 } as const;
/** Published reference sums (original scripts; imagecorruptions), ms per image, 2-vCPU machine. */
const REFERENCE_SUM = { 32: { original: [13, 13] }, 224: { original: [651, 700], imagecorruptions: [111, 139] } } as const;
const REFERENCE_ONE: Record<string, Partial<Record<32 | 224, number>>> = { glass_blur: { 224: 450 } };

interface Size {
  readonly side: 32 | 224;
  readonly preset: ParameterPreset;
  /** Wall time aimed at per timed repeat. */
  readonly repeatMs: number;
  readonly repeats: number;
}

const SIZES: readonly Size[] = [
  { side: 32, preset: 'cifar', repeatMs: 40, repeats: 7 },
  { side: 224, preset: 'imagenet', repeatMs: 150, repeats: 3 },
];

async function referenceImage(side: number): Promise<Image> {
  const file = path.join(REFERENCE_DIR, `synth_${side}.png`);
  try {
    const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    return { height: info.height, width: info.width, channels: 3, pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() };
  } catch {
    // Without the reference image: a deterministic textured image.
    const pixels = new Uint8Array(side * side * 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
    return { height: side, width: side, channels: 3, pixels };
  }
}

export interface SpeedRow {
  readonly name: string;
  readonly benchmark: boolean;
  /** ms per image: [side] -> { one core, all cores } */
  readonly ms: Record<number, { one: number; all: number }>;
}

async function timeOneCore(image: Image, name: string, size: Size): Promise<number> {
  // Warm up (JIT tiers, caches) for about one repeat's time, then size the repeats from the warm-up's speed.
  let calls = 0;
  let t = performance.now();
  while (calls < 3 || performance.now() - t < size.repeatMs) applyCorruption(image, name, SEVERITY, size.preset, 1, 1000 + calls++);
  t = performance.now();
  applyCorruption(image, name, SEVERITY, size.preset, 1, 2000);
  const single = Math.max(performance.now() - t, 1e-3);
  const count = Math.max(1, Math.min(500, Math.round(size.repeatMs / single)));
  const perImage: number[] = [];
  for (let r = 0; r < size.repeats; r++) {
    t = performance.now();
    for (let i = 0; i < count; i++) applyCorruption(image, name, SEVERITY, size.preset, 1, r * count + i);
    perImage.push((performance.now() - t) / count);
  }
  return median(perImage);
}

async function timePool(image: Image, name: string, size: Size, pool: CorruptionPool, oneCoreMs: number): Promise<number> {
  const count = Math.max(2 * pool.size, Math.min(1000, Math.round((size.repeatMs * pool.size) / Math.max(oneCoreMs, 1e-3))));
  const ids = Array.from({ length: count }, (_, i) => i);
  const source = shareImages(Array.from({ length: count }, () => image));
  const job = { corruption: name, severity: SEVERITY, preset: size.preset, seed: 1 };
  // The workers only (this thread does not help); one untimed round warms their JIT.
  await corruptBatch(source, ids, job, { pool, help: false });
  const perImage: number[] = [];
  for (let r = 0; r < size.repeats; r++) {
    const t = performance.now();
    await corruptBatch(source, ids, job, { pool, help: false });
    perImage.push((performance.now() - t) / count);
  }
  return median(perImage);
}

export async function benchCorruptions(log: (line: string) => void): Promise<SpeedRow[]> {
  const all = cores();
  const pool = await warmPool(all);
  const rows: SpeedRow[] = [];
  try {
    const images = new Map<number, Image>();
    for (const size of SIZES) images.set(size.side, await referenceImage(size.side));
    for (const corruption of implementedCorruptions()) {
      const ms: SpeedRow['ms'] = {};
      for (const size of SIZES) {
        const image = images.get(size.side)!;
        const one = await timeOneCore(image, corruption.name, size);
        const pooled = await timePool(image, corruption.name, size, pool, one);
        ms[size.side] = { one, all: pooled };
      }
      rows.push({ name: corruption.name, benchmark: corruption.benchmark, ms });
    }
  } finally {
    await pool.close();
  }
  printCorruptionTable(rows, all, log);
  return rows;
}

function printCorruptionTable(rows: readonly SpeedRow[], all: number, log: (line: string) => void): void {
  const budget = (side: 32 | 224) => TARGET_MS[side] / 15;
  log(`ms per image, severity 3, median of repeats after a warm-up; "${all} cores" = a pool of ${all} workers (wall time / images);`);
  log(`"x budget" = 1-core time / (target sum / 15), i.e. its share of the 15-corruption target`);
  log(
    `${pad('corruption', 19)}${padLeft('32x32 1 core', 13)}${padLeft(`${all} cores`, 9)}${padLeft('x budget', 9)}` +
      `${padLeft('224x224 1 core', 16)}${padLeft(`${all} cores`, 9)}${padLeft('x budget', 9)}  reference (original scripts)`,
  );
  for (const row of rows) {
    const ref = REFERENCE_ONE[row.name];
    const refText = ref?.[224] ? `~${ref[224]} ms at 224: ours ${fmt(ref[224] / row.ms[224].one, 1)}x faster` : '';
    log(
      `${pad(row.name + (row.benchmark ? '' : ' *'), 19)}${padLeft(fmt(row.ms[32].one), 13)}${padLeft(fmt(row.ms[32].all), 9)}${padLeft(fmt(row.ms[32].one / budget(32), 1), 9)}` +
        `${padLeft(fmt(row.ms[224].one), 16)}${padLeft(fmt(row.ms[224].all), 9)}${padLeft(fmt(row.ms[224].one / budget(224), 1), 9)}  ${refText}`,
    );
  }
  const implemented = new Set(rows.map((r) => r.name));
  const missing = BENCHMARK_CORRUPTIONS.filter((n) => !implemented.has(n));
  const bench = rows.filter((r) => (BENCHMARK_CORRUPTIONS as readonly string[]).includes(r.name));
  const sum = (side: 32 | 224, key: 'one' | 'all') => bench.reduce((a, r) => a + r.ms[side][key], 0);
  log(`(* = one of the 4 extra corruptions, not in the benchmark sum; not implemented: ${CORRUPTION_NAMES.filter((n) => !implemented.has(n)).join(', ') || 'none'})`);
  const partial = missing.length ? ` (${bench.length} of 15 implemented: a partial sum)` : '';
  log(`sum of the 15 benchmark corruptions${partial}:`);
  const s32 = sum(32, 'one');
  const s224 = sum(224, 'one');
  log(`  32x32:   ${fmt(s32)} ms on 1 core, ${fmt(sum(32, 'all'))} ms with ${all} cores; reference ${REFERENCE_SUM[32].original[0]} ms (original) -> ours ${fmt(REFERENCE_SUM[32].original[0] / s32, 1)}x faster`);
  log(
    `  224x224: ${fmt(s224)} ms on 1 core, ${fmt(sum(224, 'all'))} ms with ${all} cores; reference ${REFERENCE_SUM[224].original.join('-')} ms (original) -> ours ${fmt(REFERENCE_SUM[224].original[0] / s224, 1)}x faster, ` +
      `${REFERENCE_SUM[224].imagecorruptions.join('-')} ms (imagecorruptions) -> ours ${fmt(REFERENCE_SUM[224].imagecorruptions[0] / s224, 2)}x`,
  );
  log(`${s32 <= TARGET_MS[32] ? 'PASS' : 'MISS'} sum over the 15 at 32x32, one core: ${fmt(s32)} ms <= ${TARGET_MS[32]} ms${partial}`);
  log(`${s224 <= TARGET_MS[224] ? 'PASS' : 'MISS'} sum over the 15 at 224x224, one core: ${fmt(s224)} ms <= ${TARGET_MS[224]} ms${partial}`);
  const over = rows
    .filter((r) => r.ms[224].one > 2 * budget(224) || r.ms[32].one > 2 * budget(32))
    .map((r) => `${r.name} (${fmt(r.ms[32].one / budget(32), 1)}x at 32, ${fmt(r.ms[224].one / budget(224), 1)}x at 224)`);
  if (over.length) log(`over twice their share of the budget: ${over.join(', ')}`);
}
