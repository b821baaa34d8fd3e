/**
 * Synchronous HyperBand (Ray's HyperBandScheduler). Trials fill brackets; a
 * trial PAUSEs at its rung's budget; when every live trial of the bracket has
 * reached it, the top 1/eta are resumed from their checkpoints (through
 * chooseTrialToRun) and the rest are stopped (takeActions, as they are paused).
 * Errored and early-finished trials leave their bracket, which is then
 * re-examined, so a bracket never waits for a trial that will not come back.
 */
import type { Decision, Result, Scheduler, SchedulerContext, TrialView } from "../interfaces.ts";
import {
  booleanOption, checkKeys, numberAt, positiveOption, resolveObjective, SchedulerOptionError, stringOption, TrialIndex,
  type Objective,
} from "./common.ts";
import {
  addTrial, completionPercentage, continueTrial, curIterDone, filled, finished, liveEntry, newBracket, removeTrial,
  successiveHalving, updateStats, type Bracket,
} from "./hyperband-bracket.ts";

export const HYPERBAND_OPTIONS = ["timeAttr", "metric", "mode", "maxT", "reductionFactor", "stopLastTrials"];

interface HyperBandState {
  brackets: Bracket[];
  /** Each band lists its brackets' indices into `brackets` (null: bracket too small to exist). */
  bands: (number | null)[][];
  current: number | null;
  trialBracket: Record<string, number>;
  stopped: string[];
  actions: { trialId: string; decision: Decision }[];
}

export class HyperBandScheduler implements Scheduler {
  protected readonly kind: string;
  protected readonly timeAttr: string;
  protected readonly maxT: number;
  protected readonly eta: number;
  protected readonly stopLastTrials: boolean;
  protected readonly sMax1: number;
  protected objective!: Objective;
  protected readonly trials = new TrialIndex();
  /** chooseTrialToRun found nothing while nothing ran; reset when a trial is added. */
  private idleAsked = false;
  protected s: HyperBandState = { brackets: [], bands: [[]], current: null, trialBracket: {}, stopped: [], actions: [] };

  constructor(protected readonly options: Readonly<Record<string, unknown>> = {}, kind = "hyperband") {
    this.kind = kind;
    checkKeys(kind, options, HYPERBAND_OPTIONS);
    this.timeAttr = stringOption(kind, options, "timeAttr", "training_iteration");
    this.maxT = positiveOption(kind, options, "maxT", 81);
    this.eta = positiveOption(kind, options, "reductionFactor", 3);
    this.stopLastTrials = booleanOption(kind, options, "stopLastTrials", true);
    if (this.eta <= 1) throw new SchedulerOptionError(`scheduler ${kind}: reductionFactor must be > 1 (got ${this.eta})`);
    this.sMax1 = Math.round(Math.log(this.maxT) / Math.log(this.eta)) + 1;
  }

  setup(ctx: SchedulerContext): void {
    this.objective = resolveObjective(this.kind, this.options, ctx);
  }

  /** Bracket s of a band: n0 trials starting at budget r0. */
  private n0 = (s: number): number => Math.ceil((this.sMax1 / (s + 1)) * this.eta ** s);
  private r0 = (s: number): number => Math.floor(this.maxT * this.eta ** -s + 1e-9);

  /** Which bracket a new band slot gets: Ray's HyperBand fills the most exploratory bracket last. */
  protected nextS(bandSize: number): number {
    return bandSize;
  }

  onTrialAdd(trial: TrialView): void {
    this.idleAsked = false;
    this.trials.add(trial);
    if (trial.id in this.s.trialBracket) return; // re-added after a restore
    const s = this.s;
    const current = s.current === null ? undefined : s.brackets[s.current];
    if (!current || filled(current)) {
      for (;;) {
        let band = s.bands[s.bands.length - 1] as (number | null)[];
        if (band.length >= this.sMax1) s.bands.push((band = []));
        const si = this.nextS(band.length);
        if (this.r0(si) === 0) {
          band.push(null);
          continue;
        }
        s.brackets.push(newBracket(this.n0(si), this.r0(si), this.maxT, this.eta, si, this.stopLastTrials));
        s.current = s.brackets.length - 1;
        band.push(s.current);
        break;
      }
    }
    addTrial(s.brackets[s.current as number] as Bracket, trial.id);
    s.trialBracket[trial.id] = s.current as number;
  }

  onTrialResult(trial: TrialView, result: Result): Decision {
    const bracket = this.bracketOf(trial.id);
    if (!bracket || !liveEntry(bracket, trial.id)) return this.s.stopped.includes(trial.id) ? "STOP" : "CONTINUE";
    const t = numberAt(result, this.timeAttr);
    if (t === undefined) return "CONTINUE";
    const score = numberAt(result, this.objective.metric);
    updateStats(bracket, trial.id, t, score === undefined ? undefined : this.objective.sign * score);
    if (continueTrial(bracket, trial.id)) return "CONTINUE";
    return this.onRungReached(bracket, trial, result);
  }

  /**
   * The trial reached its rung's budget. A bracket halves only once full: Ray creates all trials
   * up front, while the runner creates them as slots free up, so an unfilled bracket waits for
   * its last members (or, when none are coming, settleIdleBrackets settles it).
   */
  protected onRungReached(bracket: Bracket, trial: TrialView, _result: Result): Decision {
    if (!filled(bracket)) return "PAUSE";
    return this.processBracket(bracket, trial.id);
  }

  protected bracketOf(id: string): Bracket | undefined {
    const idx = this.s.trialBracket[id];
    return idx === undefined ? undefined : this.s.brackets[idx];
  }

  /**
   * When the rung is complete: halve, returning the reporter's decision and queueing the others'.
   * Until then the reporter PAUSEs.
   */
  protected processBracket(bracket: Bracket, reporter: string | undefined): Decision {
    if (bracket.live.length === 0 || !curIterDone(bracket)) return "PAUSE";
    if (finished(bracket)) {
      for (const t of [...bracket.live]) this.stopTrial(bracket, t.id, reporter);
      return "STOP";
    }
    let decision: Decision = "PAUSE";
    const { good, bad } = successiveHalving(bracket);
    for (const id of bad) {
      if (id === reporter) decision = "STOP";
      this.stopTrial(bracket, id, reporter);
    }
    for (const id of good) {
      if (!continueTrial(bracket, id)) continue;
      if (id === reporter) decision = "CONTINUE";
      else if (!bracket.toUnpause.includes(id)) {
        bracket.toUnpause.push(id);
        this.onUnpause(id);
      }
    }
    return decision;
  }

  /** Hook for HyperBandForBOHB. */
  protected onUnpause(_id: string): void {}

  private stopTrial(bracket: Bracket, id: string, reporter: string | undefined): void {
    removeTrial(bracket, id);
    if (!this.s.stopped.includes(id)) this.s.stopped.push(id);
    if (id !== reporter) this.queue(id, "STOP");
  }

  private queue(trialId: string, decision: Decision): void {
    if (!this.s.actions.some((a) => a.trialId === trialId && a.decision === decision)) this.s.actions.push({ trialId, decision });
  }

  onTrialComplete(trial: TrialView): void {
    this.onTrialRemove(trial);
  }

  onTrialError(trial: TrialView): void {
    this.onTrialRemove(trial);
  }

  /** The trial left its bracket (done early, errored, stopped): the others must not wait for it. */
  onTrialRemove(trial: TrialView): void {
    const bracket = this.bracketOf(trial.id);
    if (!bracket || !liveEntry(bracket, trial.id)) return;
    removeTrial(bracket, trial.id);
    if (filled(bracket)) this.processBracket(bracket, undefined);
  }

  chooseTrialToRun(candidates: readonly TrialView[]): TrialView | null {
    const byId = new Map(candidates.map((c) => [c.id, c]));
    // A trial we stopped may have paused anyway (its stop raced a pause): ask again.
    for (const c of candidates) if (c.status === "PAUSED" && this.s.stopped.includes(c.id)) this.queue(c.id, "STOP");
    const pick = (): TrialView | null => {
      for (const band of this.s.bands) {
        for (const b of this.orderBrackets(band)) {
          for (const t of b.live) {
            const c = byId.get(t.id);
            if (c && (c.status === "PENDING" || (c.status === "PAUSED" && b.toUnpause.includes(t.id)))) return c;
          }
        }
      }
      return null;
    };
    const chosen = pick();
    if (chosen) return chosen;
    this.settleIdleBrackets(byId);
    return pick() ?? candidates.find((c) => c.status === "PENDING" && !(c.id in this.s.trialBracket)) ?? null;
  }

  /**
   * A full bracket's rung can complete without a result arriving (a pause that raced, a trial that
   * left): settle it. An unfilled bracket is settled only when the experiment is idle twice in a
   * row: nothing runs, and the searcher (asked in between by the runner) gave no trial to fill it.
   */
  protected settleIdleBrackets(byId: ReadonlyMap<string, TrialView>): void {
    const anyRunning = this.trials.anyWithStatus("RUNNING");
    const secondIdleCall = !anyRunning && this.idleAsked;
    this.idleAsked = !anyRunning && !secondIdleCall;
    for (const b of this.s.brackets) {
      const paused = b.live.some((t) => byId.get(t.id)?.status === "PAUSED");
      const idle = b.live.every((t) => this.trials.get(t.id)?.status !== "RUNNING");
      if (paused && idle && (filled(b) || secondIdleCall)) this.processBracket(b, undefined);
    }
  }

  protected orderBrackets(band: readonly (number | null)[]): Bracket[] {
    const brackets = band.filter((i): i is number => i !== null).map((i) => this.s.brackets[i] as Bracket);
    return brackets.sort((a, b) => completionPercentage(a) - completionPercentage(b));
  }

  takeActions(): readonly { trialId: string; decision: Decision }[] {
    const out = this.s.actions;
    this.s.actions = [];
    return out;
  }

  save(): HyperBandState {
    return this.s;
  }

  restore(state: unknown): void {
    this.s = structuredClone(state as HyperBandState);
  }
}
