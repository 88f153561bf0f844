// The chart colours, read from the page's CSS custom properties (which take VS Code's theme variables, with
// light and dark fallbacks for the standalone page) and resolved to concrete colours for Plot's SVG attributes.

export interface Theme {
  readonly foreground: string;
  readonly muted: string;
  readonly grid: string;
  readonly background: string;
  /** Card / widget background, a step from the page background. */
  readonly surface: string;
  /** Distinct series colours (blue, orange, green, purple, yellow, ...). */
  readonly series: readonly string[];
  readonly red: string;
  readonly green: string;
  readonly blue: string;
  readonly dark: boolean;
}

/** How many --rl-series-N colours report.css defines. */
export const SERIES_COUNT = 6;
const SERIES = Array.from({ length: SERIES_COUNT }, (_, i) => `--rl-series-${i + 1}`);

/** The computed colour of `var(name)` as "rgb(...)", via a probe element (handles var() chains and fallbacks). */
function resolve(probe: HTMLElement, name: string): string {
  probe.style.color = `var(${name})`;
  return getComputedStyle(probe).color;
}

function luminance(color: string): number {
  const [r, g, b] = parseRgb(color);
  const linear = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

/** "rgb(1, 2, 3)", "rgba(...)" or "#rrggbb" -> [r, g, b]; black when it does not parse. */
export function parseRgb(color: string): [number, number, number] {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})/i.exec(color);
  if (hex) return [parseInt(hex[1], 16), parseInt(hex[2], 16), parseInt(hex[3], 16)];
  const rgb = /rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/i.exec(color);
  if (rgb) return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  return [0, 0, 0];
}

/** Black or white, whichever reads better on `background`. */
export function textOn(background: string): string {
  return luminance(background) > 0.36 ? '#111111' : '#ffffff';
}

export function readTheme(): Theme {
  const probe = document.createElement('span');
  probe.hidden = true;
  document.body.append(probe);
  try {
    const background = resolve(probe, '--rl-bg');
    return {
      foreground: resolve(probe, '--rl-fg'),
      muted: resolve(probe, '--rl-muted'),
      grid: resolve(probe, '--rl-grid'),
      background,
      surface: resolve(probe, '--rl-surface'),
      series: SERIES.map((name) => resolve(probe, name)),
      red: resolve(probe, '--rl-red'),
      green: resolve(probe, '--rl-green'),
      blue: resolve(probe, '--rl-blue'),
      dark: luminance(background) < 0.3,
    };
  } finally {
    probe.remove();
  }
}

/**
 * Calls `onChange` when the colour theme changes: VS Code swaps the body's vscode-light / vscode-dark /
 * vscode-high-contrast class; a standalone page follows prefers-color-scheme.
 */
export function watchTheme(onChange: () => void): void {
  // VS Code also rewrites the --vscode-* variables in <html style> when switching between two themes of one kind.
  const key = () => `${document.body.className}|${document.documentElement.getAttribute('style') ?? ''}`;
  let last = key();
  let scheduled = false;
  const changed = () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      const now = key();
      if (now === last) return;
      last = now;
      onChange();
    });
  };
  const observer = new MutationObserver(changed);
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
  window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    last = '';
    changed();
  });
}
