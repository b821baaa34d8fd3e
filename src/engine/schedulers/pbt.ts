/**
 * Population Based Training (Ray's PopulationBasedTraining). Every
 * perturbationInterval of timeAttr, a trial in the bottom quantile exploits
 * a top-quantile trial that has a checkpoint: it continues from a copy of
 * that checkpoint with the donor's config, explored (pbt-explore.ts). The
 * scheduler decides; the runner copies the checkpoint and journals the config.
 * Policy log lines (Ray's pbt_global.txt / pbt_policy_<id>.txt) are handed to
 * the runner by drainPolicyLines().
 *
 * The population mechanics (quantiles, asynchronous and synchronous rounds,
 * exploits, fair time-sharing, saved state) serve PB2 too: a subclass passes
 * its own PopulationKind and overrides exploreConfig (and onScored, to learn
 * from scores), so a fix here reaches both.
 */
import type { Decision, Result, Scheduler, SchedulerContext, TrialConfig, TrialView } from "../interfaces.ts";
import { createRng, type Rng, type RngState } from "../random.ts";
import { isPlainObject } from "../space/variants.ts";
import {
  booleanOption, checkKeys, numberAt, positiveOption, resolveObjective, SchedulerOptionError, stringOption, TrialIndex,
  type Objective,
} from "./common.ts";
import { explore, policyLines, type ExploreOptions, type Mutations, type PolicyLine } from "./pbt-explore.ts";

export const PBT_OPTIONS = [
  "timeAttr", "metric", "mode", "perturbationInterval", "burnInPeriod", "hyperparamMutations", "quantileFraction",
  "resampleProbability", "perturbationFactors", "customExploreFn", "logConfig", "requireAttrs", "synch",
];

/** What a scheduler built on PBT's population is called in messages, the options it accepts, and its random stream's salt. */
export interface PopulationKind {
  name: string;
  options: readonly string[];
  seedSalt: number;
}

const PBT_KIND: PopulationKind = { name: "pbt", options: PBT_OPTIONS, seedSalt: 0x9b7 };

interface TrialState {
  score: number | undefined;
  lastPerturbationTime: number;
  lastTrainTime: number;
  lastIteration: number;
}

export interface PbtState {
  trials: Record<string, TrialState>;
  nextSync: number;
  rng: RngState;
  lines: PolicyLine[];
  actions: { trialId: string; decision: Decision }[];
  perturbations: number;
}

export class PbtScheduler implements Scheduler {
  /** "pbt", or the subclass's name: error messages name the helper the user wrote. */
  protected readonly name: string;
  private readonly seedSalt: number;
  private readonly timeAttr: string;
  private readonly interval: number;
  private readonly burnIn: number;
  private readonly quantileFraction: number;
  protected readonly customExploreFn: ((c: TrialConfig) => TrialConfig) | undefined;
  private readonly logConfig: boolean;
  private readonly requireAttrs: boolean;
  private readonly synch: boolean;
  /** PBT's own perturbation settings; undefined for a subclass, which explores its own way. */
  private readonly perturbation: { mutations: Mutations; opts: ExploreOptions } | undefined;
  private objective!: Objective;
  protected rng!: Rng;
  private readonly views = new TrialIndex();
  private s!: PbtState;

  /** `kind`: for subclasses only (PB2), which then override exploreConfig. */
  constructor(private readonly options: Readonly<Record<string, unknown>> = {}, kind: PopulationKind = PBT_KIND) {
    const k = kind.name;
    this.name = k;
    this.seedSalt = kind.seedSalt;
    checkKeys(k, options, kind.options);
    this.timeAttr = stringOption(k, options, "timeAttr", "time_total_s");
    this.interval = positiveOption(k, options, "perturbationInterval", 60);
    // Only PBT accepts burnInPeriod (checkKeys refuses it elsewhere), so others get 0: no burn-in.
    this.burnIn = positiveOption(k, options, "burnInPeriod", 0, true);
    this.quantileFraction = positiveOption(k, options, "quantileFraction", 0.25, true);
    if (this.quantileFraction > 0.5) throw new SchedulerOptionError(`scheduler ${k}: quantileFraction must be in [0, 0.5] (got ${this.quantileFraction})`);
    this.logConfig = booleanOption(k, options, "logConfig", true);
    this.requireAttrs = booleanOption(k, options, "requireAttrs", true);
    this.synch = booleanOption(k, options, "synch", false);
    const fn = options.customExploreFn;
    if (fn !== undefined && typeof fn !== "function") throw new SchedulerOptionError(`scheduler ${k}: customExploreFn must be a function (config) => config`);
    this.customExploreFn = fn as ((c: TrialConfig) => TrialConfig) | undefined;
    this.perturbation = kind === PBT_KIND ? pbtPerturbation(options, this.customExploreFn) : undefined;
  }

  setup(ctx: SchedulerContext): void {
    this.objective = resolveObjective(this.name, this.options, ctx);
    this.rng = createRng(ctx.seed ^ this.seedSalt);
    this.s = { trials: {}, nextSync: this.interval, rng: this.rng.state(), lines: [], actions: [], perturbations: 0 };
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
        throw new SchedulerOptionError(`scheduler ${this.name}: trial ${trial.id} reported a result without ${missing}; report it, or set ${this.name}({ requireAttrs: false })`);
      }
      return "CONTINUE";
    }
    const st = this.state(trial.id);
    if (time < this.burnIn) return "CONTINUE";
    if (time - st.lastPerturbationTime < this.interval) return "CONTINUE";
    st.score = this.objective.sign * value;
    st.lastTrainTime = time;
    st.lastIteration = numberAt(result, "training_iteration") ?? trial.iteration;
    this.onScored(trial, time, st.score);
    return this.synch ? this.synchStep(trial, time) : this.asyncStep(trial, time);
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
    // Strong trials first, so their checkpoints exist before the weak ones copy them (as Ray orders it).
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

  /** Called once per scored result (one that reached a perturbation time), before the population step; PB2 learns from it. */
  protected onScored(_trial: TrialView, _time: number, _score: number): void {}

  /**
   * The config a trial that copies `donor` continues with, and what was done to get it (joined
   * into the decision's note). PBT perturbs the donor's config (pbt-explore.ts); rng draws happen
   * here, after the donor's pick.
   */
  protected exploreConfig(_trial: TrialView, donor: TrialView): { config: TrialConfig; operations: string[] } {
    const p = this.perturbation;
    if (!p) throw new SchedulerOptionError(`scheduler ${this.name}: this scheduler must override exploreConfig`);
    return explore(donor.config, p.mutations, this.rng, p.opts);
  }

  /** Bottom-quantile trials exploit a top-quantile donor that has a checkpoint. */
  private checkpointOrExploit(trial: TrialView, upper: TrialView[], lower: TrialView[]): Decision | undefined {
    if (!lower.includes(trial)) return undefined;
    const donors = upper.filter((t) => t.checkpointIteration !== undefined && t.id !== trial.id);
    if (donors.length === 0) return undefined;
    const donor = donors[this.rng.int(0, donors.length)] as TrialView;
    const { config, operations } = this.exploreConfig(trial, donor);
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
    return { kind: "EXPLOIT", donorId: donor.id, config, note: `exploit ${donor.id} (checkpoint ${donor.checkpointIteration}); ${operations.join(", ")}` };
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

  save(): PbtState {
    return { ...this.s, rng: this.rng.state() };
  }

  restore(state: unknown): void {
    this.s = structuredClone(state as PbtState);
    this.rng = createRng(this.s.rng);
  }
}

const finished = (t: TrialView): boolean => t.status === "TERMINATED" || t.status === "ERROR";

/** PBT's hyperparamMutations, resampleProbability and perturbationFactors, checked. */
function pbtPerturbation(
  options: Readonly<Record<string, unknown>>, customExploreFn: ((c: TrialConfig) => TrialConfig) | undefined,
): { mutations: Mutations; opts: ExploreOptions } {
  const resampleProbability = positiveOption("pbt", options, "resampleProbability", 0.25, true);
  const mutations = options.hyperparamMutations ?? {};
  if (!isPlainObject(mutations)) throw new SchedulerOptionError("scheduler pbt: hyperparamMutations must be an object of key → domain, list or nested mutations");
  if (Object.keys(mutations).length === 0 && !customExploreFn) {
    throw new SchedulerOptionError("scheduler pbt: give hyperparamMutations (e.g. { lr: loguniform(1e-4, 1e-1) }) or customExploreFn");
  }
  const factors = options.perturbationFactors ?? [1.2, 0.8];
  if (!Array.isArray(factors) || factors.length === 0 || !factors.every((f) => typeof f === "number" && Number.isFinite(f))) {
    throw new SchedulerOptionError(`scheduler pbt: perturbationFactors must be a non-empty list of numbers (got ${JSON.stringify(factors)})`);
  }
  return { mutations: mutations as Mutations, opts: { resampleProbability, perturbationFactors: factors as number[], customExploreFn } };
}
