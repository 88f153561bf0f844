// Mounts @observablehq/plot charts. Plot builds its SVG detached from the document and adds a <style> element
// with a few layout rules; we remove that element before the SVG is attached (so a strict style-src CSP has
// nothing to refuse) and carry the same rules in report.css under the .rl-plot class. Plot writes all text
// (ticks, labels, titles, tips) with textContent.
//
// Charts are drawn at the width of their container (so text stays at its real size), once the report is in the
// document (drawCharts), again when the container's width changes, and again when the colour theme changes.
import * as Plot from '@observablehq/plot';
import { readTheme, type Theme } from './theme';

export const PLOT_CLASS = 'rl-plot';

/** Describes a chart for a theme and an available width in CSS pixels. */
export type Build = (theme: Theme, width: number) => Plot.PlotOptions;

interface Mounted {
  readonly container: HTMLElement;
  build: Build;
  /** The width it was last drawn at (0: not drawn yet). */
  width: number;
}

const mounted: Mounted[] = [];
let currentTheme: Theme | undefined;
let resizeObserver: ResizeObserver | undefined;

function theme(): Theme {
  return (currentTheme ??= readTheme());
}

/** Plot.plot without its inline <style> elements. */
export function plotNode(options: Plot.PlotOptions): SVGSVGElement | HTMLElement {
  const node = Plot.plot({ className: PLOT_CLASS, ...options });
  for (const style of node.querySelectorAll('style')) style.remove();
  return node;
}

function availableWidth(container: HTMLElement): number {
  const width = Math.floor(container.clientWidth);
  return width > 0 ? width : 640;
}

function draw(entry: Mounted): void {
  entry.width = availableWidth(entry.container);
  entry.container.replaceChildren(plotNode(entry.build(theme(), entry.width)));
}

function observeResize(entry: Mounted): void {
  if (typeof ResizeObserver === 'undefined') return;
  resizeObserver ??= new ResizeObserver((entries) => {
    const changed = entries
      .map((e) => mounted.find((m) => m.container === e.target))
      .filter((m): m is Mounted => m !== undefined && m.width > 0 && Math.abs(availableWidth(m.container) - m.width) > 4);
    if (changed.length > 0) requestAnimationFrame(() => changed.forEach(draw));
  });
  resizeObserver.observe(entry.container);
}

/** A container for the chart that `build` describes; drawn by drawCharts() once it is in the document. */
export function chart(build: Build, className = 'rl-chart'): HTMLDivElement {
  const container = document.createElement('div');
  container.className = className;
  const entry: Mounted = { container, build, width: 0 };
  mounted.push(entry);
  observeResize(entry);
  return container;
}

/** Draws a chart again (e.g. after a selection changed) from a new description. */
export function redraw(container: HTMLElement, build: Build): void {
  let entry = mounted.find((m) => m.container === container);
  if (!entry) {
    entry = { container, build, width: 0 };
    mounted.push(entry);
    observeResize(entry);
  }
  entry.build = build;
  draw(entry);
}

/** Draws every chart not drawn yet; call after the report is attached to the document. */
export function drawCharts(): void {
  for (const entry of mounted) if (entry.width === 0) draw(entry);
}

/** Forget all charts (before the whole report is rendered again). */
export function resetCharts(): void {
  resizeObserver?.disconnect();
  resizeObserver = undefined;
  mounted.length = 0;
  currentTheme = undefined;
}

/** Re-read the theme and redraw every chart that is still in the document. */
export function rethemeCharts(): void {
  currentTheme = undefined;
  for (let i = mounted.length - 1; i >= 0; i--) {
    if (!mounted[i].container.isConnected) mounted.splice(i, 1);
  }
  for (const entry of mounted) draw(entry);
}

export { Plot };
