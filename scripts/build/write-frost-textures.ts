// Writes the frost textures for the bundles: node <this, bundled> OUT_FILE (run by esbuild.mjs after a build, to
// dist/frost-textures.bin). The file holds exactly what frost.ts would generate (see frost-texture-file.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FROST_TEXTURE_COUNT, frostTextureKey, generateBaseTexture } from '../../src/server/engine/perturb/image/frost';
import { encodeFrostTextureFile } from '../../src/server/engine/perturb/image/frost-texture-file';

const out = process.argv[2];
if (!out) {
  console.error('usage: write-frost-textures OUT_FILE');
  process.exit(2);
}
const textures = Array.from({ length: FROST_TEXTURE_COUNT }, (_, index) => generateBaseTexture(index));
const temporary = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.tmp`);
fs.writeFileSync(temporary, encodeFrostTextureFile(frostTextureKey(), textures));
fs.renameSync(temporary, out);
