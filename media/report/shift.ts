// Distribution shift: one model on several labelled data sets (source held-out, target dev, frozen target test)
// and groups within them. In order: what the intervals are (and the frozen-test banner), the checks, the
// per-data-set tables (values, gaps, worst / average group), ROC curves, reliability diagrams, and the groups.
// Rendered only when the model has a shift section. Each part lives in a shift-*.ts file.
import type { ReportModel, ReportShift } from '../../src/shared/report-model';
import { h, section } from './dom';
import { integer } from './format';
import { checksTable } from './shift-checks';
import { datasetsTable, gapsTable, groupSummaryTable } from './shift-datasets';
import { levelText } from './shift-format';
import { renderGroups } from './shift-groups';
import { renderShiftReliability } from './shift-reliability';
import { renderRoc } from './shift-roc';

function context(shift: ReportShift): HTMLElement[] {
  const line = h('p', { className: 'rl-note rl-shift-context' });
  line.append(
    shift.resamples > 0
      ? `${levelText(shift.level)} bootstrap intervals, ${integer(shift.resamples)} resamples. Values with their intervals in brackets.`
      : 'No bootstrap resamples: values without intervals.',
  );
  if (shift.positiveClass !== undefined) line.append(' Positive class: ', h('strong', { className: 'rl-shift-positive', text: shift.positiveClass }), '.');
  const parts = [line];
  if (shift.frozenTest) {
    parts.push(
      h(
        'p',
        { className: 'rl-callout rl-callout-frozen', attrs: { role: 'note' } },
        h('strong', { text: 'Final evaluation on the frozen test set.' }),
        ' Report these numbers; tuning the model against them would make them optimistic.',
      ),
    );
  }
  return parts;
}

function part(title: string, ...children: (HTMLElement | null)[]): HTMLElement | null {
  const present = children.filter((c): c is HTMLElement => c !== null);
  if (present.length === 0) return null;
  return h('div', { className: 'rl-shift-part' }, h('h3', { text: title }), ...present);
}

export function renderShift(model: ReportModel): HTMLElement | null {
  const shift = model.shift;
  if (!shift) return null;
  const parts = [
    part('Checks', checksTable(shift)),
    shift.datasets.length > 0 ? part('Data sets', datasetsTable(shift), gapsTable(shift), groupSummaryTable(shift)) : null,
    part('ROC curves', renderRoc(shift)),
    part('Reliability', renderShiftReliability(shift)),
    part('Groups', ...renderGroups(shift)),
  ].filter((p): p is HTMLElement => p !== null);
  if (parts.length === 0) parts.push(h('p', { className: 'rl-note', text: 'The shift check produced no metrics.' }));
  return section('rl-shift', 'Distribution shift', ...context(shift), ...parts);
}
