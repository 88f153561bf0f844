// Opens an ONNX classifier with onnxruntime-node and checks that it fits the configuration: the file
// exists and is ONNX, its input takes the configured image size and channels (an image classifier) or
// the data's feature count (a tabular classifier, [batch, features]), and it has an output with one score
// per label. Every mismatch is an InputError that names the fix.
//
// The scores come from the first float32 [batch, labels] output, preferring one named "probabilities":
// scikit-learn models converted by skl2onnx have a "label" output (int64 [N]) before it. With skl2onnx's
// default zipmap=True the probabilities are a sequence of maps, which onnxruntime-node cannot read.
import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import * as ort from 'onnxruntime-node';
import type { InputSpec } from '../config/config';
import { InputError, type ConfigPath } from '../errors';

/** The input of a tabular classifier: one float32 [batch, features] tensor. */
export interface TabularInput {
  readonly kind: 'tabular';
  /** The number of feature columns the data gives. */
  readonly features: number;
  /** The feature column names, for messages (optional). */
  readonly featureNames?: readonly string[];
  /** The config key a feature-count mismatch points at, e.g. the data spec's "features" (default ['model']). */
  readonly configPath?: ConfigPath;
}

/** What the model must take: images as described by the config's "input", or a table's feature rows. */
export type ModelInput = InputSpec | TabularInput;

export function isTabularInput(input: ModelInput): input is TabularInput {
  return (input as Partial<TabularInput>).kind === 'tabular';
}

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

/** A dimension for messages: its size, its symbolic name, or "?" when unnamed (skl2onnx's None). */
const dimText = (d: number | string | undefined) => (typeof d === 'number' ? (d < 0 ? '?' : String(d)) : d || '?');

/** Opens the model and checks its input and output against the config. */
export async function loadClassifier(modelPath: string, input: ModelInput, labelCount: number, options: ModelOptions = {}): Promise<ClassifierModel> {
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

function checkedModel(session: ort.InferenceSession, modelPath: string, sha256: string, input: ModelInput, labelCount: number): ClassifierModel {
  const inputMeta = session.inputMetadata[0];
  const dimsFor = isTabularInput(input) ? checkTabularInput(session, modelPath, input) : checkImageInput(session, modelPath, input);
  const outputName = chooseOutput(session, modelPath, labelCount, isTabularInput(input) ? 'row' : 'image');
  const shape = inputMeta.isTensor ? inputMeta.shape : [];
  const fixedBatch = typeof shape[0] === 'number' && shape[0] > 0 ? shape[0] : undefined;
  const inputName = inputMeta.name;
  const valuesPerItem = isTabularInput(input) ? input.features : input.channels * input.height * input.width;
  return {
    path: modelPath,
    sha256,
    inputName,
    outputName,
    fixedBatch,
    classCount: labelCount,
    async infer(batch, batchSize) {
      if (batch.length !== batchSize * valuesPerItem) {
        throw new RangeError(`a batch of ${batchSize} needs ${batchSize * valuesPerItem} values, not ${batch.length}`);
      }
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

/** Checks the single image input against the config's "input"; returns the tensor dims of a batch. */
function checkImageInput(session: ort.InferenceSession, modelPath: string, input: InputSpec): (batch: number) => number[] {
  const inputMeta = session.inputMetadata[0];
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
  return (n) => (input.layout === 'NCHW' ? [n, input.channels, input.height, input.width] : [n, input.height, input.width, input.channels]);
}

/** Checks the single float32 [batch, features] input of a tabular model; returns the tensor dims of a batch. */
function checkTabularInput(session: ort.InferenceSession, modelPath: string, input: TabularInput): (batch: number) => number[] {
  const inputMeta = session.inputMetadata[0];
  const features = input.features;
  const wantedText = `[batch, ${features}]`;
  const fail = (message: string, fix: string, configPath: ConfigPath = ['model']) =>
    new InputError(message, { kind: 'model', code: 'model-input-mismatch', file: modelPath, place: `input "${inputMeta?.name ?? '?'}"`, configPath, fix });
  if (session.inputNames.length !== 1 || !inputMeta) {
    throw fail(
      `the model has ${session.inputNames.length} inputs (${session.inputNames.join(', ')}); a tabular classifier with one float32 ${wantedText} input is expected`,
      'export the whole pipeline with one input holding every feature (skl2onnx: initial_types=[("float_input", FloatTensorType([None, ' + features + ']))])',
    );
  }
  if (!inputMeta.isTensor || inputMeta.type !== 'float32') {
    const type = inputMeta.isTensor ? (inputMeta.type === 'float64' ? 'float64 (double)' : inputMeta.type) : 'not a tensor';
    throw fail(
      `the model input "${inputMeta.name}" is ${type}; a float32 ${wantedText} feature table is expected`,
      'export the model with a float32 input (skl2onnx: FloatTensorType, not DoubleTensorType)',
    );
  }
  const shape = inputMeta.shape;
  if (shape.length !== 2) {
    throw fail(
      `the model input "${inputMeta.name}" has shape [${shape.map(dimText).join(', ')}], not a feature table ${wantedText} (one row of ${features} features per sample)`,
      'use a tabular model whose input is [batch, features], or describe image data with "input" instead',
    );
  }
  const width = shape[1];
  if (typeof width === 'number' && width >= 0 && width !== features) {
    const names = input.featureNames ? `: ${input.featureNames.map((n) => JSON.stringify(n)).join(', ')}` : '';
    throw fail(
      `the model takes ${width} feature${width === 1 ? '' : 's'} (input "${inputMeta.name}" [${shape.map(dimText).join(', ')}]) but the data gives ${features}${names}`,
      `list in "features" the ${width} columns the model was trained on, in training order`,
      input.configPath ?? ['model'],
    );
  }
  return (n) => [n, features];
}

const isFree = (d: number | string | undefined) => typeof d !== 'number' || d < 0;

/**
 * The output holding the scores: the first float32 tensor [batch, labels] (labels may be symbolic),
 * preferring one named "probabilities". When none fits, the error explains the most telling output.
 */
function chooseOutput(session: ort.InferenceSession, modelPath: string, labelCount: number, unit: 'image' | 'row'): string {
  const outputs = session.outputMetadata;
  const fail = (message: string, code: string, name: string | undefined, fix: string, configPath: ConfigPath = ['model']) =>
    new InputError(message, { kind: 'model', code, file: modelPath, place: name === undefined ? `input "${session.inputNames[0] ?? '?'}"` : `output "${name}"`, configPath, fix });
  if (session.outputNames.length < 1 || outputs.length < 1) {
    throw fail('the model has no output', 'model-output-mismatch', undefined, 'export the model with a [batch, classes] score output');
  }
  const fits = outputs.filter((m) => m.isTensor && m.type === 'float32' && m.shape.length === 2 && (isFree(m.shape[1]) || m.shape[1] === labelCount));
  const chosen = fits.find((m) => m.name === 'probabilities') ?? fits[0];
  if (chosen) return chosen.name;

  const notTensor = outputs.find((m) => !m.isTensor);
  if (notTensor) {
    throw fail(
      `the model output "${notTensor.name}" is not a tensor (a sequence or map, as scikit-learn's ZipMap makes)`,
      'model-output-mismatch',
      notTensor.name,
      'export with zipmap=False (skl2onnx options={"zipmap": False}) so that the scores are a tensor',
    );
  }
  const tensors = outputs.filter((m): m is ort.InferenceSession.TensorValueMetadata => m.isTensor);
  const wrongWidth = tensors.find((m) => m.type === 'float32' && m.shape.length === 2);
  if (wrongWidth) {
    const width = wrongWidth.shape[1];
    throw fail(
      `the model gives ${width} scores per ${unit} but robustness.json lists ${labelCount} labels`,
      'model-label-count',
      wrongWidth.name,
      `list exactly ${width} labels, in the order of the model's outputs`,
      ['labels'],
    );
  }
  const wrongType = tensors.find((m) => m.shape.length === 2 && (m.type === 'float64' || m.type === 'float16'));
  if (wrongType) {
    throw fail(
      `the model output "${wrongType.name}" holds ${wrongType.type} scores; float32 scores are expected`,
      'model-output-mismatch',
      wrongType.name,
      'cast the scores to float32 when exporting the model',
    );
  }
  if (tensors.every((m) => m.shape.length <= 1)) {
    const described = tensors.map((m) => `"${m.name}" (${m.type} [${m.shape.map(dimText).join(', ')}])`).join(', ');
    throw fail(
      `the model outputs only class labels (${described}), but Robustness Lens needs class probabilities or scores [batch, ${labelCount}]`,
      'model-output-mismatch',
      tensors[0]?.name,
      'export the class probabilities too: skl2onnx gives "label" and "probabilities" with options={"zipmap": False}; other models can output [batch, classes] logits',
    );
  }
  const first = tensors[0];
  throw fail(
    `the model output has shape [${first.shape.map(dimText).join(', ')}]; [batch, ${labelCount}] scores are expected`,
    'model-output-mismatch',
    first.name,
    'export the model with a [batch, classes] output (logits or probabilities)',
  );
}
