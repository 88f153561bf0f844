// The marks of a reliability diagram, shared by the calibration section and the shift section: accuracy per
// confidence bin as bars, the gap to the bin's mean confidence shaded, and the diagonal of perfect calibration.
import type { ReliabilityBin } from '../../src/shared/report-model';
import { fixed, integer } from './format';
import { Plot } from './plot';
import type { Theme } from './theme';

export const percentTick = (v: number) => `${Math.round(v * 100)}%`;

/** Bars and gaps of the non-empty bins (pass them filtered), then the diagonal and a frame. */
export function reliabilityMarks(bins: readonly ReliabilityBin[], theme: Theme): Plot.Markish[] {
  return [
    Plot.rectY(bins, { x1: 'lower', x2: 'upper', y: 'accuracy', fill: theme.blue, fillOpacity: 0.85, inset: 0.5, className: 'rl-mark-accuracy' }),
    Plot.rectY(bins, {
      x1: 'lower',
      x2: 'upper',
      y1: 'accuracy',
      y2: 'meanConfidence',
      fill: theme.red,
      fillOpacity: 0.28,
      stroke: theme.red,
      strokeOpacity: 0.7,
      inset: 0.5,
      className: 'rl-mark-gap',
      title: (b: ReliabilityBin) => `confidence ${fixed(b.lower, 2)}–${fixed(b.upper, 2)}: accuracy ${fixed(b.accuracy)}, mean confidence ${fixed(b.meanConfidence)}, ${integer(b.count)} predictions`,
    }),
    Plot.line(
      [
        [0, 0],
        [1, 1],
      ],
      { stroke: theme.foreground, strokeOpacity: 0.55, strokeDasharray: '4,3' },
    ),
    Plot.frame({ stroke: theme.grid }),
  ];
}
