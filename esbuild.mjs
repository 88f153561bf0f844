// Bundles the extension, the evaluation server and the CLI. Native modules stay external.
// node esbuild.mjs [--watch] [--production]
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

const contexts = await Promise.all(builds.map((options) => esbuild.context(options)));
if (watch) {
  await Promise.all(contexts.map((context) => context.watch()));
} else {
  await Promise.all(contexts.map((context) => context.rebuild()));
  await Promise.all(contexts.map((context) => context.dispose()));
}
