/**
 * HyperBandForBOHB (Ray's hb_bohb.py): HyperBand as the BOHB searcher needs it.
 * Differences from HyperBand: the most exploratory bracket (smallest budget)
 * is filled first; a trial at its rung PAUSEs until every other trial of
 * its (full) bracket is paused; the rung budget is written to the result as
 * `hyperband_info.budget`, which the BOHB searcher reads (it sees the same
 * result after the scheduler); brackets are served in band order.
 */
import type { Decision, Result, TrialView } from "../interfaces.ts";
import { HyperBandScheduler } from "./hyperband.ts";
import { filled, type Bracket } from "./hyperband-bracket.ts";

export class HyperBandForBohbScheduler extends HyperBandScheduler {
  constructor(options: Readonly<Record<string, unknown>> = {}) {
    super(options, "hyperbandForBohb");
  }

  protected override nextS(bandSize: number): number {
    return this.sMax1 - bandSize - 1;
  }

  override onTrialResult(trial: TrialView, result: Result): Decision {
    (result as Record<string, unknown>).hyperband_info = {};
    return super.onTrialResult(trial, result);
  }

  protected override onRungReached(bracket: Bracket, trial: TrialView, result: Result): Decision {
    (result as Record<string, unknown>).hyperband_info = { budget: bracket.cumulR };
    const othersWaiting = bracket.live.every((t) => t.id === trial.id || this.trials.get(t.id)?.status === "PAUSED");
    if (!filled(bracket) || !othersWaiting) return "PAUSE";
    return this.processBracket(bracket, trial.id);
  }

  protected override orderBrackets(band: readonly (number | null)[]): Bracket[] {
    return band.filter((i): i is number => i !== null).map((i) => this.s.brackets[i] as Bracket);
  }
}
