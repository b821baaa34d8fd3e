/**
 * The live console reporter, a runner callback: on a TTY it redraws a trial
 * table about once a second; otherwise it prints one plain line per trial
 * event plus a periodic summary, so logs and CI output stay readable.
 */
import type { RunnerCallbacks, RunSummary } from "../runner.ts";
import type { Mode } from "../config.ts";
import type { TrialView } from "../interfaces.ts";
import { duration, flatten, formatValue, table } from "./format.ts";

interface Options {
  out: NodeJS.WriteStream | { write(s: string): boolean; isTTY?: boolean };
  metric: string | undefined;
  mode: Mode | undefined;
  total: () => number | undefined;
  trials: () => readonly TrialView[];
  now?: () => number;
  maxRows?: number;
}

/** What the tables need of a trial: a runner's live trial or one replayed from a journal. */
export type TrialRow = Pick<TrialView, "id" | "status" | "config" | "lastResult" | "iteration">;

/** Best trial by metric/mode among those with a numeric metric. */
export function bestTrial<T extends TrialRow>(trials: readonly T[], metric: string | undefined, mode: Mode | undefined): T | undefined {
  if (!metric) return undefined;
  let best: T | undefined;
  let bestValue = 0;
  for (const t of trials) {
    const v = t.lastResult?.[metric];
    if (typeof v !== "number" || Number.isNaN(v)) continue;
    if (!best || (mode === "min" ? v < bestValue : v > bestValue)) [best, bestValue] = [t, v];
  }
  return best;
}

export function trialTable(trials: readonly TrialRow[], metric: string | undefined, maxRows = Infinity): string {
  const params = [...new Set(trials.flatMap((t) => Object.keys(flatten(t.config))))];
  const header = ["trial", "status", "iter", ...(metric ? [metric] : []), ...params];
  const rows = trials.slice(0, maxRows).map((t) => {
    const flat = flatten(t.config);
    return [t.id, t.status, String(t.iteration), ...(metric ? [formatValue(t.lastResult?.[metric])] : []), ...params.map((p) => formatValue(flat[p]))];
  });
  const more = trials.length > maxRows ? `\n… and ${trials.length - maxRows} more trials` : "";
  return table(header, rows, 24) + more;
}

function counts(trials: readonly TrialRow[]): string {
  const by = new Map<string, number>();
  for (const t of trials) by.set(t.status, (by.get(t.status) ?? 0) + 1);
  return [...by].map(([s, n]) => `${n} ${s.toLowerCase()}`).join(", ");
}

export function consoleReporter(o: Options): RunnerCallbacks & { dispose(): void } {
  const now = o.now ?? Date.now;
  const started = now();
  const tty = Boolean(o.out.isTTY);
  let lastLines = 0;
  let lastPlainSummary = started;
  const header = (): string => {
    const trials = o.trials();
    const total = o.total();
    const best = bestTrial(trials, o.metric, o.mode);
    const bestText = best && o.metric ? ` | best ${o.metric}=${formatValue(best.lastResult?.[o.metric])} (${best.id})` : "";
    return `${duration((now() - started) / 1000)} | ${trials.length}${total !== undefined ? `/${total}` : ""} trials: ${counts(trials)}${bestText}`;
  };
  const redraw = (): void => {
    const text = `${header()}\n${trialTable(o.trials(), o.metric, o.maxRows ?? 20)}\n`;
    o.out.write(`${lastLines ? `\x1b[${lastLines}A\x1b[0J` : ""}${text}`);
    lastLines = text.split("\n").length - 1;
  };
  const timer = setInterval(() => {
    if (tty) redraw();
    else if (now() - lastPlainSummary >= 10_000) {
      lastPlainSummary = now();
      o.out.write(`${header()}\n`);
    }
  }, tty ? 1000 : 2000);
  timer.unref();
  const line = (s: string): void => {
    if (!tty) o.out.write(`${s}\n`);
  };
  return {
    onTrialStart(trial, attempt) {
      line(`trial ${trial.id} started${attempt > 1 ? ` (attempt ${attempt}, from iteration ${trial.iteration})` : ""}: ${JSON.stringify(trial.config)}`);
    },
    onTrialEnd(trial, status, detail) {
      const metric = o.metric && trial.lastResult ? ` ${o.metric}=${formatValue(trial.lastResult[o.metric])}` : "";
      const why = detail ? ` — ${detail.split("\n")[0]}` : "";
      line(`trial ${trial.id} ${status.toLowerCase()} after ${trial.iteration} iterations${metric}${why}`);
    },
    onExperimentEnd(_summary: RunSummary) {
      clearInterval(timer);
      if (tty) redraw();
      else o.out.write(`${header()}\n`);
    },
    dispose() {
      clearInterval(timer);
    },
  };
}
