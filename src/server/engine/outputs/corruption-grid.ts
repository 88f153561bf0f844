// The corruption grid: one image under all 19 corruptions x 5 severities, as a labelled PNG.
// Rows are the corruptions in table order; the first column is the clean image, then severities 1..5. Corruptions
// that are not implemented yet get a grey cell saying so (and ones that fail on this image, e.g. too small, a
// cell saying why), so the grid always has 19 rows. Cells are resized with nearest neighbour (the pixels stay
// the corruption's pixels: noise stays visible): small images are enlarged by an integer factor to at least
// 96 pixels on the shorter side, large ones shrunk to 256, unless a cell size is given. Labels are drawn as SVG
// text by sharp (librsvg) over the assembled pixels.
import sharp from 'sharp';
import { isInputError } from '../errors';
import { applyCorruption, CORRUPTION_NAMES, getCorruption } from '../perturb/image/registry';
import { seedFor } from '../perturb/random';
import type { Corruption, Image, ParameterPreset } from '../types';

export const GRID_SEVERITIES = [1, 2, 3, 4, 5] as const;
/** Columns: the clean image, then severities 1..5. */
export const GRID_COLUMNS = 1 + GRID_SEVERITIES.length;
export const GRID_ROWS = CORRUPTION_NAMES.length;

/** Where everything goes, in pixels. Cell (row r, column c) has its top-left corner at (cellX(c), cellY(r)). */
export interface GridLayout {
  readonly cellWidth: number;
  readonly cellHeight: number;
  readonly margin: number;
  readonly gap: number;
  readonly fontSize: number;
  /** Width of the row-label column (left of the cells). */
  readonly labelWidth: number;
  /** Height of the title line plus the column headers (above the cells). */
  readonly headerHeight: number;
  readonly width: number;
  readonly height: number;
}

/** Default cell size along the shorter side: enlarged by an integer factor to >= 96, or shrunk to 256. */
export function defaultCellSide(height: number, width: number): number {
  const side = Math.min(height, width);
  if (side < 96) return side * Math.ceil(96 / side);
  return Math.min(side, 256);
}

/** The grid geometry for an image of height x width shown with `cellSide` pixels along its shorter side. */
export function gridLayout(height: number, width: number, cellSide = defaultCellSide(height, width)): GridLayout {
  const factor = cellSide / Math.min(height, width);
  const cellWidth = Math.max(1, Math.round(width * factor));
  const cellHeight = Math.max(1, Math.round(height * factor));
  const fontSize = Math.max(11, Math.min(16, Math.round(Math.min(cellWidth, cellHeight) / 7)));
  const margin = 8;
  const gap = 4;
  // Longest row label: 'elastic_transform' (17 characters); ~0.62 em per character in DejaVu / Liberation Sans.
  const labelWidth = Math.ceil(17 * 0.62 * fontSize) + 12;
  const headerHeight = Math.ceil(fontSize * 1.4) * 2 + 6;
  const width_ = 2 * margin + labelWidth + GRID_COLUMNS * cellWidth + (GRID_COLUMNS - 1) * gap;
  const height_ = 2 * margin + headerHeight + GRID_ROWS * cellHeight + (GRID_ROWS - 1) * gap;
  return { cellWidth, cellHeight, margin, gap, fontSize, labelWidth, headerHeight, width: width_, height: height_ };
}

export function cellX(layout: GridLayout, column: number): number {
  return layout.margin + layout.labelWidth + column * (layout.cellWidth + layout.gap);
}

export function cellY(layout: GridLayout, row: number): number {
  return layout.margin + layout.headerHeight + row * (layout.cellHeight + layout.gap);
}

/** Nearest-neighbour resize of a 1- or 3-channel image to outHeight x outWidth, always 3 channels out. */
export function resizeNearestRgb(image: Image, outHeight: number, outWidth: number): Uint8Array {
  const { height, width, channels, pixels } = image;
  const out = new Uint8Array(outHeight * outWidth * 3);
  const columns = new Int32Array(outWidth);
  for (let x = 0; x < outWidth; x++) columns[x] = Math.min(width - 1, Math.floor(((x + 0.5) * width) / outWidth));
  for (let y = 0; y < outHeight; y++) {
    const sy = Math.min(height - 1, Math.floor(((y + 0.5) * height) / outHeight));
    for (let x = 0; x < outWidth; x++) {
      const s = (sy * width + columns[x]) * channels;
      const o = (y * outWidth + x) * 3;
      if (channels === 1) {
        out[o] = out[o + 1] = out[o + 2] = pixels[s];
      } else {
        out[o] = pixels[s];
        out[o + 1] = pixels[s + 1];
        out[o + 2] = pixels[s + 2];
      }
    }
  }
  return out;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

export interface GridOptions {
  readonly preset: ParameterPreset;
  readonly seed: number;
  /** Cell size along the image's shorter side, in pixels (default: defaultCellSide). */
  readonly cellSide?: number;
  /** The title line (e.g. the input file's name and the settings). */
  readonly title?: string;
  /** Which implementation to use for a name (default: the registry); for tests. */
  readonly lookup?: (name: string) => Corruption | undefined;
}

export interface GridCellProblem {
  readonly corruption: string;
  readonly severity: number;
  readonly message: string;
}

export interface GridResult {
  readonly png: Buffer;
  readonly layout: GridLayout;
  /** Rows drawn as "not implemented". */
  readonly notImplemented: readonly string[];
  /** Cells where the corruption refused the image (InputError), drawn as "error". */
  readonly problems: readonly GridCellProblem[];
}

const FONT = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif";
const BACKGROUND = 255;
const MISSING_GREY = 200;
const ERROR_RGB = [236, 200, 200];

/** Renders the grid for `image` (sample id 0 of the random streams seeded by options.seed). */
export async function renderCorruptionGrid(image: Image, options: GridOptions): Promise<GridResult> {
  const layout = gridLayout(image.height, image.width, options.cellSide);
  const { width, height, cellWidth, cellHeight, fontSize } = layout;
  const lookup = options.lookup ?? getCorruption;
  const canvas = new Uint8Array(width * height * 3).fill(BACKGROUND);
  const blit = (cell: Uint8Array, x0: number, y0: number) => {
    for (let y = 0; y < cellHeight; y++) canvas.set(cell.subarray(y * cellWidth * 3, (y + 1) * cellWidth * 3), ((y0 + y) * width + x0) * 3);
  };
  const fill = (rgb: readonly number[], x0: number, y0: number) => {
    for (let y = 0; y < cellHeight; y++) {
      for (let x = 0; x < cellWidth; x++) {
        const o = ((y0 + y) * width + x0 + x) * 3;
        canvas[o] = rgb[0];
        canvas[o + 1] = rgb[1];
        canvas[o + 2] = rgb[2];
      }
    }
  };
  const texts: string[] = [];
  const text = (x: number, y: number, content: string, attributes = '') =>
    texts.push(`<text x="${x}" y="${y}" ${attributes}>${escapeXml(content)}</text>`);
  const small = Math.max(9, Math.round(fontSize * 0.8));
  const centreNote = (x0: number, y0: number, lines: string[], colour: string) => {
    const lineHeight = Math.round(small * 1.25);
    const top = y0 + cellHeight / 2 - ((lines.length - 1) * lineHeight) / 2 + small * 0.35;
    lines.forEach((line, i) =>
      text(x0 + cellWidth / 2, Math.round(top + i * lineHeight), line, `text-anchor="middle" font-size="${small}" fill="${colour}"`),
    );
  };

  // Title and column headers.
  const lineHeight = Math.ceil(fontSize * 1.4);
  text(layout.margin, layout.margin + fontSize, options.title ?? `preset ${options.preset}, seed ${options.seed}`, 'font-weight="bold"');
  const headerBaseline = layout.margin + lineHeight + fontSize + 2;
  for (let column = 0; column < GRID_COLUMNS; column++) {
    const label = column === 0 ? 'clean' : cellWidth >= 10 * 0.62 * fontSize + 4 ? `severity ${column}` : `sev ${column}`;
    text(cellX(layout, column) + cellWidth / 2, headerBaseline, label, 'text-anchor="middle"');
  }

  const clean = resizeNearestRgb(image, cellHeight, cellWidth);
  const notImplemented: string[] = [];
  const problems: GridCellProblem[] = [];
  CORRUPTION_NAMES.forEach((name, row) => {
    const y0 = cellY(layout, row);
    const corruption = lookup(name);
    text(layout.margin + layout.labelWidth - 8, Math.round(y0 + cellHeight / 2 + fontSize * 0.35), name, `text-anchor="end"${corruption ? '' : ' fill="#777"'}`);
    blit(clean, cellX(layout, 0), y0);
    if (!corruption) notImplemented.push(name);
    for (const severity of GRID_SEVERITIES) {
      const x0 = cellX(layout, severity);
      if (!corruption) {
        fill([MISSING_GREY, MISSING_GREY, MISSING_GREY], x0, y0);
        centreNote(x0, y0, cellWidth >= 9 * small ? ['not implemented'] : ['not', 'implemented'], '#555');
        continue;
      }
      let out: Image;
      try {
        out = options.lookup
          ? corruption.apply(image, severity, { preset: options.preset, random: seedFor(options.seed, name, severity, 0) })
          : applyCorruption(image, name, severity, options.preset, options.seed, 0);
      } catch (error) {
        if (!isInputError(error)) throw error;
        problems.push({ corruption: name, severity, message: error.message });
        fill(ERROR_RGB, x0, y0);
        centreNote(x0, y0, ['error:', error.details.code], '#833');
        continue;
      }
      blit(resizeNearestRgb(out, cellHeight, cellWidth), x0, y0);
    }
  });

  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="${FONT}" font-size="${fontSize}" fill="#222">${texts.join('')}</svg>`;
  const png = await sharp(Buffer.from(canvas.buffer), { raw: { width, height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png({ compressionLevel: 9, adaptiveFiltering: true })
    .toBuffer();
  return { png, layout, notImplemented, problems };
}
