/** Metric vs one parameter: a chart.js scatter, log x axis for log domains, categories spread on an index axis. */
import type { ParamInfo, TrialSummary } from "../../../src/shared/dashboard-types.ts";
import { textOf } from "../../../src/shared/dashboard-table.ts";
import type { App, Change, View } from "../app.ts";
import { Chart } from "../chart-setup.ts";
import { clear, formatNumber, h } from "../dom.ts";
import { withAlpha } from "../theme.ts";

interface Pt {
  x: number;
  y: number;
  id: string;
}

export class ScatterView implements View {
  private readonly canvas = h("canvas", { "data-testid": "scatter-canvas", "aria-label": "metric versus parameter" });
  private readonly select = h("vscode-single-select", { "aria-label": "parameter", "data-testid": "param-select" }) as HTMLElement & { value: string };
  private chart: Chart<"scatter", Pt[]> | undefined;
  private paramsShown = "";
  draws = 0;

  constructor(private readonly app: App, el: HTMLElement) {
    this.select.addEventListener("change", () => app.setUi({ scatterParam: this.select.value }));
    el.append(h("div", { class: "toolbar" }, h("h2", {}, "Metric vs parameter"), this.select), h("div", { class: "chart-wrap" }, this.canvas));
  }

  private param(): ParamInfo | undefined {
    const params = this.app.store.info?.params ?? [];
    return params.find((p) => p.path === this.app.ui.scatterParam) ?? params[0];
  }

  update(_change: Change): void {
    const app = this.app;
    const params = app.store.info?.params ?? [];
    const names = params.map((p) => p.path).join("\u0000");
    if (names !== this.paramsShown) {
      this.paramsShown = names;
      clear(this.select);
      for (const p of params) this.select.append(h("vscode-option", { value: p.path }, p.path));
      const chosen = this.param()?.path;
      if (chosen) queueMicrotask(() => (this.select.value = chosen));
    }
    const p = this.param();
    const metric = app.metric;
    if (!p || !metric) return;
    const theme = app.theme;
    const categories = p.categories?.map((c) => JSON.stringify(c)) ??
      (app.store.trials.some((t) => typeof t.config[p.path] !== "number" && t.config[p.path] !== undefined) ? [...new Set(app.store.trials.map((t) => JSON.stringify(t.config[p.path])))] : undefined);
    const catIndex = new Map(categories?.map((c, i) => [c, i]));
    const top = app.top(10);
    const topIds = new Set(top.map((t) => t.id));
    const rest: Pt[] = [];
    const best: Pt[] = [];
    const sel: Pt[] = [];
    const useLog = p.log && !categories;
    for (const t of app.store.trials) {
      const y = t.best !== undefined && metric === app.store.info?.metric ? t.best : t.last[metric];
      if (typeof y !== "number" || !Number.isFinite(y)) continue;
      const x = xOf(t, p, catIndex);
      if (x === undefined || (useLog && x <= 0)) continue;
      const pt = { x, y, id: t.id };
      (t.id === app.selected ? sel : topIds.has(t.id) ? best : rest).push(pt);
    }
    const data = {
      datasets: [
        { label: "trials", data: rest, pointRadius: 2, backgroundColor: withAlpha(this.canvas.getContext("2d")!, theme.faded, 0.5), borderWidth: 0 },
        { label: "best 10", data: best, pointRadius: 4, backgroundColor: theme.series[0]!, borderWidth: 0 },
        { label: "selected", data: sel, pointRadius: 6, backgroundColor: theme.selected, borderWidth: 0 },
      ],
    };
    const cats = categories;
    const scales = {
      x: {
        type: useLog ? ("logarithmic" as const) : ("linear" as const),
        title: { display: true, text: useLog ? `${p.path} (log)` : p.path },
        ...(cats ? { min: -0.5, max: cats.length - 0.5, ticks: { stepSize: 1, callback: (v: number | string) => labelOf(cats, Number(v)) } } : {}),
      },
      y: { type: "linear" as const, title: { display: true, text: metric } },
    };
    if (!this.chart) {
      this.chart = new Chart<"scatter", Pt[]>(this.canvas, {
        type: "scatter",
        data,
        options: {
          animation: false, responsive: true, maintainAspectRatio: false, scales,
          plugins: {
            legend: { display: false },
            tooltip: { callbacks: { label: (item) => `${(item.raw as Pt).id}: ${metric} = ${formatNumber((item.raw as Pt).y)}` } },
          },
          onClick: (_e, elements) => {
            const el = elements[0];
            if (!el) return;
            const pt = this.chart?.data.datasets[el.datasetIndex]?.data[el.index];
            if (pt) app.select(pt.id);
          },
        },
      });
    } else {
      this.chart.data = data;
      this.chart.options.scales = scales;
      this.chart.update("none");
    }
    this.draws++;
  }
}

function xOf(t: TrialSummary, p: ParamInfo, catIndex: Map<string, number>): number | undefined {
  const v = t.config[p.path];
  if (catIndex.size > 0) {
    const i = catIndex.get(JSON.stringify(v));
    // Spread points of one category a little so they do not hide each other (stable per trial).
    return i === undefined ? undefined : i + ((hash(t.id) % 1000) / 1000 - 0.5) * 0.5;
  }
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function labelOf(cats: string[], v: number): string {
  if (!Number.isInteger(v)) return "";
  const c = cats[v];
  return c === undefined ? "" : textOf(JSON.parse(c) as unknown);
}

function hash(s: string): number {
  let x = 2166136261;
  for (let i = 0; i < s.length; i++) x = Math.imul(x ^ s.charCodeAt(i), 16777619);
  return x >>> 0;
}
