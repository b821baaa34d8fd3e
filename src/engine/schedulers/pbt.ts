/**
 * Population Based Training (Ray's PopulationBasedTraining). Every
 * perturbationInterval of timeAttr, a trial in the bottom quantile exploits
 * a top-quantile trial that has a checkpoint: it continues from a copy of
 * that checkpoint with the donor's config, explored (pbt-explore.ts). The
 * scheduler decides; the runner copies the checkpoint and journals the config.
 * Policy log lines (Ray's pbt_global.txt / pbt_policy_<id>.txt) are handed to
 * the runner by drainPolicyLines().
 */
import type { Decision, Result, Scheduler, SchedulerContext, TrialConfig, TrialView } from "../interfaces.ts";
import { createRng, type Rng, type RngState } from "../random.ts";
import { isPlainObject } from "../space/variants.ts";
import {
  booleanOption, checkKeys, numberAt, positiveOption, resolveObjective, SchedulerOptionError, stringOption, TrialIndex,
  type Objective,
} from "./common.ts";
import { explore, policyLines, type Mutations, type PolicyLine } from "./pbt-explore.ts";

export const PBT_OPTIONS = [
  "timeAttr", "metric", "mode", "perturbationInterval", "burnInPeriod", "hyperparamMutations", "quantileFraction",
  "resampleProbability", "perturbationFactors", "customExploreFn", "logConfig", "requireAttrs", "synch",
];

interface TrialState {
  score: number | undefined;
  lastPerturbationTime: number;
  lastTrainTime: number;
  lastIteration: number;
}

interface PbtState {
  trials: Record<string, TrialState>;
  nextSync: number;
  rng: RngState;
  lines: PolicyLine[];
  actions: { trialId: string; decision: Decision }[];
  perturbations: number;
}

export class PbtScheduler implements Scheduler {
  private readonly timeAttr: string;
  private readonly interval: number;
  private readonly burnIn: number;
  private readonly mutations: Mutations;
  private readonly quantileFraction: number;
  private readonly resampleProbability: number;
  private readonly factors: readonly number[];
  private readonly customExploreFn: ((c: TrialConfig) => TrialConfig) | undefined;
  private readonly logConfig: boolean;
  private readonly requireAttrs: boolean;
  private readonly synch: boolean;
  private objective!: Objective;
  private rng!: Rng;
  private readonly views = new TrialIndex();
  private s!: PbtState;

  constructor(private readonly options: Readonly<Record<string, unknown>> = {}) {
    const k = "pbt";
    checkKeys(k, options, PBT_OPTIONS);
    this.timeAttr = stringOption(k, options, "timeAttr", "time_total_s");
    this.interval = positiveOption(k, options, "perturbationInterval", 60);
    this.burnIn = positiveOption(k, options, "burnInPeriod", 0, true);
    this.quantileFraction = positiveOption(k, options, "quantileFraction", 0.25, true);
    this.resampleProbability = positiveOption(k, options, "resampleProbability", 0.25, true);
    this.logConfig = booleanOption(k, options, "logConfig", true);
    this.requireAttrs = booleanOption(k, options, "requireAttrs", true);
    this.synch = booleanOption(k, options, "synch", false);
    const mutations = options.hyperparamMutations ?? {};
    if (!isPlainObject(mutations)) throw new SchedulerOptionError("scheduler pbt: hyperparamMutations must be an object of key → domain, list or nested mutations");
    this.mutations = mutations as Mutations;
    const fn = options.customExploreFn;
    if (fn !== undefined && typeof fn !== "function") throw new SchedulerOptionError("scheduler pbt: customExploreFn must be a function (config) => config");
    this.customExploreFn = fn as ((c: TrialConfig) => TrialConfig) | undefined;
    if (Object.keys(this.mutations).length === 0 && !this.customExploreFn) {
      throw new SchedulerOptionError("scheduler pbt: give hyperparamMutations (e.g. { lr: loguniform(1e-4, 1e-1) }) or customExploreFn");
    }
    if (this.quantileFraction > 0.5) throw new SchedulerOptionError(`scheduler pbt: quantileFraction must be in [0, 0.5] (got ${this.quantileFraction})`);
    const factors = options.perturbationFactors ?? [1.2, 0.8];
    if (!Array.isArray(factors) || factors.length === 0 || !factors.every((f) => typeof f === "number" && Number.isFinite(f))) {
      throw new SchedulerOptionError(`scheduler pbt: perturbationFactors must be a non-empty list of numbers (got ${JSON.stringify(factors)})`);
    }
    this.factors = factors as number[];
  }

  setup(ctx: SchedulerContext): void {
    this.objective = resolveObjective("pbt", this.options, ctx);
    this.rng = createRng(ctx.seed ^ 0x9b7);
    this.s = { trials: {}, nextSync: this.interval, rng: this.rng.state(), lines: [], actions: [], perturbations: 0 };
  }

  onTrialAdd(trial: TrialView): void {
    this.views.add(trial);
    this.s.trials[trial.id] ??= { score: undefined, lastPerturbationTime: 0, lastTrainTime: 0, lastIteration: 0 };
  }

  onTrialResult(trial: TrialView, result: Result): Decision {
    const time = numberAt(result, this.timeAttr);
    const value = numberAt(result, this.objective.metric);
    if (time === undefined || value === undefined) {
      const missing = time === undefined ? `time attribute "${this.timeAttr}"` : `metric "${this.objective.metric}"`;
      if (this.requireAttrs) {
        throw new SchedulerOptionError(`scheduler pbt: trial ${trial.id} reported a result without ${missing}; report it, or set pbt({ requireAttrs: false })`);
      }
      return "CONTINUE";
    }
    const st = this.state(trial.id);
    if (time < this.burnIn) return "CONTINUE";
    if (time - st.lastPerturbationTime < this.interval) return "CONTINUE";
    st.score = this.objective.sign * value;
    st.lastTrainTime = time;
    st.lastIteration = numberAt(result, "training_iteration") ?? trial.iteration;
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

  /** Bottom-quantile trials exploit a top-quantile donor that has a checkpoint. */
  private checkpointOrExploit(trial: TrialView, upper: TrialView[], lower: TrialView[]): Decision | undefined {
    if (!lower.includes(trial)) return undefined;
    const donors = upper.filter((t) => t.checkpointIteration !== undefined && t.id !== trial.id);
    if (donors.length === 0) return undefined;
    const donor = donors[this.rng.int(0, donors.length)] as TrialView;
    const { config, operations } = explore(donor.config, this.mutations, this.rng, {
      resampleProbability: this.resampleProbability, perturbationFactors: this.factors, customExploreFn: this.customExploreFn,
    });
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
