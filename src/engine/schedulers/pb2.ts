/**
 * Population Based Bandits (Ray's PB2; Parker-Holder et al. 2020): PBT's
 * exploit step (a bottom-quantile trial continues from a top-quantile donor's
 * checkpoint), but the new config is not a random perturbation: a
 * time-varying GP learns, across the population, how much each config
 * improved the reward per unit of time, and a UCB bandit picks the next one
 * inside `hyperparamBounds` (pb2-select.ts). Policy logs are PBT's files, as
 * Ray's PB2 writes them. The population mechanics (quantiles, asynchronous
 * and synchronous rounds, fair time-sharing) follow pbt.ts.
 */
import type { Decision, Result, Scheduler, SchedulerContext, TrialConfig, TrialView } from "../interfaces.ts";
import { createRng, type Rng, type RngState } from "../random.ts";
import { isPlainObject } from "../space/variants.ts";
import {
  booleanOption, checkKeys, numberAt, positiveOption, resolveObjective, SchedulerOptionError, stringOption, TrialIndex,
  type Objective,
} from "./common.ts";
import { policyLines, type PolicyLine } from "./pbt-explore.ts";
import { applyPoint, flattenBounds, GP_WINDOW, selectPoint, valueAt, valuesOf, type Bounds, type FlatBound, type GpCache, type Pb2Row } from "./pb2-select.ts";

export const PB2_OPTIONS = [
  "timeAttr", "metric", "mode", "perturbationInterval", "hyperparamBounds", "quantileFraction", "customExploreFn", "logConfig", "requireAttrs", "synch",
];

/**
 * Rows kept: the GP fits on the last GP_WINDOW reward changes, and each change needs its row and
 * the one before it in the same run, so twice the window is plenty (Ray keeps 1000). It also keeps
 * the state the runner journals small.
 */
const MAX_ROWS = 2 * GP_WINDOW;

interface TrialState {
  score: number | undefined;
  lastPerturbationTime: number;
  lastTrainTime: number;
  lastIteration: number;
}

interface Pb2State {
  trials: Record<string, TrialState>;
  nextSync: number;
  rng: RngState;
  lines: PolicyLine[];
  actions: { trialId: string; decision: Decision }[];
  perturbations: number;
  rows: Pb2Row[];
  /** Unit points chosen since the population last reached a new time (Ray's `current`). */
  pending: number[][];
  lastExplorationTime: number;
}

export class Pb2Scheduler implements Scheduler {
  private readonly timeAttr: string;
  private readonly interval: number;
  private readonly bounds: FlatBound[];
  private readonly quantileFraction: number;
  private readonly customExploreFn: ((c: TrialConfig) => TrialConfig) | undefined;
  private readonly logConfig: boolean;
  private readonly requireAttrs: boolean;
  private readonly synch: boolean;
  private objective!: Objective;
  private rng!: Rng;
  private readonly views = new TrialIndex();
  private s!: Pb2State;
  /** Derived from the rows, so not part of the saved state. */
  private readonly gpCache: GpCache = {};

  constructor(private readonly options: Readonly<Record<string, unknown>> = {}) {
    const k = "pb2";
    checkKeys(k, options, PB2_OPTIONS);
    this.timeAttr = stringOption(k, options, "timeAttr", "time_total_s");
    this.interval = positiveOption(k, options, "perturbationInterval", 60);
    this.quantileFraction = positiveOption(k, options, "quantileFraction", 0.25, true);
    if (this.quantileFraction > 0.5) throw new SchedulerOptionError(`scheduler pb2: quantileFraction must be in [0, 0.5] (got ${this.quantileFraction})`);
    this.logConfig = booleanOption(k, options, "logConfig", true);
    this.requireAttrs = booleanOption(k, options, "requireAttrs", true);
    this.synch = booleanOption(k, options, "synch", false);
    const bounds = options.hyperparamBounds;
    if (!isPlainObject(bounds) || Object.keys(bounds).length === 0) {
      throw new SchedulerOptionError("scheduler pb2: give hyperparamBounds, the continuous ranges to search (e.g. { lr: [1e-4, 1e-1] })");
    }
    try {
      this.bounds = flattenBounds(bounds as Bounds);
    } catch (e) {
      throw new SchedulerOptionError(`scheduler pb2: ${(e as Error).message}`);
    }
    const fn = options.customExploreFn;
    if (fn !== undefined && typeof fn !== "function") throw new SchedulerOptionError("scheduler pb2: customExploreFn must be a function (config) => config");
    this.customExploreFn = fn as ((c: TrialConfig) => TrialConfig) | undefined;
  }

  setup(ctx: SchedulerContext): void {
    this.objective = resolveObjective("pb2", this.options, ctx);
    this.rng = createRng(ctx.seed ^ 0x9b2);
    this.s = {
      trials: {}, nextSync: this.interval, rng: this.rng.state(), lines: [], actions: [], perturbations: 0, rows: [], pending: [], lastExplorationTime: 0,
    };
  }

  onTrialAdd(trial: TrialView): void {
    this.views.add(trial);
    this.state(trial.id);
  }

  onTrialResult(trial: TrialView, result: Result): Decision {
    const time = numberAt(result, this.timeAttr);
    const value = numberAt(result, this.objective.metric);
    if (time === undefined || value === undefined) {
      const missing = time === undefined ? `time attribute "${this.timeAttr}"` : `metric "${this.objective.metric}"`;
      if (this.requireAttrs) {
        throw new SchedulerOptionError(`scheduler pb2: trial ${trial.id} reported a result without ${missing}; report it, or set pb2({ requireAttrs: false })`);
      }
      return "CONTINUE";
    }
    const st = this.state(trial.id);
    if (time - st.lastPerturbationTime < this.interval) return "CONTINUE";
    st.score = this.objective.sign * value;
    st.lastTrainTime = time;
    st.lastIteration = numberAt(result, "training_iteration") ?? trial.iteration;
    this.record(trial.id, trial.config, time, st.score);
    return this.synch ? this.synchStep(trial, time) : this.asyncStep(trial, time);
  }

  /** Ray's _save_trial_state: one row per scored result, for the GP. */
  private record(trialId: string, config: TrialConfig, time: number, reward: number): void {
    const values = valuesOf(config, this.bounds);
    if (!values) return; // validation warns about keys missing from the space; such a trial teaches the GP nothing
    this.s.rows.push({ trial: trialId, time, values, reward });
    if (this.s.rows.length > MAX_ROWS) this.s.rows.splice(0, this.s.rows.length - MAX_ROWS);
  }

  private asyncStep(trial: TrialView, time: number): Decision {
    this.state(trial.id).lastPerturbationTime = time;
    const { lower, upper } = this.quantiles();
    const exploit = this.checkpointOrExploit(trial, upper, lower);
    if (exploit) return exploit;
    // Yield the slot when others wait, so a population larger than the machine time-shares it.
    for (const t of this.views.all()) if (t.id !== trial.id && (t.status === "PENDING" || t.status === "PAUSED")) return "PAUSE";
    return "CONTINUE";
  }

  private synchStep(trial: TrialView, time: number): Decision {
    const behind = [...this.views.all()].some((t) => t.id !== trial.id && !finished(t) && this.state(t.id).lastTrainTime < this.s.nextSync);
    if (behind) return "PAUSE";
    const { lower, upper } = this.quantiles();
    const middle = [...this.views.all()].filter((t) => !lower.includes(t) && !upper.includes(t));
    let own: Decision = "PAUSE";
    for (const t of [...upper, ...middle, ...lower]) {
      if (finished(t)) continue;
      this.state(t.id).lastPerturbationTime = time;
      const d = this.checkpointOrExploit(t, upper, lower);
      if (t.id === trial.id) own = d ?? "PAUSE";
      else if (d) this.s.actions.push({ trialId: t.id, decision: d });
    }
    const maxTrain = Math.max(...Object.values(this.s.trials).map((x) => x.lastTrainTime));
    this.s.nextSync = Math.max(this.s.nextSync + this.interval, maxTrain);
    return own;
  }

  /** A bottom-quantile trial exploits a top-quantile donor that has a checkpoint, with a config the bandit picks. */
  private checkpointOrExploit(trial: TrialView, upper: TrialView[], lower: TrialView[]): Decision | undefined {
    if (!lower.includes(trial)) return undefined;
    const donors = upper.filter((t) => t.checkpointIteration !== undefined && t.id !== trial.id);
    if (donors.length === 0) return undefined;
    const donor = donors[this.rng.int(0, donors.length)] as TrialView;
    const { config, how } = this.newConfig(trial, donor);
    const st = this.state(trial.id);
    const donorSt = this.state(donor.id);
    if (this.logConfig) {
      this.s.lines.push(...policyLines(
        { id: trial.id, iteration: st.lastIteration }, { id: donor.id, iteration: donor.checkpointIteration as number },
        donor.config, config,
      ));
    }
    // The trial now continues the donor's history, so it inherits the donor's clocks.
    st.lastPerturbationTime = donorSt.lastPerturbationTime;
    st.lastTrainTime = donorSt.lastTrainTime;
    this.s.perturbations += 1;
    return { kind: "EXPLOIT", donorId: donor.id, config, note: `exploit ${donor.id} (checkpoint ${donor.checkpointIteration}); ${how}` };
  }

  /** Ray's PB2._get_new_config: the bandit's pick applied to the donor's config, then customExploreFn. */
  private newConfig(trial: TrialView, donor: TrialView): { config: TrialConfig; how: string } {
    const rows = this.s.rows;
    const maxTime = Math.max(...rows.map((r) => r.time));
    // A new round of the population: configs chosen in the last one no longer compete.
    if (maxTime > this.s.lastExplorationTime) this.s.pending = [];
    const latest = [...rows].reverse().find((r) => r.trial === donor.id);
    const point = latest ? selectPoint(rows, this.bounds, { id: donor.id, time: latest.time, reward: latest.reward }, this.s.pending, this.rng, this.gpCache) : undefined;
    let config = point ? applyPoint(donor.config, this.bounds, point) : structuredClone(donor.config) as TrialConfig;
    let how = point ? `GP-UCB chose ${this.bounds.map((b) => `${b.path.join(".")}=${formatValue(config, b.path)}`).join(", ")}` : "no reward changes yet: donor's config kept";
    if (point) {
      if (maxTime > this.s.lastExplorationTime) this.s.lastExplorationTime = maxTime;
      this.s.pending.push(point);
      const values = valuesOf(config, this.bounds);
      // The copy starts from the donor's weights under the new config (Ray adds this row so the next change is measured from it).
      if (values && latest) this.s.rows.push({ trial: trial.id, time: latest.time, values, reward: latest.reward });
    }
    if (this.customExploreFn) {
      const custom = this.customExploreFn(structuredClone(config));
      if (!isPlainObject(custom)) throw new SchedulerOptionError("scheduler pb2: customExploreFn must return the new config object");
      config = custom;
      how += ", customExploreFn";
    }
    return { config, how };
  }

  /** Ray's _quantiles: the bottom and top `quantileFraction` of scored, unfinished trials (at most half each). */
  private quantiles(): { lower: TrialView[]; upper: TrialView[] } {
    const scored = [...this.views.all()].filter((t) => !finished(t) && this.state(t.id).score !== undefined);
    scored.sort((a, b) => (this.state(a.id).score as number) - (this.state(b.id).score as number));
    if (scored.length <= 1) return { lower: [], upper: [] };
    let n = Math.ceil(scored.length * this.quantileFraction);
    if (n > scored.length / 2) n = Math.floor(scored.length / 2);
    return { lower: scored.slice(0, n), upper: n === 0 ? [] : scored.slice(-n) };
  }

  private state(id: string): TrialState {
    return (this.s.trials[id] ??= { score: undefined, lastPerturbationTime: 0, lastTrainTime: 0, lastIteration: 0 });
  }

  onTrialComplete(): void {}
  onTrialError(): void {}
  onTrialRemove(): void {}

  /** The waiting trial that has trained least, so the population advances together. */
  chooseTrialToRun(candidates: readonly TrialView[]): TrialView | null {
    let best: TrialView | null = null;
    for (const c of candidates) {
      const t = this.state(c.id).lastTrainTime;
      if (this.synch && t >= this.s.nextSync) continue;
      if (!best || t < this.state(best.id).lastTrainTime) best = c;
    }
    return best;
  }

  takeActions(): readonly { trialId: string; decision: Decision }[] {
    const out = this.s.actions;
    this.s.actions = [];
    return out;
  }

  /** Policy-log lines produced since the last call, for the runner to append under the experiment dir. */
  drainPolicyLines(): PolicyLine[] {
    const out = this.s.lines;
    this.s.lines = [];
    return out;
  }

  /** How many exploits were decided. */
  get perturbations(): number {
    return this.s.perturbations;
  }

  save(): Pb2State {
    return { ...this.s, rng: this.rng.state() };
  }

  restore(state: unknown): void {
    this.s = structuredClone(state as Pb2State);
    this.rng = createRng(this.s.rng);
  }
}

const finished = (t: TrialView): boolean => t.status === "TERMINATED" || t.status === "ERROR";

function formatValue(config: TrialConfig, path: readonly string[]): string {
  const v = valueAt(config, path);
  return typeof v === "number" ? String(Number(v.toPrecision(4))) : String(v);
}
