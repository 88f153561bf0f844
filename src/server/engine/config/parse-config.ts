// Parses robustness.json (JSON with comments) into a Config, keeping the source position of every
// problem: syntax errors, schema violations (unknown keys are warnings) and semantic checks.
import * as path from 'node:path';
import { parseTree, findNodeAtLocation, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import Ajv, { type ErrorObject } from 'ajv';
import schema from '../../../../schemas/robustness.schema.json';
import type { Config, DataSpec, SuiteSpec } from './config';
import { DEFAULT_ACCURACY_DROP, DEFAULT_BASELINE_FILE, DEFAULT_SIGNIFICANCE, DEFAULT_SMOKE_CORRUPTIONS, DEFAULT_SMOKE_SAMPLES } from './config';
import type { ConfigPath } from '../errors';
import { parseShift } from './parse-shift';
import { isTabular } from './shift-config';
import { BENCHMARK_CORRUPTIONS, CORRUPTION_NAMES } from '../perturb/image/registry';

export type ProblemSeverity = 'error' | 'warning' | 'info';

/** A problem in robustness.json at a character range (offset, length) of its text. */
export interface ConfigProblem {
  readonly severity: ProblemSeverity;
  readonly code: string;
  readonly message: string;
  readonly offset: number;
  readonly length: number;
  readonly path?: ConfigPath;
}

export interface ParsedConfig {
  /** Undefined when an error prevents using the config. */
  readonly config: Config | undefined;
  readonly problems: readonly ConfigProblem[];
  /** The syntax tree, for locating later problems (see rangeOfPath). */
  readonly tree: Node | undefined;
}

const ajv = new Ajv({ allErrors: true, strict: false, discriminator: true });
const validate = ajv.compile(schema);

/** The character range of the value at a JSON path, falling back to the nearest existing parent. */
export function rangeOfPath(tree: Node | undefined, jsonPath: ConfigPath, key = false): { offset: number; length: number } {
  if (!tree) return { offset: 0, length: 0 };
  for (let depth = jsonPath.length; depth >= 0; depth--) {
    const node = findNodeAtLocation(tree, jsonPath.slice(0, depth) as (string | number)[]);
    if (!node) continue;
    const property = node.parent?.type === 'property' ? node.parent : undefined;
    if (key && property?.children?.[0]) return { offset: property.children[0].offset, length: property.children[0].length };
    if (depth === 0) return { offset: node.offset, length: 1 };
    return { offset: node.offset, length: node.length };
  }
  return { offset: 0, length: 0 };
}

function instancePathToArray(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function describePath(jsonPath: ConfigPath): string {
  return jsonPath.length === 0 ? 'the configuration' : `"${jsonPath.join('.')}"`;
}

function schemaProblem(error: ErrorObject, tree: Node): ConfigProblem | undefined {
  const at = instancePathToArray(error.instancePath);
  if (error.keyword === 'propertyNames') return undefined; // the error about the name itself says more
  if (error.propertyName !== undefined) {
    // A key that is not allowed as a name here (e.g. an unknown corruption under budgets.corruptions).
    const keyPath = [...at, error.propertyName];
    const suggestion = closest(error.propertyName, CORRUPTION_NAMES);
    return {
      severity: 'error',
      code: 'unknown-corruption',
      message: `Unknown corruption "${error.propertyName}" in ${describePath(at)}.${suggestion ? ` Did you mean "${suggestion}"?` : ` Known: ${CORRUPTION_NAMES.join(', ')}.`}`,
      path: keyPath,
      ...rangeOfPath(tree, keyPath, true),
    };
  }
  switch (error.keyword) {
    case 'additionalProperties': {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      const keyPath = [...at, extra];
      const known = Object.keys(subschemaProperties(at));
      const suggestion = closest(extra, known);
      return {
        severity: 'warning',
        code: 'config-unknown-key',
        message: `Unknown key "${extra}" in ${describePath(at)}; it is ignored.${suggestion ? ` Did you mean "${suggestion}"?` : ` Known keys: ${known.join(', ')}.`}`,
        path: keyPath,
        ...rangeOfPath(tree, keyPath, true),
      };
    }
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      return {
        severity: 'error',
        code: 'config-missing-key',
        message: `${describePath(at)} needs "${missing}"${requiredHint(at, missing)}.`,
        path: at,
        ...rangeOfPath(tree, at, at.length > 0),
      };
    }
    case 'discriminator':
      return {
        severity: 'error',
        code: 'config-wrong-value',
        message: `${describePath(at)} needs "format": "npy" (with "x" and "y"), "imagefolder" (with "path"), or "cifar10-c" / "imagenet-c" (with "path" and "clean").`,
        path: at,
        ...rangeOfPath(tree, [...at, 'format']),
      };
    case 'enum': {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
      const node = findNodeAtLocation(tree, at);
      const value = node?.value;
      const suggestion = typeof value === 'string' ? closest(value, allowed.filter((a): a is string => typeof a === 'string')) : undefined;
      return {
        severity: 'error',
        code: at.includes('corruptions') ? 'unknown-corruption' : 'config-wrong-value',
        message:
          at.includes('corruptions') && typeof value === 'string'
            ? `Unknown corruption "${value}".${suggestion ? ` Did you mean "${suggestion}"?` : ''} Known: ${allowed.join(', ')}.`
            : `${describePath(at)} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}.${suggestion ? ` Did you mean "${suggestion}"?` : ''}`,
        path: at,
        ...rangeOfPath(tree, at),
      };
    }
    case 'oneOf':
    case 'if':
    case 'anyOf':
      return undefined; // the branch errors say more
    default:
      return {
        severity: 'error',
        code: 'config-wrong-value',
        message: `${describePath(at)} ${error.message ?? 'is not valid'}.`,
        path: at,
        ...rangeOfPath(tree, at),
      };
  }
}

function requiredHint(at: ConfigPath, missing: string): string {
  if (at.length === 0) {
    const hints: Record<string, string> = {
      model: ' (the path of the ONNX model, e.g. "models/classifier.onnx")',
      input: ' (e.g. { "layout": "NCHW", "size": [28, 28], "channels": 1, "scale": 255, "mean": [0], "std": [1] })',
      labels: ' (the class names in output order, or the path of a text file with one label a line)',
      data: ' (e.g. { "format": "npy", "x": "data/x.npy", "y": "data/y.npy" })',
    };
    return hints[missing] ?? '';
  }
  return '';
}

type SchemaNode = { properties?: Record<string, unknown>; oneOf?: unknown[]; $ref?: string };

function resolveRef(node: SchemaNode): SchemaNode {
  if (!node.$ref) return node;
  const name = node.$ref.replace('#/definitions/', '');
  return ((schema as { definitions: Record<string, SchemaNode> }).definitions[name] ?? {}) as SchemaNode;
}

function subschemaProperties(at: ConfigPath): Record<string, unknown> {
  let node = schema as SchemaNode;
  for (const part of at) {
    const candidates = node.oneOf ? node.oneOf.map((b) => resolveRef(b as SchemaNode)) : [node];
    const next = candidates.map((c) => c.properties?.[String(part)] as SchemaNode | undefined).find((n) => n !== undefined);
    if (!next) return {};
    node = resolveRef(next);
  }
  if (node.oneOf) {
    return Object.assign({}, ...node.oneOf.map((branch) => resolveRef(branch as SchemaNode).properties ?? {}));
  }
  return node.properties ?? {};
}

/** The candidate closest to `name` by edit distance, if it is close enough to be a likely typo. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const temp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = temp;
    }
  }
  return row[b.length];
}

function expandCorruptions(value: unknown): string[] {
  if (value === 'all') return [...CORRUPTION_NAMES];
  if (value === 'benchmark') return [...BENCHMARK_CORRUPTIONS];
  return value as string[];
}

function perChannel(values: readonly number[] | undefined, fallback: number, channels: number): number[] {
  const list = values ?? [fallback];
  return list.length === 1 ? Array.from({ length: channels }, () => list[0]) : [...list];
}

/** Parses and validates the text of robustness.json located at `file`. */
export function parseConfig(text: string, file: string): ParsedConfig {
  const syntaxErrors: ParseError[] = [];
  const tree = parseTree(text, syntaxErrors, { allowTrailingComma: true, disallowComments: false });
  const problems: ConfigProblem[] = syntaxErrors.map((error) => ({
    severity: 'error',
    code: 'config-syntax',
    message: `JSON syntax error: ${syntaxMessage(printParseErrorCode(error.error))}.`,
    offset: error.offset,
    length: Math.max(1, error.length),
  }));
  if (!tree || syntaxErrors.length > 0) {
    if (!tree) problems.push({ severity: 'error', code: 'config-syntax', message: 'robustness.json is empty; it needs a JSON object.', offset: 0, length: 0 });
    return { config: undefined, problems, tree };
  }
  const raw = nodeValue(tree);
  if (!validate(raw)) {
    for (const error of validate.errors ?? []) {
      const problem = schemaProblem(error, tree);
      if (problem && !problems.some((p) => p.offset === problem.offset && p.message === problem.message)) problems.push(problem);
    }
  }
  if (problems.some((p) => p.severity === 'error')) return { config: undefined, problems, tree };

  const value = raw as Record<string, any>;
  const dir = path.dirname(path.resolve(file));
  const error = (at: ConfigPath, code: string, message: string) => problems.push({ severity: 'error', code, message, path: at, ...rangeOfPath(tree, at, true) });
  if (value.data === undefined && value.shift === undefined) {
    error([], 'config-missing', 'robustness.json needs "data" (images for the corruption suite), "shift" (data sets for the distribution-shift check), or both.');
  }
  const shift = value.shift === undefined ? undefined : parseShift(value.shift, { dir, error, closest });
  const imageData = value.data !== undefined || (shift?.datasets.some((d) => !isTabular(d.data)) ?? false);
  if (imageData && value.input === undefined) {
    error([], 'config-missing', 'image data needs "input": how images become the model\'s input tensor, e.g. { "layout": "NCHW", "size": [28, 28], "channels": 1 }.');
  }
  const channels = (value.input?.channels ?? 1) as 1 | 3;
  for (const key of ['mean', 'std'] as const) {
    const list = value.input?.[key] as number[] | undefined;
    if (list && list.length !== 1 && list.length !== channels) {
      problems.push({
        severity: 'error',
        code: 'config-wrong-value',
        message: `"input.${key}" has ${list.length} values but "input.channels" is ${channels}; give one value, or one per channel.`,
        path: ['input', key],
        ...rangeOfPath(tree, ['input', key]),
      });
    }
  }
  const suite = (key: 'smoke' | 'full'): SuiteSpec => {
    const section = (value[key] ?? {}) as Record<string, unknown>;
    const corruptions =
      section.corruptions === undefined
        ? key === 'smoke'
          ? [...DEFAULT_SMOKE_CORRUPTIONS]
          : [...CORRUPTION_NAMES]
        : expandCorruptions(section.corruptions);
    return {
      samples: (section.samples as number | undefined) ?? (key === 'smoke' ? DEFAULT_SMOKE_SAMPLES : undefined),
      corruptions,
      severities: (section.severities as number[] | undefined) ?? (key === 'smoke' ? [3] : [1, 2, 3, 4, 5]),
    };
  };
  const smoke = suite('smoke');
  const full = suite('full');
  if (problems.some((p) => p.severity === 'error')) return { config: undefined, problems, tree };

  const data = value.data as DataSpec | undefined;
  const config: Config = {
    file: path.resolve(file),
    dir,
    model: path.resolve(dir, value.model as string),
    input: value.input && {
      layout: value.input.layout,
      height: value.input.size[0],
      width: value.input.size[1],
      channels,
      scale: value.input.scale ?? 255,
      mean: perChannel(value.input.mean, 0, channels),
      std: perChannel(value.input.std, 1, channels),
    },
    labels: value.labels,
    data,
    shift,
    smoke,
    full,
    preset: value.preset ?? 'auto',
    reference: typeof value.reference === 'string' ? path.resolve(dir, value.reference) : undefined,
    budgets: {
      accuracyDrop: value.budgets?.accuracyDrop ?? DEFAULT_ACCURACY_DROP,
      cleanAccuracyDrop: value.budgets?.cleanAccuracyDrop ?? value.budgets?.accuracyDrop ?? DEFAULT_ACCURACY_DROP,
      corruptions: value.budgets?.corruptions ?? {},
      significance: value.budgets?.significance ?? DEFAULT_SIGNIFICANCE,
      severity: value.budgets?.severity ?? 'warning',
    },
    baseline: path.resolve(dir, (value.baseline as string | undefined) ?? DEFAULT_BASELINE_FILE),
    seed: value.seed ?? 0,
  };
  return { config, problems, tree };
}

function nodeValue(node: Node): unknown {
  switch (node.type) {
    case 'object': {
      const result: Record<string, unknown> = {};
      for (const property of node.children ?? []) {
        const [key, child] = property.children ?? [];
        if (key && child) result[key.value as string] = nodeValue(child);
      }
      return result;
    }
    case 'array':
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

function syntaxMessage(code: string): string {
  const messages: Record<string, string> = {
    InvalidSymbol: 'unexpected character',
    InvalidNumberFormat: 'malformed number',
    PropertyNameExpected: 'a property name in double quotes is expected',
    ValueExpected: 'a value is expected',
    ColonExpected: 'a colon is expected after the property name',
    CommaExpected: 'a comma is expected between entries',
    CloseBraceExpected: 'a closing brace } is expected',
    CloseBracketExpected: 'a closing bracket ] is expected',
    EndOfFileExpected: 'nothing may follow the top-level object',
    UnexpectedEndOfComment: 'a comment is not closed (missing */)',
    UnexpectedEndOfString: 'a string is not closed (missing ")',
    UnexpectedEndOfNumber: 'a number is cut short',
    InvalidUnicode: 'invalid unicode escape',
    InvalidEscapeCharacter: 'invalid escape character in a string',
    InvalidCharacter: 'invalid character in a string',
  };
  return messages[code] ?? code;
}

/** Line and column (both 0-based) of a character offset. */
export function positionAt(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, character: offset - lineStart };
}
