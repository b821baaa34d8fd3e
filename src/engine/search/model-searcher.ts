/**
 * The shared skeleton of TPE, BayesOpt and BOHB: points to evaluate first,
 * then `propose()` from the history; `samples` suggestions, then "done".
 * Everything a next suggestion depends on (Rng state, history, count) is in
 * save(), so a restored searcher suggests exactly what the original would have.
 */
import type { Mode } from "../config.ts";
import type { Result, SearchContext, Searcher, Suggestion, TrialConfig } from "../interfaces.ts";
import { createRng, type Rng } from "../random.ts";
import type { Space } from "../space/domains.ts";
import { SearcherStateError } from "./basic-variant.ts";
import { History, isModelState, requireObjective, type ModelState } from "./history.ts";
import { buildConfig, randomChooser, type Built } from "./params.ts";

export abstract class ModelSearcher implements Searcher {
  protected space: Space = {};
  protected rng: Rng = createRng(0);
  protected history = new History("", "min");
  protected samples = 0;
  protected metric = "";
  protected mode: Mode = "min";
  private suggested = 0;
  private ready = false;
  private pending: ModelState | undefined;

  constructor(
    protected readonly kind: string,
    private readonly seed: number | undefined,
    private readonly points: readonly TrialConfig[] = [],
  ) {}

  /** The next config from the model (or the prior, while the history is short). */
  protected abstract propose(): Built;

  /** State of the model beyond the history (e.g. warm-start hyperparameters), JSON as is. */
  protected saveModel(): unknown {
    return null;
  }

  protected restoreModel(_state: unknown): void {}

  setup(ctx: SearchContext): void {
    const objective = requireObjective(this.kind, ctx);
    this.metric = objective.metric;
    this.mode = objective.mode;
    this.space = ctx.space;
    this.samples = ctx.samples;
    this.rng = createRng(this.seed ?? ctx.seed);
    this.history = new History(this.metric, this.mode);
    this.suggested = 0;
    this.restoreModel(null);
    this.ready = true;
    // The runner may restore before or after setup; apply a state kept from before.
    if (this.pending) this.restore(this.pending);
  }

  suggest(trialId: string): Suggestion {
    if (!this.ready) throw new Error(`${this.kind} searcher: suggest called before setup()`);
    if (this.suggested >= this.samples) return "done";
    const point = this.points[this.suggested];
    const built = point !== undefined ? buildConfig(this.space, randomChooser(this.rng), this.rng, point) : this.propose();
    this.suggested += 1;
    this.history.add(trialId, built.obs);
    return built.config;
  }

  onTrialResult(trialId: string, result: Result): void {
    this.history.result(trialId, result);
  }

  onTrialComplete(trialId: string, result: Result | undefined, errored: boolean): void {
    this.history.complete(trialId, result, errored);
  }

  total(): number | undefined {
    return this.samples;
  }

  save(): ModelState {
    return { version: 1, kind: this.kind, rng: this.rng.state(), suggested: this.suggested, trials: this.history.save(), model: this.saveModel() };
  }

  restore(state: unknown): void {
    if (!isModelState(state, this.kind)) {
      throw new SearcherStateError(`${this.kind} searcher state is not one this version saved: ${JSON.stringify(state)?.slice(0, 200)}`);
    }
    if (!this.ready) {
      this.pending = state;
      return;
    }
    this.pending = undefined;
    this.rng = createRng(state.rng);
    this.suggested = state.suggested;
    this.history.load(state.trials);
    this.restoreModel(state.model ?? null);
  }

  /** Trials suggested so far. */
  get suggestedCount(): number {
    return this.suggested;
  }
}
