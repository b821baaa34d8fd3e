/**
 * The host's dashboard model: journal events in (from a Tunelab experiment dir,
 * or synthesized from a Ray Tune result dir), a snapshot and deltas out. Pure:
 * no I/O and no vscode, so it is unit-tested in Node and benchmarked.
 */
import type { JournalEvent } from "../../engine/store/events.ts";
import { applyEventInPlace, emptyState, type ExperimentState, type TrialState } from "../../engine/store/state.ts";
import { flattenConfig } from "../../shared/dashboard-space.ts";
import type { DashboardDelta, DashboardSnapshot, ExperimentInfo, LineageStep, PackedSeries, SeriesChunk, TrialSummary } from "../../shared/dashboard-types.ts";

/** Auto-filled result fields that are not metrics worth a curve (the x axes are kept apart). */
const NOT_METRICS = new Set([
  "training_iteration", "time_total_s", "time_this_iter_s", "time_since_restore", "iterations_since_restore",
  "timestamp", "pid", "done", "trial_id", "hostname", "node_ip", "date", "config", "experiment_id", "episodes_total", "timesteps_total",
]);

interface Series {
  iteration: number[];
  time: (number | null)[];
  values: Map<string, (number | null)[]>;
  /** Points already sent to the webview. */
  sent: number;
}

/** Everything about the experiment that is not in its journal (experiment.json, or what a Ray dir tells). */
export type ExperimentMeta = Omit<ExperimentInfo, "state" | "metric" | "mode" | "createdAt" | "updatedAt"> &
  Partial<Pick<ExperimentInfo, "state" | "metric" | "mode" | "createdAt" | "updatedAt">>;

export class DashboardModel {
  readonly state: ExperimentState = emptyState();
  private readonly series = new Map<string, Series>();
  private readonly lineage = new Map<string, LineageStep[]>();
  private readonly metricSet = new Set<string>();
  private readonly metrics: string[] = [];
  private readonly dirty = new Set<string>();
  private metricsDirty = false;
  private infoDirty = false;

  constructor(private meta: ExperimentMeta) {}

  /** Replaces what experiment.json said (its state changes when the runner ends). */
  setMeta(meta: ExperimentMeta): void {
    this.meta = meta;
    this.infoDirty = true;
  }

  apply(events: Iterable<JournalEvent>): void {
    for (const e of events) {
      const before = e.t === "config" ? this.configOf(e.id) : undefined;
      applyEventInPlace(this.state, e);
      if (e.t === "experiment" || e.t === "finished" || e.t === "resume") this.infoDirty = true;
      if (!("id" in e)) continue;
      if (!this.state.positions.has(e.id)) continue;
      this.dirty.add(e.id);
      if (e.t === "result") this.addPoint(e.id, e.r);
      else if (e.t === "config") this.addLineage(e, before);
    }
  }

  info(): ExperimentInfo {
    const s = this.state;
    const meta = this.meta;
    const running = s.finished === undefined && s.trials.some((t) => t.status === "RUNNING");
    return {
      ...meta,
      name: s.name || meta.name,
      state: s.finished?.outcome ?? meta.state ?? (running ? "running" : "interrupted"),
      metric: s.metric ?? meta.metric,
      mode: s.mode ?? meta.mode,
      createdAt: s.createdAt ?? meta.createdAt,
      updatedAt: s.updatedAt ?? meta.updatedAt,
      endedAt: s.finished?.ts ?? meta.endedAt,
    };
  }

  snapshot(): DashboardSnapshot {
    this.dirty.clear();
    this.metricsDirty = false;
    this.infoDirty = false;
    return { info: this.info(), metrics: this.metrics.slice(), trials: this.state.trials.map((t) => this.summary(t)), series: [], packed: this.pack() };
  }

  /** Every series so far as typed columns (and all of it counted as sent). */
  private pack(): PackedSeries {
    let total = 0;
    for (const s of this.series.values()) total += s.iteration.length;
    const ids: string[] = [];
    const offsets = new Uint32Array(this.series.size + 1);
    const iteration = new Float64Array(total);
    const time = new Float64Array(total);
    const values: Record<string, Float64Array> = {};
    for (const m of this.metrics) values[m] = new Float64Array(total).fill(Number.NaN);
    let at = 0;
    for (const [id, s] of this.series) {
      offsets[ids.length] = at;
      ids.push(id);
      const n = s.iteration.length;
      for (let i = 0; i < n; i++) {
        iteration[at + i] = s.iteration[i]!;
        time[at + i] = s.time[i] ?? Number.NaN;
      }
      for (const [m, col] of s.values) {
        const out = values[m]!;
        for (let i = 0; i < col.length; i++) out[at + i] = col[i] ?? Number.NaN;
      }
      s.sent = n;
      at += n;
    }
    offsets[ids.length] = at;
    return { ids, offsets, iteration, time, values };
  }

  /** What changed since the last snapshot or delta; undefined when nothing did. */
  takeDelta(): DashboardDelta | undefined {
    if (this.dirty.size === 0 && !this.metricsDirty && !this.infoDirty) return undefined;
    const delta: DashboardDelta = { trials: [], series: [] };
    if (this.infoDirty) delta.info = this.info();
    if (this.metricsDirty) delta.metrics = this.metrics.slice();
    for (const id of this.dirty) {
      const pos = this.state.positions.get(id);
      const t = pos === undefined ? undefined : this.state.trials[pos];
      if (t) delta.trials.push(this.summary(t));
      const s = this.series.get(id);
      if (s && s.sent < s.iteration.length) {
        delta.series.push(chunk(id, s, s.sent));
        s.sent = s.iteration.length;
      }
    }
    this.dirty.clear();
    this.metricsDirty = false;
    this.infoDirty = false;
    return delta;
  }

  summary(t: TrialState): TrialSummary {
    const last: Record<string, number> = {};
    const r = t.lastResult;
    if (r) for (const k of this.metrics) {
      const v = r[k];
      if (typeof v === "number") last[k] = v;
    }
    const out: TrialSummary = {
      id: t.id,
      index: t.index,
      status: t.status,
      config: flattenConfig(t.config),
      iteration: t.iteration,
      last,
      earlyStopped: t.stoppedBy !== undefined && /stopped early/i.test(t.stoppedBy),
      lineage: this.lineage.get(t.id) ?? [],
    };
    if (t.best !== undefined) out.best = t.best;
    if (t.stoppedBy !== undefined) out.stoppedBy = t.stoppedBy;
    if (t.error !== undefined) out.error = t.error;
    if (t.startedAt !== undefined) out.startedAt = t.startedAt;
    if (t.endedAt !== undefined) out.endedAt = t.endedAt;
    return out;
  }

  private addPoint(id: string, r: Record<string, unknown>): void {
    let s = this.series.get(id);
    if (!s) this.series.set(id, (s = { iteration: [], time: [], values: new Map(), sent: 0 }));
    const at = s.iteration.length;
    s.iteration.push(typeof r.training_iteration === "number" ? r.training_iteration : at + 1);
    s.time.push(typeof r.time_total_s === "number" ? r.time_total_s : null);
    for (const key in r) {
      const v = r[key];
      if (typeof v !== "number" || NOT_METRICS.has(key)) continue;
      if (!this.metricSet.has(key)) {
        this.metricSet.add(key);
        this.metrics.push(key);
        this.metricsDirty = true;
      }
      let col = s.values.get(key);
      if (!col) s.values.set(key, (col = []));
      while (col.length < at) col.push(null);
      col.push(v);
    }
  }

  private configOf(id: string): Record<string, unknown> | undefined {
    const pos = this.state.positions.get(id);
    const t = pos === undefined ? undefined : this.state.trials[pos];
    return t ? flattenConfig(t.config) : undefined;
  }

  private addLineage(e: Extract<JournalEvent, { t: "config" }>, previous: Record<string, unknown> | undefined): void {
    let list = this.lineage.get(e.id);
    if (!list) this.lineage.set(e.id, (list = []));
    const step: LineageStep = { ts: e.ts, config: flattenConfig(e.config) };
    if (e.iteration !== undefined) step.iteration = e.iteration;
    if (e.donorId !== undefined) step.donorId = e.donorId;
    if (e.note !== undefined) step.note = e.note;
    if (previous) step.previous = previous;
    list.push(step);
  }
}

function chunk(id: string, s: Series, from: number): SeriesChunk {
  const values: Record<string, (number | null)[]> = {};
  const end = s.iteration.length;
  for (const [m, col] of s.values) {
    const part = col.slice(from, end);
    while (part.length < end - from) part.push(null);
    values[m] = part;
  }
  return { id, from, iteration: s.iteration.slice(from), time: s.time.slice(from), values };
}
