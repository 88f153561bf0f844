// jpeg_compression: JPEG encode at the published quality, then decode (ImageNet-C / CIFAR-10-C definition, made
// there with Pillow's `Image.save(f, 'JPEG', quality=q)` and `Image.open(f)`). No codec is run: the lossy round
// trip (colour conversion, 4:2:0 subsampling, 8x8 integer DCT, quantisation with the IJG tables scaled by the
// quality, inverse DCT, fancy upsampling) is computed directly the way libjpeg-turbo does it, see jpeg-lossy.ts.
// The entropy coding that is skipped is lossless, so the result is what a decoder would return. Grey images are
// treated as one-component JPEGs. Deterministic; no parameter depends on the image size.
import type { Corruption, CorruptionContext, Image } from '../../types';
import { checkImage, parameterFor, type PresetParameters } from './common';
import { jpegRoundTrip } from './jpeg-lossy';

/** JPEG quality (smaller is stronger). */
export const JPEG_QUALITY: PresetParameters<number> = {
  cifar: [80, 65, 58, 50, 40],
  imagenet: [25, 18, 15, 10, 7],
};

export const jpegCompression: Corruption = {
  name: 'jpeg_compression',
  benchmark: true,
  random: false,
  apply(image: Image, severity: number, context: CorruptionContext): Image {
    checkImage(image);
    const quality = parameterFor(JPEG_QUALITY, context.preset, severity, 'jpeg_compression');
    return jpegRoundTrip(image, quality);
  },
};
