// Bundles the in-editor test suite (test/vscode/suite/index.ts and test/vscode/suite/*.test.ts) into
// dist/test/vscode/suite/*.js, which VS Code's extension host loads through `extensionTestsPath`
// (test/vscode/run-test.ts for desktop VS Code, test/e2e/in-editor-suite.test.ts for code-server).
// `vscode` and `mocha` stay external: the extension host provides `vscode`; `mocha` must be one module
// instance shared by index.js and the test files (resolved from node_modules at run time).
// node scripts/build-vscode-tests.mjs [--watch]
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const suiteDir = path.join(root, 'test', 'vscode', 'suite');
const outdir = path.join(root, 'dist', 'test', 'vscode', 'suite');
const watch = process.argv.includes('--watch');

const entryPoints = [
  path.join(suiteDir, 'index.ts'),
  ...fs
    .readdirSync(suiteDir)
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => path.join(suiteDir, f)),
];

fs.rmSync(outdir, { recursive: true, force: true });
const options = {
  entryPoints,
  outdir,
  outbase: suiteDir,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  external: ['vscode', 'mocha'],
  logLevel: 'warning',
  mainFields: ['module', 'main'],
};

if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
  console.log(`[build-vscode-tests] watching ${entryPoints.length} entry points -> ${path.relative(root, outdir)}/`);
} else {
  await esbuild.build(options);
  const built = fs.readdirSync(outdir).filter((f) => f.endsWith('.js'));
  console.log(`[build-vscode-tests] ${built.length} files -> ${path.relative(root, outdir)}/: ${built.join(', ')}`);
}
