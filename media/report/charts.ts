// Accuracy under corruption: accuracy against severity (one line per corruption, small multiples by family,
// each line starting from the clean accuracy), the corruption x severity heatmap, and the per-corruption table.
import type { ReportCondition, ReportModel } from '../../src/shared/report-model';
import { h, section } from './dom';
import { groupByFamily } from './families';
import { conditionName, displayName, fixed, percent, points } from './format';
import { chart, Plot } from './plot';
import { sortableTable, type Column } from './tables';
import { SERIES_COUNT, textOn, type Theme } from './theme';

interface Point {
  readonly corruption: string;
  readonly severity: number;
  readonly accuracy: number;
}

/** Corruption names in the order they first appear in the model. */
export function corruptionsOf(conditions: readonly { readonly corruption: string }[]): string[] {
  return [...new Set(conditions.map((c) => c.corruption))];
}

function severitiesOf(conditions: readonly ReportCondition[]): number[] {
  return [...new Set(conditions.map((c) => c.severity))].sort((a, b) => a - b);
}

/** A shared accuracy axis for the small multiples: from a round tenth below the lowest value up to 100%. */
function accuracyDomain(model: ReportModel): [number, number] {
  const low = Math.min(model.summary.cleanAccuracy, ...model.conditions.map((c) => c.accuracy));
  return [Math.max(0, Math.floor(low * 10 - 0.0001) / 10), 1];
}

/** The legend under a family chart; swatch i has series colour i, as the chart's ordinal colour scale gives. */
function legend(corruptions: readonly string[]): HTMLUListElement {
  const list = h('ul', { className: 'rl-legend', attrs: { 'aria-label': 'Legend' } });
  corruptions.forEach((corruption, i) => {
    const swatch = h('span', { className: 'rl-swatch', attrs: { 'aria-hidden': 'true' } });
    swatch.style.backgroundColor = `var(--rl-series-${(i % SERIES_COUNT) + 1})`;
    list.append(h('li', {}, swatch, h('span', { text: displayName(corruption) })));
  });
  return list;
}

function familyChart(model: ReportModel, family: string, corruptions: readonly string[], domain: [number, number]): HTMLElement {
  const clean = model.summary.cleanAccuracy;
  const points: Point[] = [];
  for (const corruption of corruptions) {
    points.push({ corruption, severity: 0, accuracy: clean });
    for (const c of model.conditions) if (c.corruption === corruption) points.push(c);
  }
  points.sort((a, b) => a.severity - b.severity);
  const severities = [0, ...severitiesOf(model.conditions)];
  const build = (theme: Theme, width: number): Plot.PlotOptions => ({
    width: Math.max(240, width),
    height: 220,
    ariaLabel: `${family}: accuracy against severity`,
    marginLeft: 42,
    marginRight: 14,
    marginBottom: 34,
    style: { color: theme.foreground },
    x: { domain: [0, Math.max(...severities)], ticks: severities, tickFormat: (s: number) => (s === 0 ? 'clean' : `s${s}`), label: 'Severity', labelAnchor: 'center', labelArrow: 'none' },
    y: { domain, tickFormat: (v: number) => `${Math.round(v * 100)}%`, grid: true, label: 'Accuracy', labelArrow: 'none', ticks: 5 },
    color: { domain: [...corruptions], range: [...theme.series] },
    marks: [
      Plot.ruleY([clean], { stroke: theme.muted, strokeDasharray: '3,3', strokeWidth: 1 }),
      Plot.line(points, { x: 'severity', y: 'accuracy', stroke: 'corruption', strokeWidth: 2 }),
      Plot.dot(points, { x: 'severity', y: 'accuracy', fill: 'corruption', r: 2.5 }),
      Plot.tip(
        points,
        Plot.pointer({
          x: 'severity',
          y: 'accuracy',
          title: (p: Point) => `${p.severity === 0 ? 'clean' : conditionName(p.corruption, p.severity)}\n${percent(p.accuracy)}`,
          fill: theme.background,
          stroke: theme.grid,
        }),
      ),
    ],
  });
  return h('figure', { className: 'rl-figure rl-family' }, h('figcaption', { text: family }), chart(build), legend(corruptions));
}

function heatmap(model: ReportModel): HTMLElement {
  const corruptions = groupByFamily(corruptionsOf(model.conditions)).flatMap((g) => g.corruptions);
  const severities = severitiesOf(model.conditions);
  const accuracies = model.conditions.map((c) => c.accuracy);
  const domain: [number, number] = [Math.min(...accuracies), Math.max(model.summary.cleanAccuracy, ...accuracies)];
  if (domain[0] === domain[1]) domain[0] = Math.max(0, domain[0] - 0.01);
  const colorOptions = { type: 'linear' as const, scheme: 'RdYlBu' as const, domain };
  const colour = Plot.scale({ color: colorOptions });
  const rowHeight = 22;
  const build = (theme: Theme, width: number): Plot.PlotOptions => ({
    width: Math.max(360, Math.min(width, 680)),
    height: corruptions.length * rowHeight + 58,
    ariaLabel: 'Accuracy by corruption and severity',
    marginLeft: 128,
    marginTop: 8,
    marginBottom: 40,
    style: { color: theme.foreground },
    padding: 0.06,
    x: { domain: severities, tickFormat: (s: number) => `s${s}`, label: 'Severity', labelAnchor: 'center', labelArrow: 'none', tickSize: 0 },
    y: { domain: corruptions, tickFormat: displayName, label: null, tickSize: 0 },
    color: { ...colorOptions, legend: true, label: 'Accuracy', tickFormat: (v: number) => `${Math.round(v * 100)}%` },
    marks: [
      Plot.cell(model.conditions, {
        x: 'severity',
        y: 'corruption',
        fill: 'accuracy',
        rx: 2,
        title: (c: ReportCondition) => `${conditionName(c.corruption, c.severity)}: ${percent(c.accuracy)} (n = ${c.n})`,
      }),
      Plot.text(model.conditions, {
        x: 'severity',
        y: 'corruption',
        text: (c: ReportCondition) => (c.accuracy * 100).toFixed(1),
        fill: (c: ReportCondition) => textOn(String(colour.apply(c.accuracy))),
        fontSize: 11,
        fontVariant: 'tabular-nums',
        pointerEvents: 'none',
      }),
    ],
  });
  return h('figure', { className: 'rl-figure rl-heatmap', attrs: { id: 'rl-heatmap' } }, h('figcaption', { text: 'Accuracy (%) by corruption and severity' }), chart(build));
}

interface CorruptionRow {
  readonly corruption: string;
  readonly mean: number;
  readonly worst: ReportCondition;
  readonly ece: number | null;
}

function corruptionRows(model: ReportModel): CorruptionRow[] {
  return corruptionsOf(model.conditions).map((corruption) => {
    const rows = model.conditions.filter((c) => c.corruption === corruption);
    const eces = rows.map((c) => c.ece).filter((e): e is number => e !== undefined);
    return {
      corruption,
      mean: rows.reduce((sum, c) => sum + c.accuracy, 0) / rows.length,
      worst: rows.reduce((a, b) => (b.accuracy < a.accuracy ? b : a)),
      ece: eces.length ? eces.reduce((a, b) => a + b, 0) / eces.length : null,
    };
  });
}

function corruptionTable(model: ReportModel): HTMLElement {
  const clean = model.summary.cleanAccuracy;
  const rows = corruptionRows(model);
  const columns: Column<CorruptionRow>[] = [
    { key: 'corruption', label: 'Corruption', value: (r) => r.corruption, text: (r) => displayName(r.corruption) },
    { key: 'mean', label: 'Mean accuracy', numeric: true, value: (r) => r.mean, text: (r) => percent(r.mean) },
    { key: 'drop', label: 'vs clean', numeric: true, value: (r) => r.mean - clean, text: (r) => points(r.mean - clean), firstDirection: 'ascending' },
    { key: 'worst', label: 'Worst', numeric: true, value: (r) => r.worst.accuracy, text: (r) => `${percent(r.worst.accuracy)} (s${r.worst.severity})`, firstDirection: 'ascending' },
  ];
  if (rows.some((r) => r.ece !== null)) columns.push({ key: 'ece', label: 'Mean ECE', numeric: true, value: (r) => r.ece, text: (r) => fixed(r.ece) });
  return sortableTable({ caption: 'Per corruption (mean over severities)', columns, rows, className: 'rl-corruption-table', sort: { key: 'mean', direction: 'ascending' } });
}

function conditionTable(model: ReportModel): HTMLElement {
  const clean = model.summary.cleanAccuracy;
  const columns: Column<ReportCondition>[] = [
    { key: 'corruption', label: 'Corruption', value: (c) => c.corruption, text: (c) => displayName(c.corruption) },
    { key: 'severity', label: 'Severity', numeric: true, value: (c) => c.severity, firstDirection: 'ascending' },
    { key: 'accuracy', label: 'Accuracy', numeric: true, value: (c) => c.accuracy, text: (c) => percent(c.accuracy) },
    { key: 'drop', label: 'vs clean', numeric: true, value: (c) => c.accuracy - clean, text: (c) => points(c.accuracy - clean), firstDirection: 'ascending' },
    { key: 'n', label: 'n', numeric: true, value: (c) => c.n },
  ];
  if (model.conditions.some((c) => c.ece !== undefined)) columns.push({ key: 'ece', label: 'ECE', numeric: true, value: (c) => c.ece ?? null, text: (c) => fixed(c.ece) });
  return sortableTable({ caption: 'Every corruption and severity', columns, rows: model.conditions, className: 'rl-condition-table' });
}

export function renderCorruptions(model: ReportModel): HTMLElement {
  if (model.conditions.length === 0) {
    return section('rl-corruptions', 'Accuracy under corruption', h('p', { className: 'rl-note', text: 'No corruptions ran: only the clean accuracy was measured.' }));
  }
  const domain = accuracyDomain(model);
  const families = h('div', { className: 'rl-families' }, ...groupByFamily(corruptionsOf(model.conditions)).map((g) => familyChart(model, g.family, g.corruptions, domain)));
  const details = h('details', { className: 'rl-details' }, h('summary', { text: `All ${model.conditions.length} conditions` }), conditionTable(model));
  return section(
    'rl-corruptions',
    'Accuracy under corruption',
    h('p', { className: 'rl-note', text: 'Each line starts at the clean accuracy (dashed) and follows one corruption through its severities.' }),
    families,
    h('div', { className: 'rl-split' }, heatmap(model), h('div', { className: 'rl-split-side' }, corruptionTable(model))),
    details,
  );
}
