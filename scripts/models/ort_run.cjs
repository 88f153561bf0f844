#!/usr/bin/env node
// Runs one ONNX model in onnxruntime-node and prints the result as JSON on stdout.
// Used by the Python scripts in this folder to check that the models they write load and run in Node
// and give the same predictions as PyTorch.
//
//   node scripts/models/ort_run.cjs MODEL [INPUT.f32 DIMS_JSON]
//
// Without an input it only loads the model and prints its input/output names and metadata.
// INPUT.f32 is raw little-endian float32 data; DIMS_JSON is its shape, e.g. "[500,1,28,28]".
// Prints {"ok":true,"inputNames":[...],"outputNames":[...],"inputs":[...],"outputs":[...],
//         "dims":[...],"data":[...]} or {"ok":false,"error":"..."} (exit code 1).
'use strict';
const path = require('node:path');
const fs = require('node:fs');

const repoRoot = path.resolve(__dirname, '..', '..');

async function main() {
  const [modelPath, inputPath, dimsJson] = process.argv.slice(2);
  if (!modelPath) throw new Error('usage: node ort_run.cjs MODEL [INPUT.f32 DIMS_JSON]');
  const ort = require(path.join(repoRoot, 'node_modules', 'onnxruntime-node'));
  const session = await ort.InferenceSession.create(modelPath);
  const describe = (meta) =>
    (meta || []).map((m) => ({ name: m.name, isTensor: m.isTensor, type: m.type, shape: m.shape }));
  const result = {
    ok: true,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputs: describe(session.inputMetadata),
    outputs: describe(session.outputMetadata),
  };
  if (inputPath) {
    const dims = JSON.parse(dimsJson);
    const buf = fs.readFileSync(inputPath);
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', data, dims) };
    const out = await session.run(feeds);
    const t = out[session.outputNames[0]];
    result.dims = t.dims;
    // NaN does not survive JSON.stringify; encode it as null.
    result.data = Array.from(t.data, (v) => (Number.isNaN(v) ? null : v));
  }
  process.stdout.write(JSON.stringify(result));
}

main().catch((err) => {
  process.stdout.write(JSON.stringify({ ok: false, error: String(err && err.message ? err.message : err) }));
  process.exit(1);
});
