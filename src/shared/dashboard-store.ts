/**
 * The webview's copy of an experiment: a snapshot, then deltas applied in
 * place. Curve points are typed columns per trial (views into the snapshot's
 * packed buffers until a delta appends to them), so 10,000 trials × 100
 * points are a few buffers, not a million boxed numbers.
 */
import type { DashboardDelta, DashboardSnapshot, ExperimentInfo, PackedSeries, SeriesChunk, TrialSummary } from "./dashboard-types.ts";

/**
 * One trial's points: the first `length` entries of each column are valid
 * (the arrays may be longer: spare room for appends). NaN marks a result that
 * did not report the value.
 */
export interface TrialSeries {
  length: number;
  iteration: Float64Array;
  time: Float64Array;
  values: Map<string, Float64Array>;
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

/** A column's valid part. */
export function valid(s: TrialSeries, column: Float64Array): Float64Array {
  return column.length === s.length ? column : column.subarray(0, s.length);
}

/** Plain arrays of a series' valid points (null for missing), to compare or print. */
export function seriesData(s: TrialSeries): { iteration: number[]; time: (number | null)[]; values: Record<string, (number | null)[]> } {
  const plain = (c: Float64Array): (number | null)[] => Array.from(valid(s, c), (v) => (Number.isNaN(v) ? null : v));
  const values: Record<string, (number | null)[]> = {};
  for (const [m, c] of [...s.values].sort(([a], [b]) => (a < b ? -1 : 1))) values[m] = plain(c);
  return { iteration: Array.from(valid(s, s.iteration)), time: plain(s.time), values };
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
    if (snapshot.packed) this.unpack(snapshot.packed);
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

  /** Views into the packed buffers: no copy until a delta appends to a trial. */
  private unpack(p: PackedSeries): void {
    const metrics = Object.entries(p.values);
    for (let i = 0; i < p.ids.length; i++) {
      const from = p.offsets[i]!;
      const to = p.offsets[i + 1]!;
      const values = new Map<string, Float64Array>();
      for (const [m, col] of metrics) values.set(m, col.subarray(from, to));
      this.series.set(p.ids[i]!, { length: to - from, iteration: p.iteration.subarray(from, to), time: p.time.subarray(from, to), values });
    }
  }

  /** Appends a chunk at its `from` (overwriting what a resend repeats); false when it left a gap. */
  private appendChunk(c: SeriesChunk): boolean {
    let s = this.series.get(c.id);
    if (!s) this.series.set(c.id, (s = { length: 0, iteration: new Float64Array(0), time: new Float64Array(0), values: new Map() }));
    const contiguous = c.from <= s.length;
    const at = contiguous ? c.from : s.length;
    const len = at + c.iteration.length;
    for (const m of Object.keys(c.values)) if (!s.values.has(m)) s.values.set(m, nanColumn(s.iteration.length));
    if (len > s.iteration.length) {
      // Room to grow, so a trial that gets one point per delta is not copied every time.
      const cap = Math.max(len, Math.ceil(s.iteration.length * 1.5), 8);
      s.iteration = grow(s.iteration, at, cap);
      s.time = grow(s.time, at, cap);
      for (const [m, col] of s.values) s.values.set(m, grow(col, at, cap));
    }
    for (let i = 0; i < c.iteration.length; i++) {
      s.iteration[at + i] = c.iteration[i]!;
      s.time[at + i] = c.time[i] ?? Number.NaN;
    }
    for (const [m, col] of s.values) {
      const vals = c.values[m];
      for (let i = 0; i < c.iteration.length; i++) col[at + i] = vals?.[i] ?? Number.NaN;
    }
    s.length = len;
    return contiguous;
  }
}

function nanColumn(n: number): Float64Array {
  return new Float64Array(n).fill(Number.NaN);
}

/** A new column of `cap` entries holding the first `keep` of `col`, the rest NaN. */
function grow(col: Float64Array, keep: number, cap: number): Float64Array {
  const out = nanColumn(cap);
  out.set(col.subarray(0, Math.min(keep, col.length)));
  return out;
}
