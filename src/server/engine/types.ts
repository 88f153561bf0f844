// The plain data types that flow through the engine: images, data sets, corruptions, results.
// Everything here is data; nothing imports vscode or the LSP libraries.

/** One image as uint8 pixels in height x width x channels order (HWC), row-major. */
export interface Image {
  readonly height: number;
  readonly width: number;
  readonly channels: number; // 1 (grey) or 3 (RGB)
  readonly pixels: Uint8Array; // length height * width * channels
}

/** One labelled sample of a data set. `id` is its stable index in the data set (0-based). */
export interface Sample {
  readonly id: number;
  readonly label: number;
  readonly image: Image;
}

/**
 * A labelled image data set that is read in pieces: nothing needs the whole set in memory.
 * `read` returns the samples with the given ids, in the order asked.
 */
export interface ImageDataset {
  /** Absolute path of the file or folder the data comes from (for messages). */
  readonly source: string;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  read(ids: readonly number[], options?: ReadOptions): Promise<Sample[]>;
  close(): Promise<void>;
}

/** How ImageDataset.read may do its work. Results never depend on it. */
export interface ReadOptions {
  /** Reads and decodes image files in other threads (the corruption pool's workers); data sets of files use it. */
  readonly decoder?: ImageFileDecoder;
}

export interface ImageFileDecoder {
  /** Per file, its image at `format`, or undefined for a file the caller must decode itself. */
  decodeFiles(files: readonly string[], format: { readonly height: number; readonly width: number; readonly channels: number }): Promise<(Image | undefined)[]>;
}

/** A corruption applied to one image. Must be a pure function of (image, severity, rng draws). */
export interface Corruption {
  readonly name: string;
  /** True for the 15 ImageNet-C / CIFAR-10-C benchmark corruptions, false for the 4 extra ones. */
  readonly benchmark: boolean;
  /** True when the output depends on random draws. */
  readonly random: boolean;
  apply(image: Image, severity: number, context: CorruptionContext): Image;
}

export type ParameterPreset = 'cifar' | 'imagenet';

export interface CorruptionContext {
  /** Which published parameter set to use. */
  readonly preset: ParameterPreset;
  /** A generator seeded from (run seed, corruption, severity, sample id). */
  readonly random: RandomSource;
}

/** A seeded random generator. */
export interface RandomSource {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal N(0, 1). */
  normal(): number;
}
