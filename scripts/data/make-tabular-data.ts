// Writes the synthetic tabular data of the tabular-shift demo and the small tabular test fixtures, all
// from seeded generators (a rerun rewrites the same bytes):
//
//   node --import tsx scripts/data/make-tabular-data.ts
//
// then train and export the models with /usr/bin/python3 scripts/models/make_tabular_models.py, which
// reads the training split written here.
//
// The problem: "patient risk", a binary outcome ("low" / "high") from 8 numeric measurements of a patient
// (age, bmi, systolic_bp, cholesterol, glucose, heart_rate, smoker, exercise_hours) and the clinic that
// measured them (column "site", the group). The true risk is a logistic function of the true measurements
// with a kink (glucose above 126 mg/dl, diabetes, adds risk), so a linear model fits it only approximately.
// The source population (clinics a, b, c) is what the model is trained on; the target population differs:
//   - covariate shift: older patients (mean age 63 instead of 52), heavier, more smokers and diabetics, less
//     exercise, and most of them from clinic d, a site the model never saw, whose blood-pressure cuff reads
//     10 mmHg high (the recorded systolic_bp is shifted, the true one is not);
//   - label shift: the target files are drawn with a fixed share of "high" outcomes (55%), against about
//     30% in the source population.
//
// Writes:
//   examples/tabular-shift/data/source-train.csv        3,000 rows (seed 1), training split for the model
//   examples/tabular-shift/data/source-heldout.{csv,parquet}  2,000 rows (seed 2)
//   examples/tabular-shift/data/target-dev.{csv,parquet}      1,500 rows (seed 3)
//   examples/tabular-shift/data/target-test.{csv,parquet}     1,500 rows (seed 4)
//   test/fixtures/tabular/*: see test/fixtures/tabular/README.md
//
// Also exports writeBenchTable(): a 100,000-row table of 10 numeric features (not committed) for benchmarks.
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parquetWriteBuffer } from 'hyparquet-writer';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const DEMO_DATA = path.join(REPO_ROOT, 'examples', 'tabular-shift', 'data');
const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'tabular');

// ---------------------------------------------------------------------------------------------------
// A small seeded generator (mulberry32 + Box-Muller): the data must not depend on Math.random.

export class Rng {
  private state: number;
  private spare: number | undefined;

  constructor(seed: number) {
    this.state = (seed * 0x9e3779b9) >>> 0;
    for (let i = 0; i < 4; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal. */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const u = 1 - this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** An index drawn with the given (not necessarily normalised) weights. */
  choice(weights: readonly number[]): number {
    const total = weights.reduce((a, b) => a + b, 0);
    let u = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i];
      if (u < 0) return i;
    }
    return weights.length - 1;
  }
}

// ---------------------------------------------------------------------------------------------------
// The patient-risk problem.

export const SITES = ['clinic-a', 'clinic-b', 'clinic-c', 'clinic-d'] as const;
export const FEATURES = ['age', 'bmi', 'systolic_bp', 'cholesterol', 'glucose', 'heart_rate', 'smoker', 'exercise_hours'] as const;
export const OUTCOMES = ['low', 'high'] as const;

export interface Patient {
  readonly site: string;
  readonly age: number;
  readonly bmi: number;
  readonly systolic_bp: number;
  readonly cholesterol: number;
  readonly glucose: number;
  readonly heart_rate: number;
  readonly smoker: number;
  readonly exercise_hours: number;
  readonly outcome: 'low' | 'high';
}

interface Population {
  readonly siteWeights: readonly number[];
  readonly ageMean: number;
  readonly ageSd: number;
  readonly bmiShift: number;
  readonly smokerRate: number;
  readonly diabeticRate: number;
  readonly exerciseMean: number;
  /** Share of "high" outcomes to draw (label shift); undefined keeps the population's own share. */
  readonly highShare: number | undefined;
}

export const SOURCE: Population = {
  siteWeights: [0.4, 0.35, 0.25, 0],
  ageMean: 52,
  ageSd: 12,
  bmiShift: 0,
  smokerRate: 0.2,
  diabeticRate: 0.1,
  exerciseMean: 3,
  highShare: undefined,
};

export const TARGET: Population = {
  siteWeights: [0.1, 0.15, 0.15, 0.6],
  ageMean: 63,
  ageSd: 11,
  bmiShift: 1.5,
  smokerRate: 0.3,
  diabeticRate: 0.18,
  exerciseMean: 2.2,
  highShare: 0.55,
};

/** Clinic d's blood-pressure cuff reads this much too high. */
const SITE_D_BP_OFFSET = 10;

const clip = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const round = (x: number, decimals: number) => {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
};
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** One patient of the population, with the outcome drawn from the true risk. */
function drawPatient(rng: Rng, pop: Population): Patient {
  const siteIndex = rng.choice(pop.siteWeights);
  const age = Math.round(clip(pop.ageMean + pop.ageSd * rng.normal(), 18, 90));
  const bmi = round(clip(26 + 0.05 * (age - 50) + pop.bmiShift + 4 * rng.normal(), 16, 50), 1);
  const exercise = round(clip(pop.exerciseMean + 2 * rng.normal(), 0, 14), 1);
  const smoker = rng.bernoulli(pop.smokerRate) ? 1 : 0;
  const diabetic = rng.bernoulli(pop.diabeticRate);
  const trueBp = clip(120 + 0.5 * (age - 50) + 0.6 * (bmi - 26) + 14 * rng.normal(), 85, 220);
  const bp = Math.round(trueBp + (siteIndex === 3 ? SITE_D_BP_OFFSET : 0));
  const cholesterol = Math.round(clip(195 + 0.4 * (age - 50) + 35 * rng.normal(), 110, 360));
  const glucose = Math.round(clip(95 + 0.5 * (bmi - 26) + (diabetic ? 50 : 0) + (diabetic ? 25 : 12) * rng.normal(), 60, 320));
  const heartRate = Math.round(clip(74 - 1.5 * exercise + 3 * smoker + 9 * rng.normal(), 45, 130));
  const z =
    -0.5 +
    0.055 * (age - 52) +
    0.07 * (bmi - 27) +
    0.025 * (trueBp - 130) +
    0.008 * (cholesterol - 200) +
    0.012 * (glucose - 100) +
    (glucose > 126 ? 1.2 : 0) +
    0.9 * smoker -
    0.2 * exercise +
    0.015 * (heartRate - 72);
  const outcome = rng.bernoulli(sigmoid(z)) ? 'high' : 'low';
  return { site: SITES[siteIndex], age, bmi, systolic_bp: bp, cholesterol, glucose, heart_rate: heartRate, smoker, exercise_hours: exercise, outcome };
}

/** `count` patients of a population; with a fixed high share, patients are drawn until both quotas are filled. */
export function generatePatients(count: number, pop: Population, seed: number): Patient[] {
  const rng = new Rng(seed);
  if (pop.highShare === undefined) return Array.from({ length: count }, () => drawPatient(rng, pop));
  const quota = { high: Math.round(count * pop.highShare), low: count - Math.round(count * pop.highShare) };
  const patients: Patient[] = [];
  while (patients.length < count) {
    const p = drawPatient(rng, pop);
    if (quota[p.outcome] > 0) {
      quota[p.outcome]--;
      patients.push(p);
    }
  }
  return patients;
}

// ---------------------------------------------------------------------------------------------------
// Writing tables.

export type ColumnValues = readonly (string | number | boolean | null)[];
export interface ColumnOut {
  readonly name: string;
  readonly values: ColumnValues;
  /** The Parquet type (pandas writes ints as INT64, floats as DOUBLE, text as STRING). */
  readonly type: 'DOUBLE' | 'INT64' | 'STRING' | 'BOOLEAN';
}

/** A CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180). */
function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  const text = typeof value === 'boolean' ? (value ? 'True' : 'False') : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvText(columns: readonly ColumnOut[], eol = '\n'): string {
  const rows = columns[0]?.values.length ?? 0;
  const lines = [columns.map((c) => csvField(c.name)).join(',')];
  for (let r = 0; r < rows; r++) lines.push(columns.map((c) => csvField(c.values[r])).join(','));
  return lines.join(eol) + eol;
}

export function parquetBytes(columns: readonly ColumnOut[]): Uint8Array {
  const buffer = parquetWriteBuffer({
    columnData: columns.map((c) => ({
      name: c.name,
      type: c.type,
      data: c.type === 'INT64' ? c.values.map((v) => (v === null ? null : BigInt(v as number))) : [...c.values],
    })),
    createdBy: 'robustness-lens scripts/data/make-tabular-data.ts (hyparquet-writer)',
  });
  return new Uint8Array(buffer);
}

/** The columns of a patient table: site, the 8 features, outcome. */
export function patientColumns(patients: readonly Patient[]): ColumnOut[] {
  const ints = new Set(['age', 'systolic_bp', 'cholesterol', 'glucose', 'heart_rate', 'smoker']);
  return [
    { name: 'site', type: 'STRING', values: patients.map((p) => p.site) },
    ...FEATURES.map((f): ColumnOut => ({ name: f, type: ints.has(f) ? 'INT64' : 'DOUBLE', values: patients.map((p) => p[f]) })),
    { name: 'outcome', type: 'STRING', values: patients.map((p) => p.outcome) },
  ];
}

/** A 3-class problem with 4 features: three Gaussian blobs, `perClass` rows each, interleaved, integer labels. */
export function threeClassColumns(perClass: number, seed: number): ColumnOut[] {
  const rng = new Rng(seed);
  const centres = [
    [0, 0, 1, -1],
    [2, 1, -1, 0],
    [0, 2.5, 0, 1.5],
  ];
  const x: number[][] = [[], [], [], []];
  const y: number[] = [];
  for (let i = 0; i < perClass * 3; i++) {
    const c = i % 3;
    centres[c].forEach((m, k) => x[k].push(round(m + 0.8 * rng.normal(), 3)));
    y.push(c);
  }
  return [...x.map((values, k): ColumnOut => ({ name: `x${k + 1}`, type: 'DOUBLE', values })), { name: 'class', type: 'INT64', values: y }];
}

/** A copy of `columns` with one cell replaced. */
function withCell(columns: readonly ColumnOut[], name: string, row: number, value: string | number | null): ColumnOut[] {
  return columns.map((c) => (c.name === name ? { ...c, values: c.values.map((v, r) => (r === row ? value : v)) } : c));
}

/** A copy of `columns` with one column renamed. */
function renamed(columns: readonly ColumnOut[], from: string, to: string): ColumnOut[] {
  return columns.map((c) => (c.name === from ? { ...c, name: to } : c));
}

// ---------------------------------------------------------------------------------------------------
// The 100,000-row benchmark table (not committed).

export interface BenchTable {
  readonly names: readonly string[];
  /** Feature columns f0..f{n-1} (full-precision doubles, as pandas writes them) and the label column y (0/1). */
  readonly columns: readonly ColumnOut[];
}

/** `rows` rows of `features` normal features (full precision) and a 0/1 label column "y". */
export function makeBenchTable(rows = 100_000, features = 10, seed = 7): BenchTable {
  const rng = new Rng(seed);
  const feats = Array.from({ length: features }, () => new Array<number>(rows));
  const y = new Array<number>(rows);
  for (let r = 0; r < rows; r++) {
    let z = 0;
    for (let k = 0; k < features; k++) {
      const v = rng.normal() * (k + 1);
      feats[k][r] = v;
      z += v / (k + 1);
    }
    y[r] = z + rng.normal() > 0 ? 1 : 0;
  }
  const columns: ColumnOut[] = [...feats.map((values, k): ColumnOut => ({ name: `f${k}`, type: 'DOUBLE', values })), { name: 'y', type: 'INT64', values: y }];
  return { names: columns.map((c) => c.name), columns };
}

/** Writes the benchmark table as CSV and Parquet into `dir` (default: a new temporary folder); returns the paths. */
export async function writeBenchTable(dir?: string, rows = 100_000, features = 10): Promise<{ dir: string; csv: string; parquet: string; featureNames: string[] }> {
  const folder = dir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'rl-tabular-bench-')));
  const table = makeBenchTable(rows, features);
  const csv = path.join(folder, `bench-${rows}x${features}.csv`);
  const parquet = path.join(folder, `bench-${rows}x${features}.parquet`);
  await fs.writeFile(csv, csvText(table.columns));
  await fs.writeFile(parquet, parquetBytes(table.columns));
  return { dir: folder, csv, parquet, featureNames: table.names.filter((n) => n !== 'y') };
}

// ---------------------------------------------------------------------------------------------------

async function write(file: string, content: string | Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, content);
  const size = (await fs.stat(file)).size;
  console.log(`  ${path.relative(REPO_ROOT, file)}  ${size} bytes`);
}

async function writeBoth(base: string, columns: readonly ColumnOut[]): Promise<void> {
  await write(`${base}.csv`, csvText(columns));
  await write(`${base}.parquet`, parquetBytes(columns));
}

/** The hand-written RFC 4180 fixture: BOM, CRLF, quoted commas, doubled quotes, a line break in a field, no final newline. */
const RFC4180 =
  '\uFEFF' +
  ['name,x,"y value",label', '"Smith, J.",1.5,-2,yes', '"say ""hi""",0.25,3e2,no', '"two', 'lines",-0,.5,yes', 'plain,7,8,no'].join('\r\n');

async function main(): Promise<void> {
  console.log('demo data:');
  const train = patientColumns(generatePatients(3000, SOURCE, 1));
  await write(path.join(DEMO_DATA, 'source-train.csv'), csvText(train));
  await writeBoth(path.join(DEMO_DATA, 'source-heldout'), patientColumns(generatePatients(2000, SOURCE, 2)));
  await writeBoth(path.join(DEMO_DATA, 'target-dev'), patientColumns(generatePatients(1500, TARGET, 3)));
  await writeBoth(path.join(DEMO_DATA, 'target-test'), patientColumns(generatePatients(1500, TARGET, 4)));

  console.log('fixtures:');
  const risk = patientColumns(generatePatients(40, SOURCE, 5));
  const three = threeClassColumns(15, 6);
  await writeBoth(path.join(FIXTURES, 'risk-40'), risk);
  await writeBoth(path.join(FIXTURES, 'three-class-45'), three);
  await write(path.join(FIXTURES, 'rfc4180.csv'), RFC4180);
  await write(path.join(FIXTURES, 'empty.csv'), csvText(risk.map((c) => ({ ...c, values: [] }))));
  await write(path.join(FIXTURES, 'missing-label.csv'), csvText(renamed(risk, 'outcome', 'outcomes')));
  // Data row 7 (line 8): glucose "high".
  await write(path.join(FIXTURES, 'non-numeric.csv'), csvText(withCell(risk, 'glucose', 6, 'high')));
  // Data row 12 (line 13): bmi empty.
  await write(path.join(FIXTURES, 'missing-value.csv'), csvText(withCell(risk, 'bmi', 11, null)));
  // Data row 9 (line 10): outcome "medium".
  await write(path.join(FIXTURES, 'unknown-label.csv'), csvText(withCell(risk, 'outcome', 8, 'medium')));
  // Data row 4 (line 5): class 5 (3 labels).
  await write(path.join(FIXTURES, 'label-out-of-range.csv'), csvText(withCell(three, 'class', 3, 5)));
  const lines = csvText(risk).split('\n');
  // Line 6 (data row 5) gets an 11th field.
  await write(path.join(FIXTURES, 'ragged.csv'), lines.map((l, i) => (i === 5 ? `${l},1` : l)).join('\n'));
  // Line 21 (data row 20) opens a quote that is never closed.
  await write(path.join(FIXTURES, 'unterminated-quote.csv'), lines.map((l, i) => (i === 20 ? `"${l}` : l)).join('\n'));
}

// Run as a script only (not when a bundle that imports the bench-table helpers starts: there require.main is the
// bundle's module too).
if (path.basename(process.argv[1] ?? '').replace(/\.(ts|js)$/, '') === 'make-tabular-data') {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
