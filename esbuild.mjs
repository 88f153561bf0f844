// Bundles the extension, the evaluation server and the CLI. Native modules stay external. Then writes the frost
// textures next to the bundles (dist/frost-textures.bin, see src/server/engine/perturb/image/frost-texture-file.ts);
// in watch mode it removes that file instead, so that edits to the generator can never meet stale textures.
// node esbuild.mjs [--watch] [--production]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external: ['vscode', 'onnxruntime-node', 'sharp'],
  logLevel: 'warning',
  // jsonc-parser's UMD build hides its requires from bundlers; its ESM build bundles cleanly.
  mainFields: ['module', 'main'],
};

const builds = [
  { ...common, entryPoints: ['src/extension/main.ts'], outfile: 'dist/extension.js' },
  { ...common, entryPoints: ['src/server/main.ts'], outfile: 'dist/server.js' },
  { ...common, entryPoints: ['src/server/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  // The corruption worker thread that dist/server.js and dist/cli.js start (src/server/engine/run/corruption-pool.ts).
  { ...common, entryPoints: ['src/server/engine/run/corruption-worker.ts'], outfile: 'dist/corruption-worker.js' },
  // The report app (media/report/), for the webview and the standalone HTML file: dist/media/report.js + report.css.
  {
    entryPoints: ['media/report/main.ts'],
    outfile: 'dist/media/report.js',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: ['chrome114', 'firefox115', 'safari16'],
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
  },
];

const FROST_TEXTURES = 'dist/frost-textures.bin';

/** Runs scripts/build/write-frost-textures.ts (bundled into a temporary file) to write FROST_TEXTURES. */
async function writeFrostTextures() {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-build-'));
  try {
    const script = path.join(folder, 'write-frost-textures.js');
    await esbuild.build({ ...common, sourcemap: false, entryPoints: ['scripts/build/write-frost-textures.ts'], outfile: script });
    execFileSync(process.execPath, [script, FROST_TEXTURES], { stdio: 'inherit' });
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
if (watch) {
  fs.rmSync(FROST_TEXTURES, { force: true });
  await Promise.all(contexts.map((context) => context.watch()));
} else {
  await Promise.all(contexts.map((context) => context.rebuild()));
  await Promise.all(contexts.map((context) => context.dispose()));
  await writeFrostTextures();
}
