/**
 * Parallel coordinates of parameters → metric, drawn on its own canvas: one
 * vertical axis per parameter (log axes for log domains, evenly spaced
 * categories for choice/grid), the metric last; lines coloured by rank.
 */
import type { ParamInfo, TrialSummary } from "../../../src/shared/dashboard-types.ts";
import { textOf } from "../../../src/shared/dashboard-table.ts";
import type { App, Change, View } from "../app.ts";
import { formatNumber, h } from "../dom.ts";
import { withAlpha } from "../theme.ts";

interface Axis {
  label: string;
  /** Position 0 (bottom) … 1 (top), or undefined when the trial has no usable value. */
  pos(t: TrialSummary): number | undefined;
  ticks: { at: number; text: string }[];
}

export class ParallelView implements View {
  private readonly canvas = h("canvas", { class: "pcp", "data-testid": "pcp-canvas", "aria-label": "parallel coordinates" });
  /** Draw count, for tests and the bench. */
  draws = 0;

  constructor(private readonly app: App, el: HTMLElement) {
    el.append(h("h2", {}, "Parallel coordinates"), h("div", { class: "chart-wrap" }, this.canvas));
    new ResizeObserver(() => this.update({ ui: true })).observe(this.canvas);
  }

  update(_change: Change): void {
    const app = this.app;
    const info = app.store.info;
    const metric = app.metric;
    if (!info || !metric) return;
    const rect = this.canvas.getBoundingClientRect();
    if (rect.width === 0) return;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(rect.width * dpr);
    this.canvas.height = Math.round(rect.height * dpr);
    const ctx = this.canvas.getContext("2d")!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, rect.width, rect.height);
    const trials = app.store.trials;
    const axes = [...info.params.map((p) => paramAxis(p, trials)), metricAxis(metric, app.mode, trials)];
    const theme = app.theme;
    const left = 40;
    const right = rect.width - 40;
    const top = 28;
    const bottom = rect.height - 20;
    const xs = axes.map((_, i) => (axes.length === 1 ? left : left + (i * (right - left)) / (axes.length - 1)));
    const yOf = (p: number): number => bottom - p * (bottom - top);
    const line = (t: TrialSummary): void => {
      let pen = false;
      for (let i = 0; i < axes.length; i++) {
        const p = axes[i]!.pos(t);
        if (p === undefined) {
          pen = false;
          continue;
        }
        if (pen) ctx.lineTo(xs[i]!, yOf(p));
        else ctx.moveTo(xs[i]!, yOf(p));
        pen = true;
      }
    };
    const top10 = app.top(10);
    const emphasized = new Set(top10.map((t) => t.id));
    ctx.lineWidth = 1;
    ctx.strokeStyle = withAlpha(ctx, theme.faded, theme.highContrast ? 0.5 : trials.length > 2000 ? 0.08 : 0.3);
    ctx.beginPath();
    for (const t of trials) if (!emphasized.has(t.id) && t.id !== app.selected) line(t);
    ctx.stroke();
    ctx.lineWidth = 1.75;
    top10.forEach((t, i) => {
      ctx.strokeStyle = theme.series[i % theme.series.length]!;
      ctx.beginPath();
      line(t);
      ctx.stroke();
    });
    const sel = app.selected === undefined ? undefined : app.store.get(app.selected);
    if (sel) {
      ctx.lineWidth = 3;
      ctx.strokeStyle = theme.selected;
      ctx.beginPath();
      line(sel);
      ctx.stroke();
    }
    ctx.lineWidth = 1;
    ctx.strokeStyle = theme.foreground;
    ctx.fillStyle = theme.foreground;
    ctx.font = "11px sans-serif";
    ctx.textAlign = "center";
    axes.forEach((a, i) => {
      const x = xs[i]!;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
      ctx.stroke();
      ctx.fillText(a.label.length > 18 ? a.label.slice(0, 17) + "…" : a.label, x, top - 10);
      ctx.textAlign = i === axes.length - 1 ? "right" : "left";
      for (const tick of a.ticks) ctx.fillText(tick.text.length > 12 ? tick.text.slice(0, 11) + "…" : tick.text, x + (i === axes.length - 1 ? -4 : 4), yOf(tick.at) + 4);
      ctx.textAlign = "center";
    });
    this.draws++;
  }
}

function numericAxis(label: string, values: (t: TrialSummary) => unknown, trials: readonly TrialSummary[], log: boolean, bounds?: { lower?: number; upper?: number }): Axis {
  let min = bounds?.lower ?? Infinity;
  let max = bounds?.upper ?? -Infinity;
  if (bounds?.lower === undefined || bounds.upper === undefined) {
    for (const t of trials) {
      const v = values(t);
      if (typeof v === "number" && Number.isFinite(v) && (!log || v > 0)) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
  }
  if (!Number.isFinite(min)) return { label, pos: () => undefined, ticks: [] };
  const useLog = log && min > 0;
  const f = (v: number): number => (useLog ? Math.log10(v) : v);
  const a = f(min);
  const span = f(max) - a || 1;
  return {
    label: useLog ? `${label} (log)` : label,
    pos: (t) => {
      const v = values(t);
      if (typeof v !== "number" || !Number.isFinite(v) || (useLog && v <= 0)) return undefined;
      return Math.min(1, Math.max(0, (f(v) - a) / span));
    },
    ticks: [{ at: 0, text: formatNumber(min) }, { at: 1, text: formatNumber(max) }],
  };
}

function paramAxis(p: ParamInfo, trials: readonly TrialSummary[]): Axis {
  const categorical = p.categories !== undefined || trials.some((t) => t.config[p.path] !== undefined && typeof t.config[p.path] !== "number");
  if (!categorical) return numericAxis(p.path, (t) => t.config[p.path], trials, p.log, p.kind === "randn" ? undefined : { lower: p.lower, upper: p.upper });
  const cats = (p.categories ?? [...new Set(trials.map((t) => t.config[p.path]))]).map((c) => JSON.stringify(c));
  const at = new Map(cats.map((c, i) => [c, cats.length === 1 ? 0.5 : i / (cats.length - 1)]));
  return {
    label: p.path,
    pos: (t) => at.get(JSON.stringify(t.config[p.path])),
    ticks: cats.length <= 12 ? cats.map((c, i) => ({ at: at.get(c)!, text: textOf(JSON.parse(c) as unknown) || String(i) })) : [],
  };
}

function metricAxis(metric: string, mode: "min" | "max", trials: readonly TrialSummary[]): Axis {
  return numericAxis(`${metric} (${mode})`, (t) => t.best ?? t.last[metric], trials, false);
}
