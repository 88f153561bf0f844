// The frost textures made ahead of time: `npm run build` writes the five base textures of frost.ts into
// dist/frost-textures.bin (scripts/build/write-frost-textures.ts), next to the bundles, so that a process (the CLI,
// the server, each corruption worker) reads 2.2 MB instead of generating them: generating costs ~250 ms of CPU
// warm and ~400 ms in a fresh process, per thread. Running from source there is no file and the textures are
// generated as before; the bytes are the same either way (test/unit/frost-texture-file.test.ts).
//
// Layout: the 8 bytes "RLFROST\n", a uint32 (little-endian) byte length of the key, the key (UTF-8 JSON of what the
// textures are a function of: generator version, size, seeds, looks), then the textures' RGB bytes one after the
// other. A file whose key differs from the running code's is ignored (the textures are then generated).
import * as fs from 'node:fs';

const MAGIC = Buffer.from('RLFROST\n', 'latin1');

export function encodeFrostTextureFile(key: string, textures: readonly Uint8Array[]): Buffer {
  const keyBytes = Buffer.from(key, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(keyBytes.length, 0);
  return Buffer.concat([MAGIC, length, keyBytes, ...textures.map((t) => Buffer.from(t.buffer, t.byteOffset, t.byteLength))]);
}

/** The textures (`count` of `bytesEach` bytes) when `bytes` is a texture file made with this `key`, else undefined. */
export function decodeFrostTextureFile(bytes: Uint8Array, key: string, count: number, bytesEach: number): Uint8Array[] | undefined {
  const keyBytes = Buffer.from(key, 'utf8');
  const header = MAGIC.length + 4 + keyBytes.length;
  if (bytes.length !== header + count * bytesEach) return undefined;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!view.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  if (view.readUInt32LE(MAGIC.length) !== keyBytes.length) return undefined;
  if (!view.subarray(MAGIC.length + 4, header).equals(keyBytes)) return undefined;
  // Copies of their own (plain Uint8Arrays, not views into the file buffer).
  return Array.from({ length: count }, (_, k) => new Uint8Array(view.subarray(header + k * bytesEach, header + (k + 1) * bytesEach)));
}

/** Reads `file` as a texture file; undefined when it is missing, unreadable or made for other textures. */
export function readFrostTextureFile(file: string, key: string, count: number, bytesEach: number): Uint8Array[] | undefined {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  return decodeFrostTextureFile(bytes, key, count, bytesEach);
}
