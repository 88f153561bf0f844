// The exact McNemar test on paired per-sample outcomes (the same samples, before and after):
// only the discordant pairs carry information. Under "no change", the number b of samples that went from
// right to wrong, among the n = b + c that changed either way, is Binomial(n, 1/2).
// A regression is one-directional, so the p-value is one-sided: P(X >= b), X ~ Binomial(b + c, 1/2).

/** ln(n!) exactly for small n, by Stirling's series beyond (error < 1e-12 for n >= 20). */
function logFactorial(n: number): number {
  if (n < 20) {
    let r = 0;
    for (let k = 2; k <= n; k++) r += Math.log(k);
    return r;
  }
  const x = n + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3) + 1 / (1260 * x ** 5);
}

/** P(X >= k) for X ~ Binomial(n, 1/2). */
export function binomialUpperTailHalf(k: number, n: number): number {
  if (!Number.isInteger(k) || !Number.isInteger(n) || n < 0) throw new RangeError(`binomial tail needs integers, got k=${k} n=${n}`);
  if (k <= 0) return 1;
  if (k > n) return 0;
  const logHalfN = n * Math.log(0.5);
  const logFactN = logFactorial(n);
  // Sum the terms from k up in log space around the largest one.
  const logTerms: number[] = [];
  for (let i = k; i <= n; i++) logTerms.push(logFactN - logFactorial(i) - logFactorial(n - i) + logHalfN);
  const max = Math.max(...logTerms);
  let sum = 0;
  for (const t of logTerms) sum += Math.exp(t - max);
  return Math.min(1, Math.exp(max) * sum);
}

export interface McNemarResult {
  /** Samples right before and wrong after. */
  readonly worse: number;
  /** Samples wrong before and right after. */
  readonly better: number;
  /** One-sided exact p-value of "after is worse than before". */
  readonly p: number;
}

/** The exact one-sided McNemar test of "after is worse" on paired 0/1 outcomes. */
export function mcnemarWorse(before: ArrayLike<number>, after: ArrayLike<number>): McNemarResult {
  if (before.length !== after.length) throw new RangeError(`paired outcomes differ in length: ${before.length} and ${after.length}`);
  let worse = 0;
  let better = 0;
  for (let i = 0; i < before.length; i++) {
    if (before[i] && !after[i]) worse++;
    else if (!before[i] && after[i]) better++;
  }
  return { worse, better, p: binomialUpperTailHalf(worse, worse + better) };
}

/** "p < 0.001", "p = 0.012". */
export function formatP(p: number): string {
  if (p < 0.001) return 'p < 0.001';
  return `p = ${p < 0.1 ? p.toFixed(3) : p.toFixed(2)}`;
}
