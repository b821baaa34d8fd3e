/**
 * The webview's copy of an experiment: a snapshot, then deltas applied in
 * place. Curve points are columnar per trial so 10,000 trials × 100 points stay
 * a few arrays each, not a million objects.
 */
import type { DashboardDelta, DashboardSnapshot, ExperimentInfo, SeriesChunk, TrialSummary } from "./dashboard-types.ts";

export interface TrialSeries {
  iteration: number[];
  time: (number | null)[];
  values: Map<string, (number | null)[]>;
}

export interface DeltaEffect {
  /** Trials whose summary or points changed. */
  changed: Set<string>;
  /** Trials seen for the first time. */
  added: number;
  /** Chunks that started past the end of what we had: the host skipped points (we keep them anyway). */
  gaps: string[];
  infoChanged: boolean;
  metricsChanged: boolean;
}

export class DashboardStore {
  info: ExperimentInfo | undefined;
  metrics: string[] = [];
  trials: TrialSummary[] = [];
  readonly byId = new Map<string, number>();
  readonly series = new Map<string, TrialSeries>();
  /** Bumped on every change, so views can tell whether to redraw. */
  version = 0;

  load(snapshot: DashboardSnapshot): void {
    this.info = snapshot.info;
    this.metrics = snapshot.metrics.slice();
    this.trials = [];
    this.byId.clear();
    this.series.clear();
    for (const t of snapshot.trials) this.upsert(t);
    for (const c of snapshot.series) this.appendChunk(c);
    this.version++;
  }

  apply(delta: DashboardDelta): DeltaEffect {
    const effect: DeltaEffect = { changed: new Set(), added: 0, gaps: [], infoChanged: false, metricsChanged: false };
    if (delta.info) {
      this.info = delta.info;
      effect.infoChanged = true;
    }
    if (delta.metrics) {
      for (const m of delta.metrics) if (!this.metrics.includes(m)) {
        this.metrics.push(m);
        effect.metricsChanged = true;
      }
    }
    for (const t of delta.trials) {
      if (this.upsert(t)) effect.added++;
      effect.changed.add(t.id);
    }
    for (const c of delta.series) {
      if (!this.appendChunk(c)) effect.gaps.push(c.id);
      effect.changed.add(c.id);
    }
    this.version++;
    return effect;
  }

  get(id: string): TrialSummary | undefined {
    const i = this.byId.get(id);
    return i === undefined ? undefined : this.trials[i];
  }

  /** Replaces or adds a trial; true when it is new. */
  private upsert(t: TrialSummary): boolean {
    const i = this.byId.get(t.id);
    if (i !== undefined) {
      this.trials[i] = t;
      return false;
    }
    this.byId.set(t.id, this.trials.length);
    this.trials.push(t);
    return true;
  }

  /** Appends a chunk at its `from` (overwriting what a resend repeats); false when it left a gap. */
  private appendChunk(c: SeriesChunk): boolean {
    let s = this.series.get(c.id);
    if (!s) this.series.set(c.id, (s = { iteration: [], time: [], values: new Map() }));
    const have = s.iteration.length;
    const contiguous = c.from <= have;
    const at = contiguous ? c.from : have;
    s.iteration.length = at;
    s.time.length = at;
    for (const col of s.values.values()) col.length = Math.min(col.length, at);
    s.iteration.push(...c.iteration);
    s.time.push(...c.time);
    for (const [m, vals] of Object.entries(c.values)) {
      let col = s.values.get(m);
      if (!col) s.values.set(m, (col = []));
      while (col.length < at) col.push(null);
      col.push(...vals);
    }
    const len = s.iteration.length;
    for (const col of s.values.values()) while (col.length < len) col.push(null);
    return contiguous;
  }
}
