/**
 * Learning curves: every trial's metric against training_iteration or time.
 * The best N are chart.js datasets in colour; the rest are drawn faded by a
 * plugin from LTTB-downsampled copies rasterised into a coverage layer
 * (density.ts) that a live delta only adds segments to, with axis bounds that
 * stay put while new points fit, so 10,000 curves stay cheap to update.
 */
import { downsample } from "../../../src/shared/dashboard-lttb.ts";
import type { TrialSummary } from "../../../src/shared/dashboard-types.ts";
import type { App, Change, View } from "../app.ts";
import { Chart, axisMap, type AxisMap } from "../chart-setup.ts";
import { clear, formatNumber, h } from "../dom.ts";
import { valid } from "../../../src/shared/dashboard-store.ts";
import { DensityLayer, parseColor } from "./density.ts";

/** Points kept per faded curve: enough for the shape, few enough for 10,000 curves. */
const FADED_BUDGET = 250_000;

interface Down {
  x: number[];
  y: number[];
  /** Raw points this copy was made from (to draw only what a delta appended). */
  rawLength: number;
  /** Points whose segments are in the faded layer. */
  drawn: number;
  /** The copy this one replaced, still in the layer until it is taken back. */
  retired?: Down | undefined;
  /** Where the layer drew this trial's early-stop ×, in device pixels. */
  mark?: [number, number] | undefined;
}

/** The displayed axis bounds. */
interface View2 {
  xmin: number;
  xmax: number;
  ymin: number;
  ymax: number;
  log: boolean;
}

/** Half-size of the early-stop ×, in device pixels. */
const MARK_R = 3;

export class CurvesView implements View {
  private readonly canvas = h("canvas", { "data-testid": "curves-canvas", "aria-label": "learning curves" });
  private readonly tooltip = h("div", { class: "chart-tooltip", role: "tooltip", hidden: true, "data-testid": "curves-tooltip" });
  private readonly metricSelect = h("vscode-single-select", { "aria-label": "metric", "data-testid": "metric-select" }) as HTMLElement & { value: string };
  private chart: Chart<"line"> | undefined;
  private readonly down = new Map<string, Down>();
  private downKey = "";
  private range = { xmin: Infinity, xmax: -Infinity, ymin: Infinity, ymax: -Infinity };
  private readonly layer = new DensityLayer();
  /** What the chart last laid out (highlighted curves, bounds, colours). */
  private chartSig = "";
  /** Highlighted trials that were stopped early. */
  private stoppedEnds: string[] = [];
  private layerKey = "";
  /** Trials whose faded copy changed since the layer last drew. */
  private readonly layerDirty = new Set<string>();
  private view: View2 | undefined;
  private xm: AxisMap = axisMap(0, 1, 0, 1, false);
  private ym: AxisMap = axisMap(0, 1, 0, 1, false);
  private topIds: string[] = [];
  private metricsShown = "";
  private hoverFrame = 0;

  constructor(private readonly app: App, el: HTMLElement) {
    const xSelect = h("vscode-single-select", { "aria-label": "x axis" }, h("vscode-option", { value: "training_iteration" }, "training_iteration"), h("vscode-option", { value: "time_total_s" }, "time_total_s")) as HTMLElement & { value: string };
    const log = h("vscode-checkbox", { "data-testid": "log-toggle" }, "log scale") as HTMLElement & { checked: boolean };
    const highlight = h("vscode-single-select", { "aria-label": "highlight" }, ...[5, 10, 20].map((n) => h("vscode-option", { value: String(n) }, `best ${n}`))) as HTMLElement & { value: string };
    queueMicrotask(() => {
      xSelect.value = app.ui.xAxis ?? "training_iteration";
      log.checked = app.ui.logY ?? false;
      highlight.value = String(app.ui.highlight ?? 10);
    });
    this.metricSelect.addEventListener("change", () => app.setUi({ metric: this.metricSelect.value }));
    xSelect.addEventListener("change", () => app.setUi({ xAxis: xSelect.value as "training_iteration" | "time_total_s" }));
    log.addEventListener("change", () => app.setUi({ logY: log.checked }));
    highlight.addEventListener("change", () => app.setUi({ highlight: Number(highlight.value) }));
    const wrap = h("div", { class: "chart-wrap" }, this.canvas, this.tooltip);
    el.append(h("div", { class: "toolbar" }, h("h2", {}, "Learning curves"), this.metricSelect, xSelect, highlight, log), wrap);
    this.canvas.addEventListener("mousemove", (e) => this.onHover(e));
    this.canvas.addEventListener("mouseleave", () => (this.tooltip.hidden = true));
    this.canvas.addEventListener("click", (e) => {
      const hit = this.hit(e);
      if (hit) app.select(hit.id);
    });
  }

  update(change: Change): void {
    const app = this.app;
    const metric = app.metric;
    if (this.metricsShown !== app.store.metrics.join("\u0000")) this.fillMetrics();
    if (!metric) return;
    const xAxis = app.ui.xAxis ?? "training_iteration";
    const key = `${metric}|${xAxis}|${app.store.trials.length > 0 ? "" : "empty"}`;
    const full = change.all || key !== this.downKey;
    if (full) {
      this.downKey = key;
      this.down.clear();
      this.layerDirty.clear();
      this.layerKey = "";
      this.view = undefined;
      this.range = { xmin: Infinity, xmax: -Infinity, ymin: Infinity, ymax: -Infinity };
      for (const t of app.store.trials) this.downsampleTrial(t.id, metric, xAxis);
    } else if (change.trials) {
      for (const id of change.trials) {
        this.downsampleTrial(id, metric, xAxis, true);
        this.layerDirty.add(id);
      }
    }
    this.draw();
  }

  private fillMetrics(): void {
    const metrics = this.app.store.metrics;
    this.metricsShown = metrics.join("\u0000");
    clear(this.metricSelect);
    for (const m of metrics) this.metricSelect.append(h("vscode-option", { value: m }, m));
    const chosen = this.app.metric;
    if (chosen) queueMicrotask(() => (this.metricSelect.value = chosen));
  }

  private perTrialBudget(): number {
    return Math.max(8, Math.min(100, Math.floor(FADED_BUDGET / Math.max(1, this.app.store.trials.length))));
  }

  private downsampleTrial(id: string, metric: string, xAxis: string, incremental = false): void {
    const s = this.app.store.series.get(id);
    const col = s?.values.get(metric);
    if (!s || !col) return;
    const ys = valid(s, col);
    const xs = valid(s, xAxis === "time_total_s" ? s.time : s.iteration);
    const old = this.down.get(id);
    // A delta that appends a few points to a curve already downsampled keeps the old copy plus the new tail.
    if (incremental && old && s.length - old.rawLength <= 4) {
      for (let i = old.rawLength; i < s.length; i++) {
        const y = ys[i]!;
        const x = xs[i]!;
        if (Number.isFinite(y) && Number.isFinite(x)) {
          old.x.push(x);
          old.y.push(y);
          this.extend(x, y);
        }
      }
      old.rawLength = s.length;
      return;
    }
    const d = downsample(xs, ys, this.perTrialBudget());
    for (let i = 0; i < d.x.length; i++) this.extend(d.x[i]!, d.y[i]!);
    // The layer takes the old copy's segments back before drawing the new one.
    // (A copy not drawn yet is not in the layer; what it replaced may be.)
    const retired = old ? (old.drawn > 0 ? old : old.retired) : undefined;
    this.down.set(id, { ...d, rawLength: s.length, drawn: 0, retired });
  }

  private extend(x: number, y: number): void {
    const r = this.range;
    if (x < r.xmin) r.xmin = x;
    if (x > r.xmax) r.xmax = x;
    if (y < r.ymin) r.ymin = y;
    if (y > r.ymax) r.ymax = y;
  }

  /**
   * The axes' bounds: fitted to the data when it is loaded, then kept while
   * new points fall inside, and grown with 10% headroom when one does not, so
   * a live run redraws the whole faded layer rarely rather than on every delta
   * (a running experiment gets the headroom from the start).
   */
  private bounds(): View2 {
    const r = this.range;
    const log = this.app.ui.logY === true;
    if (!(r.xmin <= r.xmax)) return { xmin: 0, xmax: 1, ymin: log ? 1e-6 : 0, ymax: 1, log };
    const v = this.view;
    let ymin = r.ymin;
    if (log && ymin <= 0) {
      ymin = Infinity;
      for (const d of this.down.values()) for (const y of d.y) if (y > 0 && y < ymin) ymin = y;
      if (!Number.isFinite(ymin)) ymin = 1e-6;
    }
    const ymax = log && r.ymax <= 0 ? 1 : r.ymax;
    if (v && v.log === log && v.xmin <= r.xmin && v.xmax >= r.xmax && v.ymin <= ymin && v.ymax >= ymax) return v;
    // A running experiment's curves will grow: leave them room from the start.
    const grow = (v !== undefined && v.log === log) || this.app.store.info?.state === "running" ? 0.1 : 0;
    const xspan = r.xmax - r.xmin || 1;
    const next: View2 = {
      xmin: v && v.log === log && v.xmin <= r.xmin ? v.xmin : r.xmin - (v ? grow * xspan : 0),
      xmax: v && v.log === log && v.xmax >= r.xmax ? v.xmax : r.xmax + grow * xspan,
      ymin: 0, ymax: 0, log,
    };
    if (log) {
      const lo = Math.log10(ymin);
      const hi = Math.log10(ymax);
      const pad = (hi - lo) * (0.02 + grow) || 0.5;
      next.ymin = v && v.log === log && v.ymin <= ymin ? v.ymin : 10 ** (lo - pad);
      next.ymax = v && v.log === log && v.ymax >= ymax ? v.ymax : 10 ** (hi + pad);
    } else {
      const pad = (ymax - ymin) * (0.02 + grow) || 1;
      next.ymin = v && v.log === log && v.ymin <= ymin ? v.ymin : ymin - pad;
      next.ymax = v && v.log === log && v.ymax >= ymax ? v.ymax : ymax + pad;
    }
    this.view = next;
    return next;
  }

  private draw(): void {
    const app = this.app;
    const theme = app.theme;
    const metric = app.metric!;
    const top = app.top(app.ui.highlight ?? 10);
    this.topIds = top.map((t) => t.id);
    const selected = app.selected;
    const emphasized: TrialSummary[] = top.slice();
    const sel = selected === undefined ? undefined : app.store.get(selected);
    if (sel && !this.topIds.includes(sel.id)) emphasized.push(sel);
    const xAxis = app.ui.xAxis ?? "training_iteration";
    const datasets = emphasized.map((t, i) => {
      const s = app.store.series.get(t.id);
      const col = s?.values.get(metric);
      const data: { x: number; y: number }[] = [];
      if (s && col) {
        const xs = xAxis === "time_total_s" ? s.time : s.iteration;
        for (let j = 0; j < s.length; j++) {
          const y = col[j]!;
          const x = xs[j]!;
          if (Number.isFinite(y) && Number.isFinite(x) && (!app.ui.logY || y > 0)) data.push({ x, y });
        }
      }
      const isSel = t.id === selected;
      return {
        label: t.id,
        data,
        borderColor: isSel ? theme.selected : theme.series[i % theme.series.length]!,
        backgroundColor: isSel ? theme.selected : theme.series[i % theme.series.length]!,
        borderWidth: isSel ? 3 : 1.75,
        borderDash: t.earlyStopped ? [5, 3] : [],
        // One radius for every point keeps chart.js from resolving options point by point; the × is drawn by the plugin.
        pointRadius: 0,
      };
    });
    this.stoppedEnds = emphasized.filter((t) => t.earlyStopped).map((t) => t.id);
    const b = this.bounds();
    // Unchanged highlighted curves, axes and colours: only the faded layer moved, so draw without a relayout.
    const sig = [metric, xAxis, b.xmin, b.xmax, b.ymin, b.ymax, b.log, selected, theme.selected, theme.series.join(), theme.stopped,
      ...emphasized.map((t) => `${t.id}:${app.store.series.get(t.id)?.length ?? 0}:${t.earlyStopped}`)].join("\u0000");
    if (this.chart && sig === this.chartSig) {
      this.chart.render();
      return;
    }
    this.chartSig = sig;
    const scales = {
      x: { type: "linear" as const, min: b.xmin, max: b.xmax, title: { display: true, text: xAxis } },
      y: { type: b.log ? ("logarithmic" as const) : ("linear" as const), min: b.ymin, max: b.ymax, title: { display: true, text: metric } },
    };
    if (!this.chart) {
      this.chart = new Chart(this.canvas, {
        type: "line",
        data: { datasets },
        options: {
          animation: false, parsing: false, normalized: true, responsive: true, maintainAspectRatio: false,
          events: [], scales, plugins: { legend: { display: false }, tooltip: { enabled: false } },
          datasets: { line: { spanGaps: true } },
        },
        plugins: [{ id: "tunelab-faded", beforeDatasetsDraw: (chart) => this.drawLayer(chart), afterDatasetsDraw: (chart) => this.drawStoppedEnds(chart) }],
      });
    } else {
      this.chart.data.datasets = datasets;
      this.chart.options.scales = scales;
      this.chart.update("none");
    }
  }

  /**
   * Draws every curve faded from the raster layer. The layer is rebuilt when
   * the axes, size, metric or theme change; otherwise only the segments of
   * trials changed since the last frame are added to it.
   */
  private drawLayer(chart: Chart): void {
    const area = chart.chartArea;
    const theme = this.app.theme;
    const x = chart.scales.x!;
    const y = chart.scales.y!;
    const dpr = chart.currentDevicePixelRatio;
    const log = this.app.ui.logY === true;
    const key = [chart.canvas.width, chart.canvas.height, dpr, area.left, area.top, area.right, area.bottom, x.min, x.max, y.min, y.max, log, this.downKey, theme.faded, theme.stopped].join("|");
    const layer = this.layer;
    this.xm = axisMap(x.min, x.max, area.left * dpr, area.right * dpr, false);
    this.ym = axisMap(y.min, y.max, area.bottom * dpr, area.top * dpr, log);
    if (key !== this.layerKey) {
      this.layerKey = key;
      this.layerDirty.clear();
      layer.reset(chart.canvas.width, chart.canvas.height, { left: area.left * dpr, top: area.top * dpr, right: area.right * dpr, bottom: area.bottom * dpr });
      for (const [id, d] of this.down) {
        d.retired = undefined;
        d.drawn = 0;
        d.mark = undefined;
        this.rasterize(id, d);
      }
    } else if (this.layerDirty.size > 0) {
      for (const id of this.layerDirty) {
        const d = this.down.get(id);
        if (d) this.rasterize(id, d);
      }
      this.layerDirty.clear();
    }
    const ctx = chart.ctx;
    const n = this.down.size;
    const alpha = theme.highContrast ? 0.5 : n > 2000 ? 0.12 : n > 200 ? 0.25 : 0.45;
    layer.flush(parseColor(ctx, theme.faded), alpha, parseColor(ctx, theme.stopped), 0.6);
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(layer.canvas, 0, 0);
    ctx.restore();
  }

  /** The red × at the end of each highlighted trial a scheduler stopped early. */
  private drawStoppedEnds(chart: Chart): void {
    if (this.stoppedEnds.length === 0) return;
    const ctx = chart.ctx;
    ctx.save();
    ctx.strokeStyle = this.app.theme.stopped;
    ctx.lineWidth = 2;
    ctx.beginPath();
    for (const ds of chart.data.datasets) {
      if (!this.stoppedEnds.includes(ds.label ?? "")) continue;
      const last = (ds.data as { x: number; y: number }[]).at(-1);
      if (!last) continue;
      const px = chart.scales.x!.getPixelForValue(last.x);
      const py = chart.scales.y!.getPixelForValue(last.y);
      ctx.moveTo(px - 5, py - 5);
      ctx.lineTo(px + 5, py + 5);
      ctx.moveTo(px + 5, py - 5);
      ctx.lineTo(px - 5, py + 5);
    }
    ctx.stroke();
    ctx.restore();
  }

  /** Brings one trial's faded curve in the layer up to date: takes back a replaced copy, adds the new segments and the early-stop mark. */
  private rasterize(id: string, d: Down): void {
    const layer = this.layer;
    const old = d.retired;
    if (old) {
      this.segments(old, 0, old.drawn, -1);
      if (old.mark) layer.cross(old.mark[0], old.mark[1], MARK_R, -1);
      d.retired = undefined;
    }
    const len = d.x.length;
    if (len > d.drawn) {
      this.segments(d, Math.max(0, d.drawn - 1), len, 1);
      d.drawn = len;
    }
    if (!d.mark && len > 0 && this.app.store.get(id)?.earlyStopped) {
      const m: [number, number] = [this.xm.toPx(d.x[len - 1]!), this.py(d.y[len - 1]!)];
      layer.cross(m[0], m[1], MARK_R, 1);
      d.mark = m;
    }
  }

  private segments(d: Down, from: number, to: number, weight: number): void {
    const n = to - from;
    if (n < 2) return;
    const px = new Float64Array(n);
    const py = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      px[i] = this.xm.toPx(d.x[from + i]!);
      py[i] = this.py(d.y[from + i]!);
    }
    this.layer.polyline(px, py, 0, n, weight);
  }

  /** Device-pixel y of a value; NaN (a break in the line) where a log axis cannot show it. */
  private py(v: number): number {
    return this.app.ui.logY === true && v <= 0 ? Number.NaN : this.ym.toPx(v);
  }

  private hit(e: MouseEvent): { id: string; x: number; y: number } | undefined {
    const chart = this.chart;
    if (!chart) return undefined;
    const rect = this.canvas.getBoundingClientRect();
    const mx = e.clientX - rect.left;
    const my = e.clientY - rect.top;
    const area = chart.chartArea;
    const xm = axisMap(chart.scales.x!.min, chart.scales.x!.max, area.left, area.right, false);
    const ym = axisMap(chart.scales.y!.min, chart.scales.y!.max, area.bottom, area.top, this.app.ui.logY === true);
    let best: { id: string; x: number; y: number } | undefined;
    let bestD = 64; // within 8 px
    const emphasized = new Set(this.topIds);
    for (const [id, d] of this.down) {
      for (let i = 0; i < d.x.length; i++) {
        const dx = xm.toPx(d.x[i]!) - mx;
        const dy = ym.toPx(d.y[i]!) - my;
        // Highlighted curves win ties: they are what the user looks at.
        const dist = dx * dx + dy * dy - (emphasized.has(id) ? 16 : 0);
        if (dist < bestD) {
          bestD = dist;
          best = { id, x: d.x[i]!, y: d.y[i]! };
        }
      }
    }
    return best;
  }

  private onHover(e: MouseEvent): void {
    if (this.hoverFrame) return;
    this.hoverFrame = requestAnimationFrame(() => {
      this.hoverFrame = 0;
      const hit = this.hit(e);
      if (!hit) {
        this.tooltip.hidden = true;
        return;
      }
      const t = this.app.store.get(hit.id);
      clear(this.tooltip);
      this.tooltip.append(
        h("div", { class: "tt-title" }, `trial ${hit.id}${t?.earlyStopped ? " (stopped early)" : ""}`),
        h("div", {}, `${this.app.metric} = ${formatNumber(hit.y)} at ${this.app.ui.xAxis ?? "training_iteration"} ${formatNumber(hit.x)}`),
        ...Object.entries(t?.config ?? {}).slice(0, 10).map(([k, v]) => h("div", { class: "muted" }, `${k} = ${formatNumber(v)}`)),
      );
      const rect = this.canvas.getBoundingClientRect();
      this.tooltip.hidden = false;
      this.tooltip.style.left = `${Math.min(e.clientX - rect.left + 12, rect.width - 220)}px`;
      this.tooltip.style.top = `${e.clientY - rect.top + 12}px`;
    });
  }
}
