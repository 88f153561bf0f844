// ROC curves: for a binary task (one curve per data set, all for the same positive class) one chart with a line
// per data set; otherwise (one-vs-rest) small multiples, one chart per data set with a line per class. The
// diagonal is a classifier that guesses; the legend names each curve's AUC.
import type { ReportShift, ReportShiftDataset } from '../../src/shared/report-model';
import { h } from './dom';
import { fixed } from './format';
import { chart, Plot, type Build } from './plot';
import { dash, DASH, undefinedReason } from './shift-format';
import { SERIES_COUNT, type Theme } from './theme';

interface Curve {
  /** The curve's index as text: its z and colour key (names may repeat or be anything). */
  readonly key: string;
  readonly name: string;
  readonly auc: number | null;
  readonly points: readonly (readonly [number, number])[];
}

interface Point {
  readonly key: string;
  readonly name: string;
  readonly fpr: number;
  readonly tpr: number;
}

/** Dash patterns for curves beyond the colours: colour i % 6, pattern floor(i / 6) % 3. */
const DASHES = ['none', '6,3', '2,2'] as const;
const dashOf = (index: number) => Math.floor(index / SERIES_COUNT) % DASHES.length;

const aucText = (auc: number | null) => (auc === null ? `AUC ${DASH} (${undefinedReason('auroc')})` : `AUC ${fixed(auc)}`);

/** A binary task: every data set with curves has one, and all are for the same class. */
function binaryLabel(datasets: readonly ReportShiftDataset[]): string | null {
  const withCurves = datasets.filter((d) => d.roc.length > 0);
  if (withCurves.length === 0 || withCurves.some((d) => d.roc.length !== 1)) return null;
  const label = withCurves[0].roc[0].label;
  return withCurves.every((d) => d.roc[0].label === label) ? label : null;
}

function build(curves: readonly Curve[], ariaLabel: string): Build {
  const points: Point[] = curves.flatMap((c) => c.points.map(([fpr, tpr]) => ({ key: c.key, name: c.name, fpr, tpr })));
  return (theme: Theme, width: number) => {
    const side = Math.max(260, Math.min(width, 420));
    const lines = DASHES.map((pattern, d) =>
      Plot.line(
        points.filter((p) => dashOf(Number(p.key)) === d),
        { x: 'fpr', y: 'tpr', z: 'key', stroke: 'key', strokeWidth: 2, strokeDasharray: pattern === 'none' ? undefined : pattern, className: 'rl-mark-roc' },
      ),
    );
    return {
      width: side,
      height: side - 20,
      ariaLabel,
      ariaDescription: curves.map((c) => `${c.name}: ${aucText(c.auc)}`).join('; '),
      marginLeft: 46,
      marginRight: 14,
      marginBottom: 40,
      style: { color: theme.foreground },
      x: { domain: [0, 1], label: 'False positive rate', labelAnchor: 'center', labelArrow: 'none', grid: true, ticks: 5 },
      y: { domain: [0, 1], label: 'True positive rate', labelArrow: 'none', grid: true, ticks: 5 },
      color: { type: 'ordinal', domain: curves.map((c) => c.key), range: [...theme.series] },
      marks: [
        Plot.line([[0, 0], [1, 1]], { stroke: theme.muted, strokeDasharray: '4,3', strokeWidth: 1.25, className: 'rl-mark-chance' }),
        ...lines,
        Plot.frame({ stroke: theme.grid }),
        Plot.tip(
          points,
          Plot.pointer({
            x: 'fpr',
            y: 'tpr',
            title: (p: Point) => `${p.name}\nFPR ${fixed(p.fpr)}, TPR ${fixed(p.tpr)}`,
            fill: theme.background,
            stroke: theme.grid,
          }),
        ),
      ],
    };
  };
}

function legend(curves: readonly Curve[]): HTMLUListElement {
  const list = h('ul', { className: 'rl-legend rl-roc-legend', attrs: { 'aria-label': 'Legend' } });
  for (const curve of curves) {
    const index = Number(curve.key);
    const swatch = h('span', { className: `rl-swatch rl-swatch-series-${(index % SERIES_COUNT) + 1} rl-swatch-dash-${dashOf(index)}`, attrs: { 'aria-hidden': 'true' } });
    const auc = curve.auc === null ? h('span', { className: 'rl-roc-auc' }, 'AUC ', dash(undefinedReason('auroc'))) : h('span', { className: 'rl-roc-auc', text: `AUC ${fixed(curve.auc)}` });
    list.append(h('li', {}, swatch, h('span', { className: 'rl-roc-name', text: curve.name }), auc, curve.points.length === 0 ? h('span', { className: 'rl-dim', text: '(no curve)' }) : null));
  }
  return list;
}

function figure(caption: string, curves: readonly Curve[], ariaLabel: string, className: string): HTMLElement {
  return h('figure', { className: `rl-figure ${className}` }, h('figcaption', { text: caption }), chart(build(curves, ariaLabel), 'rl-chart rl-roc-chart'), legend(curves));
}

export function renderRoc(shift: ReportShift): HTMLElement | null {
  const datasets = shift.datasets.filter((d) => d.roc.length > 0);
  if (datasets.length === 0) return null;
  const label = binaryLabel(datasets);
  if (label !== null) {
    const curves = datasets.map((d, i): Curve => ({ key: String(i), name: d.name, auc: d.roc[0].auc, points: d.roc[0].points }));
    return h('div', { className: 'rl-shift-roc rl-shift-roc-binary' }, figure(`ROC curves, positive class ${label}: one per data set`, curves, `ROC curves of the positive class ${label}, one line per data set`, 'rl-roc-figure'));
  }
  const multiples = datasets.map((d) => {
    const curves = d.roc.map((c, i): Curve => ({ key: String(i), name: c.label, auc: c.auc, points: c.points }));
    return figure(`${d.name}: one-vs-rest ROC per class`, curves, `ROC curves of ${d.name}, one line per class against the rest`, 'rl-roc-figure rl-roc-multiple');
  });
  return h('div', { className: 'rl-shift-roc rl-shift-grid' }, ...multiples);
}
