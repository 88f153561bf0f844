// Builds the report model (src/shared/report-model.ts) from results and example inputs: summary figures,
// per-condition accuracy and ECE, calibration pooled per corruption, the change against the baseline, and a
// gallery of thumbnails (PNG data URLs made here, misclassified first).
import sharp from 'sharp';
import { REPORT_MODEL_VERSION, type GalleryItem, type ReportCalibration, type ReportModel } from '../../../shared/report-model';
import { CALIBRATION_BINS, emptyBins, expectedCalibrationError, mergeBins, type CalibrationBins } from '../metrics/calibration';
import { conditionKey, hasSuite, type Results } from '../results/results';
import { buildShiftReport } from './shift-report';
import type { Example } from '../run/execute-plan';
import type { Image } from '../types';

/** Thumbnails are at most this many pixels on a side; smaller images keep their size (the app enlarges them). */
const THUMBNAIL_SIDE = 96;

async function thumbnail(image: Image): Promise<string> {
  const scale = Math.min(1, THUMBNAIL_SIDE / Math.max(image.width, image.height));
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const png = await sharp(Buffer.from(image.pixels.buffer, image.pixels.byteOffset, image.pixels.byteLength), {
    raw: { width: image.width, height: image.height, channels: image.channels as 1 | 3 },
  })
    .resize(width, height, { kernel: 'lanczos3' })
    .png({ compressionLevel: 9 })
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

export function reliability(bins: CalibrationBins) {
  return Array.from({ length: CALIBRATION_BINS }, (_, b) => ({
    lower: b / CALIBRATION_BINS,
    upper: (b + 1) / CALIBRATION_BINS,
    count: bins.count[b],
    meanConfidence: bins.count[b] ? bins.confidenceSum[b] / bins.count[b] : 0,
    accuracy: bins.count[b] ? bins.correct[b] / bins.count[b] : 0,
  }));
}

/** The report header: the run's facts and what data it saw. */
function header(results: Results, title: string, data: { source: string; count: number; samples: number; preset: string }): ReportModel['header'] {
  return {
    title,
    modelPath: results.model.path,
    modelSha256: results.model.sha256,
    dataSource: data.source,
    dataCount: data.count,
    samples: data.samples,
    seed: results.seed,
    preset: data.preset,
    kind: results.kind,
    createdAt: results.createdAt,
    toolVersion: results.tool.version,
    labels: results.labels,
  };
}

export async function buildReportModel(results: Results, examples: readonly Example[][] = [], title = 'Robustness report'): Promise<ReportModel> {
  const shift = results.shift ? buildShiftReport(results.shift) : undefined;
  if (!hasSuite(results)) {
    const sets = results.shift?.datasets ?? [];
    const count = sets.reduce((a, d) => a + d.n, 0);
    const source = sets.map((d) => d.source).join(', ') || '(no data)';
    return { version: REPORT_MODEL_VERSION, header: header(results, title, { source, count, samples: count, preset: 'n/a (no corruptions)' }), conditions: [], calibration: [], gallery: [], shift };
  }
  const eceOf = new Map(results.calibration.map((c) => [c.condition, c]));
  // Calibration: clean, and each corruption with its severities pooled.
  const pooled = new Map<string, CalibrationBins>();
  for (const c of results.corruptions) {
    const own = eceOf.get(conditionKey(c.corruption, c.severity));
    if (own) pooled.set(c.corruption, mergeBins(pooled.get(c.corruption) ?? emptyBins(), own.bins));
  }
  const cleanCalibration = eceOf.get('clean');
  const calibration: ReportCalibration[] = [
    ...(cleanCalibration ? [{ condition: 'clean', ece: cleanCalibration.ece, bins: reliability(cleanCalibration.bins) }] : []),
    ...[...pooled].map(([condition, bins]) => ({ condition, ece: expectedCalibrationError(bins), bins: reliability(bins) })),
  ];

  const named = [{ corruption: 'clean', severity: 0 }, ...results.corruptions];
  const gallery: GalleryItem[] = [];
  for (let k = 0; k < examples.length && k < named.length; k++) {
    for (const example of examples[k]) {
      gallery.push({
        corruption: named[k].corruption,
        severity: named[k].severity,
        sampleId: example.sampleId,
        label: results.labels[example.label] ?? String(example.label),
        prediction: results.labels[example.predicted] ?? String(example.predicted),
        correct: example.label === example.predicted,
        image: await thumbnail(example.image),
      });
    }
  }
  gallery.sort((a, b) => Number(a.correct) - Number(b.correct));

  const comparison = results.comparison;
  let baseline: ReportModel['baseline'];
  if (comparison) {
    const flagged = new Set(comparison.regressions.map((r) => conditionKey(r.corruption, r.severity)));
    baseline = {
      file: comparison.baseline,
      comparable: comparison.comparable,
      reason: comparison.reason,
      changes: comparison.changes,
      regressions: [...comparison.regressions, ...comparison.insignificantDrops].map((r) => ({
        corruption: r.corruption,
        severity: r.severity,
        baseline: r.baseline,
        current: r.current,
        drop: r.drop,
        budget: r.budget,
        p: r.p,
        significant: flagged.has(conditionKey(r.corruption, r.severity)),
      })),
    };
  }

  return {
    version: REPORT_MODEL_VERSION,
    header: header(results, title, { source: results.data.source, count: results.data.count, samples: results.clean.n, preset: results.preset }),
    summary: {
      cleanAccuracy: results.clean.accuracy,
      meanCorruptionAccuracy: results.summary.meanCorruptionAccuracy,
      meanBenchmarkAccuracy: results.summary.meanBenchmarkAccuracy,
      meanAllAccuracy: results.summary.meanAllAccuracy,
      mCE: results.summary.mCE,
      relativeMCE: results.summary.relativeMCE,
      normalisation: results.summary.normalisation,
    },
    conditions: results.corruptions.map((c) => ({
      corruption: c.corruption,
      severity: c.severity,
      accuracy: c.accuracy,
      n: c.n,
      ece: eceOf.get(conditionKey(c.corruption, c.severity))?.ece,
    })),
    calibration,
    gallery,
    baseline,
    shift,
  };
}
