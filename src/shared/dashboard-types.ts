/**
 * The dashboard's data shapes, shared by the extension host (which builds them
 * from an experiment dir or a Ray Tune result dir) and the webview (which
 * draws them). Pure data: everything here survives postMessage's structured clone.
 */

/** How one search-space parameter is distributed, flattened to a `a/b` path. */
export interface ParamInfo {
  path: string;
  kind: string;
  /** Sampled on a log scale (loguniform, qloguniform, lograndint): charts use log axes. */
  log: boolean;
  lower?: number;
  upper?: number;
  base?: number;
  q?: number;
  /** choice/grid values. */
  categories?: unknown[];
}

export interface ExperimentInfo {
  name: string;
  dir: string;
  source: "tunelab" | "ray";
  /** running, completed, stopped, time_budget, error, interrupted… */
  state: string;
  metric?: string;
  mode?: "min" | "max";
  searcher: string;
  scheduler: string;
  createdAt?: number;
  updatedAt?: number;
  endedAt?: number;
  configPath?: string;
  /** The search space, one entry per sampled parameter (constants left out). */
  params: ParamInfo[];
}

/** One PBT exploit/explore step: the trial took `donorId`'s checkpoint and this config. */
export interface LineageStep {
  ts: number;
  iteration?: number;
  donorId?: string;
  config: Record<string, unknown>;
  /** The config before this step (flattened), so the view can show what changed. */
  previous?: Record<string, unknown>;
  note?: string;
}

export type TrialStatusName = "PENDING" | "RUNNING" | "PAUSED" | "TERMINATED" | "ERROR";

/** What the table, best card and charts need about one trial (its curve points travel separately). */
export interface TrialSummary {
  id: string;
  index: number;
  status: TrialStatusName;
  /** The trial's current config, flattened to `a/b` paths. */
  config: Record<string, unknown>;
  iteration: number;
  /** Last reported value of every numeric metric. */
  last: Record<string, number>;
  /** Best value of the experiment's metric (mode-aware), when known. */
  best?: number;
  stoppedBy?: string;
  /** Stopped by a scheduler (ASHA, HyperBand, median…) before its end. */
  earlyStopped: boolean;
  error?: string;
  startedAt?: number;
  endedAt?: number;
  lineage: LineageStep[];
}

/**
 * Appended curve points of one trial, columnar: `values[m][i]` is metric `m` at
 * `iteration[i]` (null when that result did not report it). `from` is the index
 * of the first point here in the trial's whole series, so a receiver can tell a
 * gap or a duplicate from a plain append.
 */
export interface SeriesChunk {
  id: string;
  from: number;
  iteration: number[];
  time: (number | null)[];
  values: Record<string, (number | null)[]>;
}

/**
 * Every trial's curve points in a few typed arrays: trial `ids[i]` owns points
 * `offsets[i]` to `offsets[i + 1]` of each column, NaN where a result did not
 * report that value. postMessage copies typed arrays as whole buffers (VS Code
 * moves them without JSON), so 10,000 trials × 100 points cost milliseconds to
 * post and none to unpack, where as nested arrays they cost seconds.
 */
export interface PackedSeries {
  ids: string[];
  offsets: Uint32Array;
  iteration: Float64Array;
  time: Float64Array;
  values: Record<string, Float64Array>;
}

/** Everything at once: sent after the webview's `ready`. */
export interface DashboardSnapshot {
  info: ExperimentInfo;
  /** Numeric metric keys seen in results, in first-seen order. */
  metrics: string[];
  trials: TrialSummary[];
  /** Chunks, from hosts that send them this way; the model sends `packed`. */
  series: SeriesChunk[];
  packed?: PackedSeries;
}

/** What changed since the last update: changed trials (whole summaries) and new curve points. */
export interface DashboardDelta {
  info?: ExperimentInfo;
  metrics?: string[];
  trials: TrialSummary[];
  series: SeriesChunk[];
}
