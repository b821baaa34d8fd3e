/**
 * Learning curves: every trial's metric against training_iteration or time.
 * The best N are chart.js datasets in colour; the rest are drawn faded by a
 * plugin from LTTB-downsampled copies onto a cached layer that a live delta
 * only adds segments to, so 10,000 curves stay cheap to update.
 */
import { downsample } from "../../../src/shared/dashboard-lttb.ts";
import type { TrialSummary } from "../../../src/shared/dashboard-types.ts";
import type { App, Change, View } from "../app.ts";
import { Chart, axisMap, type AxisMap } from "../chart-setup.ts";
import { clear, formatNumber, h } from "../dom.ts";
import { withAlpha } from "../theme.ts";

/** Points kept per faded curve: enough for the shape, few enough for 10,000 curves. */
const FADED_BUDGET = 250_000;

interface Down {
  x: number[];
  y: number[];
  /** Raw points this copy was made from (to draw only what a delta appended). */
  rawLength: number;
}

export class CurvesView implements View {
  private readonly canvas = h("canvas", { "data-testid": "curves-canvas", "aria-label": "learning curves" });
  private readonly tooltip = h("div", { class: "chart-tooltip", role: "tooltip", hidden: true, "data-testid": "curves-tooltip" });
  private readonly metricSelect = h("vscode-single-select", { "aria-label": "metric", "data-testid": "metric-select" }) as HTMLElement & { value: string };
  private chart: Chart<"line"> | undefined;
  private readonly down = new Map<string, Down>();
  private downKey = "";
  private range = { xmin: Infinity, xmax: -Infinity, ymin: Infinity, ymax: -Infinity };
  private layer: HTMLCanvasElement | undefined;
  private layerKey = "";
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
      this.range = { xmin: Infinity, xmax: -Infinity, ymin: Infinity, ymax: -Infinity };
      for (const t of app.store.trials) this.downsampleTrial(t.id, metric, xAxis);
    } else if (change.trials) {
      for (const id of change.trials) this.downsampleTrial(id, metric, xAxis, true);
    }
    this.draw(full ? undefined : change.trials);
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
    const ys = s?.values.get(metric);
    if (!s || !ys) return;
    const xs = xAxis === "time_total_s" ? s.time.map((v) => v ?? NaN) : s.iteration;
    const old = this.down.get(id);
    // A delta that appends a few points to a curve already downsampled keeps the old copy plus the new tail.
    if (incremental && old && s.iteration.length - old.rawLength <= 4) {
      for (let i = old.rawLength; i < s.iteration.length; i++) {
        const y = ys[i];
        const x = xs[i]!;
        if (typeof y === "number" && Number.isFinite(y) && Number.isFinite(x)) {
          old.x.push(x);
          old.y.push(y);
          this.extend(x, y);
        }
      }
      old.rawLength = s.iteration.length;
      return;
    }
    const d = downsample(xs, ys, this.perTrialBudget());
    for (let i = 0; i < d.x.length; i++) this.extend(d.x[i]!, d.y[i]!);
    this.down.set(id, { ...d, rawLength: s.iteration.length });
  }

  private extend(x: number, y: number): void {
    const r = this.range;
    if (x < r.xmin) r.xmin = x;
    if (x > r.xmax) r.xmax = x;
    if (y < r.ymin) r.ymin = y;
    if (y > r.ymax) r.ymax = y;
  }

  private yBounds(): { min: number; max: number } {
    const { ymin, ymax } = this.range;
    if (this.app.ui.logY) {
      let min = Infinity;
      if (ymin > 0) min = ymin;
      else for (const d of this.down.values()) for (const y of d.y) if (y > 0 && y < min) min = y;
      return { min: Number.isFinite(min) ? min : 1e-6, max: ymax > 0 ? ymax : 1 };
    }
    const pad = (ymax - ymin) * 0.02 || 1;
    return { min: ymin - pad, max: ymax + pad };
  }

  private draw(changed?: Set<string>): void {
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
      const ys = s?.values.get(metric) ?? [];
      const xs = xAxis === "time_total_s" ? s?.time ?? [] : s?.iteration ?? [];
      const data: { x: number; y: number }[] = [];
      for (let j = 0; j < ys.length; j++) {
        const y = ys[j];
        const x = xs[j];
        if (typeof y === "number" && typeof x === "number" && (!app.ui.logY || y > 0)) data.push({ x, y });
      }
      const isSel = t.id === selected;
      return {
        label: t.id,
        data,
        borderColor: isSel ? theme.selected : theme.series[i % theme.series.length]!,
        backgroundColor: isSel ? theme.selected : theme.series[i % theme.series.length]!,
        borderWidth: isSel ? 3 : 1.75,
        borderDash: t.earlyStopped ? [5, 3] : [],
        pointRadius: data.map((_, j) => (t.earlyStopped && j === data.length - 1 ? 5 : 0)),
        pointStyle: "crossRot" as const,
        pointBorderColor: theme.stopped,
        pointBorderWidth: 2,
      };
    });
    const y = this.yBounds();
    const xr = this.range.xmin <= this.range.xmax ? { min: this.range.xmin, max: this.range.xmax } : { min: 0, max: 1 };
    const scales = {
      x: { type: "linear" as const, min: xr.min, max: xr.max, title: { display: true, text: xAxis } },
      y: { type: app.ui.logY ? ("logarithmic" as const) : ("linear" as const), min: y.min, max: y.max, title: { display: true, text: metric } },
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
        plugins: [{ id: "tunelab-faded", beforeDatasetsDraw: (chart) => this.drawLayer(chart, undefined) }],
      });
    } else {
      this.chart.data.datasets = datasets;
      this.chart.options.scales = scales;
      this.pendingChanged = changed;
      this.chart.update("none");
    }
  }

  private pendingChanged: Set<string> | undefined;

  /** Draws every curve faded from the cached layer, adding only the changed trials' new segments when nothing else moved. */
  private drawLayer(chart: Chart, _unused: undefined): void {
    const area = chart.chartArea;
    const theme = this.app.theme;
    const x = chart.scales.x!;
    const y = chart.scales.y!;
    const key = [chart.canvas.width, chart.canvas.height, area.left, area.top, area.right, area.bottom, x.min, x.max, y.min, y.max, this.app.ui.logY, this.downKey, theme.faded, this.down.size === 0].join("|");
    const changed = this.pendingChanged;
    this.pendingChanged = undefined;
    const dpr = chart.currentDevicePixelRatio;
    let layer = this.layer;
    const fresh = !layer || key !== this.layerKey || !changed;
    if (!layer) layer = this.layer = document.createElement("canvas");
    const ctx = layer.getContext("2d")!;
    const xm = axisMap(x.min, x.max, area.left, area.right, false);
    const ym = axisMap(y.min, y.max, area.bottom, area.top, this.app.ui.logY === true);
    if (fresh) {
      layer.width = chart.canvas.width;
      layer.height = chart.canvas.height;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      this.layerKey = key;
      this.strokeCurves(ctx, this.down.keys(), xm, ym, area, 0);
    } else if (changed) {
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      this.strokeCurves(ctx, changed.values(), xm, ym, area, 2);
    }
    const c = chart.ctx;
    c.save();
    c.setTransform(1, 0, 0, 1, 0, 0);
    c.drawImage(layer, 0, 0);
    c.restore();
  }

  /** `tail`: only the last few points of each curve (a delta's new segments). */
  private strokeCurves(ctx: CanvasRenderingContext2D, ids: Iterable<string>, xm: AxisMap, ym: AxisMap, area: { left: number; top: number; right: number; bottom: number }, tail: number): void {
    const theme = this.app.theme;
    const log = this.app.ui.logY === true;
    ctx.save();
    ctx.beginPath();
    ctx.rect(area.left, area.top, area.right - area.left, area.bottom - area.top);
    ctx.clip();
    const n = this.down.size;
    ctx.strokeStyle = withAlpha(ctx, theme.faded, theme.highContrast ? 0.5 : n > 2000 ? 0.12 : n > 200 ? 0.25 : 0.45);
    ctx.lineWidth = 1;
    ctx.beginPath();
    const stops: [number, number][] = [];
    for (const id of ids) {
      const d = this.down.get(id);
      if (!d || d.x.length === 0) continue;
      const start = tail > 0 ? Math.max(0, d.x.length - 1 - tail) : 0;
      let pen = false;
      for (let i = start; i < d.x.length; i++) {
        const yv = d.y[i]!;
        if (log && yv <= 0) {
          pen = false;
          continue;
        }
        const px = xm.toPx(d.x[i]!);
        const py = ym.toPx(yv);
        if (pen) ctx.lineTo(px, py);
        else ctx.moveTo(px, py);
        pen = true;
      }
      const t = this.app.store.get(id);
      if (t?.earlyStopped) stops.push([xm.toPx(d.x[d.x.length - 1]!), ym.toPx(d.y[d.y.length - 1]!)]);
    }
    ctx.stroke();
    if (stops.length) {
      // Early-stopped trials end in a small ×.
      ctx.strokeStyle = withAlpha(ctx, theme.stopped, 0.6);
      ctx.beginPath();
      for (const [px, py] of stops) {
        ctx.moveTo(px - 3, py - 3);
        ctx.lineTo(px + 3, py + 3);
        ctx.moveTo(px + 3, py - 3);
        ctx.lineTo(px - 3, py + 3);
      }
      ctx.stroke();
    }
    ctx.restore();
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
