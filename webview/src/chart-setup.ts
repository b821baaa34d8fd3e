/** chart.js with only what the dashboard uses registered, so the bundle tree-shakes the rest. */
import { Chart, Decimation, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, ScatterController, Tooltip } from "chart.js";
import type { Theme } from "./theme.ts";

Chart.register(LineController, ScatterController, LineElement, PointElement, LinearScale, LogarithmicScale, Tooltip, Decimation);

export { Chart };

/** Axis and grid colours from the theme (chart.js defaults are for a white page). */
export function applyThemeDefaults(theme: Theme): void {
  Chart.defaults.color = theme.muted;
  Chart.defaults.borderColor = theme.grid;
  Chart.defaults.font.family = getComputedStyle(document.body).getPropertyValue("--vscode-font-family").trim() || "sans-serif";
  Chart.defaults.animation = false;
}

/** Maps data values to canvas pixels for a linear or log axis, without chart.js's per-call overhead. */
export interface AxisMap {
  toPx(v: number): number;
  fromPx(px: number): number;
}

export function axisMap(min: number, max: number, startPx: number, endPx: number, log: boolean): AxisMap {
  if (log) {
    const a = Math.log10(min);
    const span = Math.log10(max) - a || 1;
    return {
      toPx: (v) => startPx + ((Math.log10(v) - a) / span) * (endPx - startPx),
      fromPx: (px) => 10 ** (a + ((px - startPx) / (endPx - startPx)) * span),
    };
  }
  const span = max - min || 1;
  return {
    toPx: (v) => startPx + ((v - min) / span) * (endPx - startPx),
    fromPx: (px) => min + ((px - startPx) / (endPx - startPx)) * span,
  };
}
