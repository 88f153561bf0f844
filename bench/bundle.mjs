// npm run bench runs the benchmarks bundled by esbuild into .bench-out/ and executed by plain node, as dist/ is in
// the CLI and the server. Under tsx the figures would be off: tsx's loader detaches an ArrayBuffer, and from then
// on V8 guards every typed-array access of the thread (loops measured 1.7x slower), which production never pays.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

/** Each bundled file keeps its own __dirname (the bench and test helpers find the repository from it). */
const ownDirname = {
  name: 'own-dirname',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = await fs.readFile(args.path, 'utf8');
      return { contents: source.replace(/\b__dirname\b/g, JSON.stringify(path.dirname(args.path))), loader: 'ts' };
    });
  },
};

await esbuild.build({
  entryPoints: { 'run-all': 'bench/run-all.ts', 'memory-child': 'bench/memory-child.ts', 'shift-speed': 'bench/shift-speed.ts', 'pipeline-cold-child': 'bench/pipeline-cold-child.ts' },
  outdir: '.bench-out',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['vscode', 'onnxruntime-node', 'sharp', 'playwright-core', 'esbuild'],
  logLevel: 'warning',
  mainFields: ['module', 'main'],
  plugins: [ownDirname],
});
