// Opens an ONNX image classifier with onnxruntime-node and checks that it fits the configuration:
// the file exists and is ONNX, its input takes the configured image size and channels, and its output
// has one score per label. Every mismatch is an InputError that names the fix.
import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import type { InputSpec } from '../config/config';
import { InputError } from '../errors';

export interface ClassifierModel {
  readonly path: string;
  readonly sha256: string;
  readonly inputName: string;
  readonly outputName: string;
  /** A fixed batch size the model insists on, or undefined when the batch dimension is free. */
  readonly fixedBatch: number | undefined;
  readonly classCount: number;
  /** Runs the model on a float32 batch already laid out as the model expects; returns [batch x classes] scores. */
  infer(batch: Float32Array, batchSize: number): Promise<Float32Array>;
  close(): Promise<void>;
}

export interface ModelOptions {
  /** onnxruntime intra-op threads (default 1: behaves well on a laptop whose other cores are busy). */
  readonly threads?: number;
}

const dimText = (d: number | string | undefined) => (d === undefined ? '?' : typeof d === 'number' ? String(d) : d);

/** Opens the model and checks its input and output against the config. */
export async function loadClassifier(modelPath: string, input: InputSpec, labelCount: number, options: ModelOptions = {}): Promise<ClassifierModel> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(modelPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'model file not found' : `cannot read the model file (${code})`, {
      kind: 'model',
      code: 'model-missing',
      file: modelPath,
      configPath: ['model'],
      fix: 'check "model" in robustness.json: the path is relative to the folder of robustness.json',
    });
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: options.threads ?? 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
  } catch (error) {
    const detail = String((error as Error).message ?? error).split('\n')[0].slice(0, 200);
    throw new InputError(`not a usable ONNX model (onnxruntime: ${detail})`, {
      kind: 'model',
      code: 'model-not-onnx',
      file: modelPath,
      configPath: ['model'],
      fix: 'point "model" at an .onnx file exported with torch.onnx.export, tf2onnx or skl2onnx',
    });
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  try {
    return checkedModel(session, modelPath, sha256, input, labelCount);
  } catch (error) {
    await session.release().catch(() => undefined);
    throw error;
  }
}

function checkedModel(session: ort.InferenceSession, modelPath: string, sha256: string, input: InputSpec, labelCount: number): ClassifierModel {
  const inputMeta = session.inputMetadata[0];
  const outputMeta = session.outputMetadata[0];
  const fail = (message: string, code: string, fix: string, configPath: (string | number)[]) =>
    new InputError(message, { kind: 'model', code, file: modelPath, place: `input "${inputMeta?.name ?? '?'}"`, configPath, fix });
  if (session.inputNames.length !== 1 || !inputMeta) {
    throw fail(`the model has ${session.inputNames.length} inputs (${session.inputNames.join(', ')}); an image classifier with one image input is expected`, 'model-input-mismatch', 'export the model with a single image input', ['model']);
  }
  if (!inputMeta.isTensor || inputMeta.type !== 'float32') {
    throw fail(`the model input is ${inputMeta.isTensor ? inputMeta.type : 'not a tensor'}; a float32 image tensor is expected`, 'model-input-mismatch', 'export the model with a float32 input', ['model']);
  }
  const shape = inputMeta.shape;
  const wanted = input.layout === 'NCHW' ? [input.channels, input.height, input.width] : [input.height, input.width, input.channels];
  const wantedText = `[batch, ${wanted.join(', ')}] (${input.layout})`;
  if (shape.length !== 4) {
    throw fail(`the model input has shape [${shape.map(dimText).join(', ')}], not a 4-dimensional image batch ${wantedText}`, 'model-input-mismatch', 'export the model with an image input of rank 4', ['input']);
  }
  const dims = shape.slice(1);
  const mismatch = dims.some((d, i) => typeof d === 'number' && d !== wanted[i]);
  if (mismatch) {
    const [c, h, w] = input.layout === 'NCHW' ? dims : [dims[2], dims[0], dims[1]];
    const otherLayout = input.layout === 'NCHW' ? 'NHWC' : 'NCHW';
    const otherWanted = otherLayout === 'NCHW' ? [input.channels, input.height, input.width] : [input.height, input.width, input.channels];
    const layoutFits = dims.every((d, i) => typeof d !== 'number' || d === otherWanted[i]);
    const fix = layoutFits
      ? `set "input.layout" to "${otherLayout}"`
      : `set "input.size" to [${dimText(h)}, ${dimText(w)}] and "input.channels" to ${dimText(c)} to match the model, or use a model that takes ${wantedText}`;
    throw fail(`the model takes input [${shape.map(dimText).join(', ')}] but robustness.json describes ${wantedText}`, 'model-input-mismatch', fix, layoutFits ? ['input', 'layout'] : ['input', 'size']);
  }
  if (session.outputNames.length < 1 || !outputMeta) {
    throw fail('the model has no output', 'model-output-mismatch', 'export the model with a [batch, classes] score output', ['model']);
  }
  if (!outputMeta.isTensor) {
    throw new InputError(`the model output "${outputMeta.name}" is not a tensor (a sequence or map, as scikit-learn's ZipMap makes)`, {
      kind: 'model',
      code: 'model-output-mismatch',
      file: modelPath,
      place: `output "${outputMeta.name}"`,
      configPath: ['model'],
      fix: 'export with zipmap=False (skl2onnx options={"zipmap": False}) so that the scores are a tensor',
    });
  }
  const outShape = outputMeta.shape;
  const width = outShape[outShape.length - 1];
  if (outShape.length !== 2) {
    throw new InputError(`the model output has shape [${outShape.map(dimText).join(', ')}]; [batch, ${labelCount}] scores are expected`, {
      kind: 'model',
      code: 'model-output-mismatch',
      file: modelPath,
      place: `output "${outputMeta.name}"`,
      configPath: ['model'],
      fix: 'export the model with a [batch, classes] output (logits or probabilities)',
    });
  }
  if (typeof width === 'number' && width !== labelCount) {
    throw new InputError(`the model gives ${width} scores per image but robustness.json lists ${labelCount} labels`, {
      kind: 'model',
      code: 'model-label-count',
      file: modelPath,
      place: `output "${outputMeta.name}"`,
      configPath: ['labels'],
      fix: `list exactly ${width} labels, in the order of the model's outputs`,
    });
  }
  const fixedBatch = typeof shape[0] === 'number' && shape[0] > 0 ? shape[0] : undefined;
  const inputName = inputMeta.name;
  const outputName = outputMeta.name;
  const dimsFor = (n: number) => (input.layout === 'NCHW' ? [n, input.channels, input.height, input.width] : [n, input.height, input.width, input.channels]);
  return {
    path: modelPath,
    sha256,
    inputName,
    outputName,
    fixedBatch,
    classCount: labelCount,
    async infer(batch, batchSize) {
      const feeds = { [inputName]: new ort.Tensor('float32', batch, dimsFor(batchSize)) };
      const results = await session.run(feeds, [outputName]);
      const output = results[outputName];
      const data = output.data as Float32Array;
      if (!(data instanceof Float32Array) || data.length !== batchSize * labelCount) {
        throw new InputError(`the model returned ${data.length} values of type ${output.type} for a batch of ${batchSize}; ${batchSize * labelCount} float32 scores were expected`, {
          kind: 'model',
          code: 'model-output-mismatch',
          file: modelPath,
          place: `output "${outputName}"`,
          configPath: ['labels'],
          fix: `make the model output [batch, ${labelCount}] float32 scores`,
        });
      }
      return data;
    },
    async close() {
      await session.release();
    },
  };
}
