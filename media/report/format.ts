// Number formatting and display names shared by the report's sections.

/** 0.7254 -> "72.5%". */
export function percent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return `${(value * 100).toFixed(digits)}%`;
}

/** A change in accuracy (fractions) as signed percentage points: -0.032 -> "−3.2 pp". */
export function points(delta: number | null | undefined, digits = 1): string {
  if (delta === null || delta === undefined || !Number.isFinite(delta)) return '–';
  const value = delta * 100;
  const text = Math.abs(value).toFixed(digits);
  if (Number(text) === 0) return `0.${'0'.repeat(digits)} pp`;
  return `${value < 0 ? '\u2212' : '+'}${text} pp`;
}

export function fixed(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '–';
  return value.toFixed(digits);
}

export function pValue(p: number): string {
  if (!Number.isFinite(p)) return '–';
  if (p < 0.001) return 'p < 0.001';
  return `p = ${p.toFixed(3)}`;
}

export function integer(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '–';
}

/** "gaussian_noise" -> "gaussian noise" (display only; the model's name is kept as data). */
export function displayName(corruption: string): string {
  return corruption.replace(/_/g, ' ');
}

export function conditionName(corruption: string, severity: number): string {
  return severity > 0 ? `${displayName(corruption)} s${severity}` : displayName(corruption);
}

/** An ISO 8601 time as "2025-11-28 10:21 UTC", or the text as given when it does not parse. */
export function dateTime(iso: string): string {
  const time = Date.parse(iso);
  if (!Number.isFinite(time)) return iso;
  return `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
