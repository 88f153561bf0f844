// The ROC curve of one class read as positive: sweeping the threshold down through the distinct scores, each
// step adds the samples at that score (ties move together, a diagonal step), giving [FPR, TPR] from (0, 0) to
// (1, 1). For the report the curve is thinned to at most ROC_POINTS points, keeping both ends.
export const ROC_POINTS = 200;

/** Null when either class is absent (no curve is defined). */
export function rocPoints(scores: ArrayLike<number>, positive: ArrayLike<boolean | number>, maxPoints = ROC_POINTS): [number, number][] | null {
  const n = scores.length;
  let positives = 0;
  for (let i = 0; i < n; i++) if (positive[i]) positives++;
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const points: [number, number][] = [[0, 0]];
  let tp = 0;
  let fp = 0;
  for (let j = 0; j < n; ) {
    const score = scores[order[j]];
    while (j < n && scores[order[j]] === score) {
      if (positive[order[j]]) tp++;
      else fp++;
      j++;
    }
    points.push([fp / negatives, tp / positives]);
  }
  return thin(points, maxPoints);
}

function thin(points: [number, number][], maxPoints: number): [number, number][] {
  if (points.length <= maxPoints) return points;
  const kept: [number, number][] = [];
  const step = (points.length - 1) / (maxPoints - 1);
  for (let k = 0; k < maxPoints; k++) kept.push(points[Math.round(k * step)]);
  return kept;
}
