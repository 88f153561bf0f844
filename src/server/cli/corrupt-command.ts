// `robustness-lens corrupt`: applies one corruption at one severity to an image or a .npy batch, exactly as the
// evaluation engine does (same parameters, same preset rule, same per-sample seeding: sample i of a batch is
// sample id i), or draws the whole 19 x 5 corruption grid of one image as a labelled PNG.
// Exit codes: 0 written; 2 usage or input error (printed here, with the usage for command-line mistakes).
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { InputError, isInputError } from '../engine/errors';
import { gridLayout, renderCorruptionGrid } from '../engine/outputs/corruption-grid';
import { checkSeverity } from '../engine/perturb/image/common';
import { applyCorruption, CORRUPTION_NAMES, getCorruption, suggestCorruption } from '../engine/perturb/image/registry';
import { resolvePreset } from '../engine/run/plan';
import type { Image, ParameterPreset } from '../engine/types';
import { TOOL_NAME } from '../engine/version';
import { parseNonNegativeInteger, UsageError, type Output } from './cli-io';
import { formatOf, type ImageBatch, outputFormatOf, readImages, writeBytesAtomic, writeImages } from './corrupt-io';

export const CORRUPT_USAGE = `${TOOL_NAME} corrupt --corruption NAME --severity S --in IN --out OUT [--preset cifar|imagenet|auto] [--seed N]
${TOOL_NAME} corrupt --grid --in IN --out GRID.png [--preset cifar|imagenet|auto] [--seed N] [--cell N]
  Applies one corruption to an image or a batch exactly as evaluation runs do, or draws one image under all
  19 corruptions x 5 severities as a labelled grid (rows: corruptions; columns: clean, severities 1-5).
  --corruption NAME   gaussian_noise, shot_noise, ..., saturate (the 19 ImageNet-C / CIFAR-10-C names)
  --severity S        1 (mildest) to 5 (strongest)
  --in IN             a PNG or JPEG image (grey stays grey, alpha is dropped), or a .npy uint8 array of shape
                      (N, H, W) or (N, H, W, C) with C = 1 or 3
  --out OUT           .png, .jpg / .jpeg (re-encoded at quality 95, 4:4:4: prefer .png) or .npy (the input's
                      layout; an image file becomes (1, H, W) or (1, H, W, 3))
  --preset P          published parameters: cifar, imagenet, or auto (default: cifar when the shorter side is
                      below 112 pixels, else imagenet)
  --seed N            seed of the random corruptions (default 0); image i of a .npy uses sample id i
  --grid              draw the grid instead (--out .png or .jpg)
  --cell N            grid cell size along the image's shorter side (default: small images enlarged to >= 96)`;

type PresetChoice = ParameterPreset | 'auto';

function parsePreset(text: string | undefined): PresetChoice {
  if (text === undefined) return 'auto';
  if (text === 'cifar' || text === 'imagenet' || text === 'auto') return text;
  throw new UsageError(`--preset must be cifar, imagenet or auto, got "${text}"`);
}

function parseSeverity(text: string): number {
  const severity = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  try {
    checkSeverity(severity);
  } catch {
    throw new UsageError(`--severity must be 1, 2, 3, 4 or 5, got "${text}"`);
  }
  return severity;
}

/** The corruption name, or a UsageError with the closest known name. */
function checkCorruptionName(name: string): string {
  if (getCorruption(name)) return name;
  const suggestion = suggestCorruption(name);
  throw new UsageError(
    suggestion
      ? `unknown corruption '${name}'; did you mean '${suggestion}'?`
      : `unknown corruption '${name}'; the corruptions are ${CORRUPTION_NAMES.join(', ')}`,
  );
}

function describeImage(image: Image): string {
  return `${image.width}x${image.height} ${image.channels === 1 ? 'grey' : 'RGB'}`;
}

function shown(file: string): string {
  return path.relative(process.cwd(), file) || file;
}

export async function corruptCommand(args: string[], output: Output): Promise<number> {
  try {
    return await corrupt(args, output);
  } catch (error) {
    if (error instanceof UsageError) {
      output.err(`${TOOL_NAME} corrupt: ${error.message}\n\nUsage:\n${CORRUPT_USAGE}`);
      return 2;
    }
    if (isInputError(error)) {
      output.err(`${TOOL_NAME}: error: ${error.describe()}`);
      return 2;
    }
    throw error;
  }
}

type ApplyCorruption = (image: Image, name: string, severity: number, preset: ParameterPreset, runSeed: number, sampleId: number) => Image;

/**
 * Applies the corruption to every image of the batch with sample id = its index (the engine's per-sample seeding).
 * An InputError of the corruption (e.g. 'image-too-small') is given the input file and the image's place.
 */
export function corruptBatch(
  batch: ImageBatch,
  name: string,
  severity: number,
  preset: ParameterPreset,
  seed: number,
  apply: ApplyCorruption = applyCorruption,
): Image[] {
  return batch.images.map((image, id) => {
    try {
      return apply(image, name, severity, preset, seed, id);
    } catch (error) {
      if (isInputError(error) && !error.details.file) {
        const place = batch.format === 'npy' ? `image ${id}` : error.details.place;
        throw new InputError(`${name} severity ${severity}: ${error.message}`, { ...error.details, kind: 'data', file: batch.file, place });
      }
      throw error;
    }
  });
}

async function corrupt(args: string[], output: Output): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        corruption: { type: 'string' },
        severity: { type: 'string' },
        preset: { type: 'string' },
        seed: { type: 'string' },
        in: { type: 'string' },
        out: { type: 'string' },
        grid: { type: 'boolean' },
        cell: { type: 'string' },
      },
      allowPositionals: false,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const options = parsed.values;
  const preset = parsePreset(options.preset);
  const seed = options.seed === undefined ? 0 : parseNonNegativeInteger(options.seed, '--seed');
  if (options.in === undefined) throw new UsageError('--in IN is required (a PNG or JPEG image or a .npy array)');
  if (options.out === undefined) throw new UsageError('--out OUT is required (.png, .jpg, .jpeg or .npy)');
  const inFile = path.resolve(options.in);
  const outFile = path.resolve(options.out);

  if (options.grid) {
    if (options.corruption !== undefined || options.severity !== undefined) {
      throw new UsageError('--grid draws every corruption and severity: leave out --corruption and --severity');
    }
    const cellSide = options.cell === undefined ? undefined : parseNonNegativeInteger(options.cell, '--cell');
    if (cellSide === 0) throw new UsageError('--cell needs a positive number of pixels');
    const format = outputFormatOf(options.out, ['png', 'jpeg']);
    const batch = await readImages(inFile);
    const image = batch.images[0];
    const resolved = resolvePreset(preset, image.height, image.width);
    const layout = gridLayout(image.height, image.width, cellSide);
    const resized = layout.cellWidth !== image.width ? `, shown at ${layout.cellWidth}x${layout.cellHeight}` : '';
    const title = `${path.basename(inFile)}${batch.images.length > 1 ? ' [image 0]' : ''} (${describeImage(image)}${resized}) · preset ${resolved} · seed ${seed}`;
    const grid = await renderCorruptionGrid(image, { preset: resolved, seed, cellSide, title });
    const bytes = format === 'png' ? grid.png : await sharp(grid.png).jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer();
    await writeBytesAtomic(outFile, bytes);
    for (const problem of grid.problems) output.err(`note: ${problem.corruption} severity ${problem.severity} left out: ${problem.message}`);
    const missing = grid.notImplemented.length > 0 ? `; not implemented yet: ${grid.notImplemented.join(', ')}` : '';
    output.out(`wrote ${shown(outFile)}: ${grid.layout.width}x${grid.layout.height} grid of ${path.basename(inFile)}, preset ${resolved}, seed ${seed}${missing}`);
    return 0;
  }

  if (options.cell !== undefined) throw new UsageError('--cell only applies to --grid');
  if (options.corruption === undefined) throw new UsageError('--corruption NAME is required (or --grid)');
  if (options.severity === undefined) throw new UsageError('--severity S is required (1-5)');
  const name = checkCorruptionName(options.corruption);
  const severity = parseSeverity(options.severity);
  const format = outputFormatOf(options.out);
  const batch = await readImages(inFile);
  if (format !== 'npy' && batch.images.length !== 1) {
    throw new UsageError(`${path.basename(inFile)} holds ${batch.images.length} images; a ${format === 'png' ? 'PNG' : 'JPEG'} file holds one: write them to a .npy file`);
  }
  const first = batch.images[0];
  const resolved = resolvePreset(preset, first.height, first.width);
  const corrupted = corruptBatch(batch, name, severity, resolved, seed);
  // A .npy from a grey image file keeps the channel-less (1, H, W) layout; from a .npy, the input's layout.
  await writeImages(outFile, format, corrupted, batch.format === 'npy' ? batch.channelAxis : first.channels === 3);
  const what = batch.images.length === 1 ? `1 image ${describeImage(first)}` : `${batch.images.length} images ${describeImage(first)}`;
  output.out(`wrote ${shown(outFile)}: ${name} severity ${severity} (preset ${resolved}, seed ${seed}) of ${what}${formatOf(outFile) === 'jpeg' ? ' (JPEG re-encoded at quality 95)' : ''}`);
  return 0;
}
