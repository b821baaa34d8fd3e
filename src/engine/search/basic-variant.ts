/**
 * Ray Tune's BasicVariantGenerator as a Searcher: random and grid search from
 * one lazy variant stream. It ignores results, so it never answers "wait".
 */
import type { Result, SearchContext, Searcher, Suggestion } from "../interfaces.ts";
import type { RngState } from "../random.ts";
import { countVariants, VariantStream, type VariantCursor } from "../space/variants.ts";
import type { BasicVariantOptions } from "./specs.ts";

interface SavedState {
  version: 1;
  seed: number;
  suggested: number;
  cursor: VariantCursor;
}

/** Thrown when a saved searcher state cannot be used to resume. */
export class SearcherStateError extends Error {
  override readonly name = "SearcherStateError";
}

export class BasicVariantSearcher implements Searcher {
  private stream: VariantStream | undefined;
  private seed = 0;
  private suggested = 0;
  private totalCount: number | undefined;
  private pending: SavedState | undefined;

  constructor(private readonly options: BasicVariantOptions = {}) {}

  setup(ctx: SearchContext): void {
    const points = this.options.pointsToEvaluate ?? [];
    this.seed = this.options.seed ?? ctx.seed;
    this.stream = new VariantStream(ctx.space, { samples: ctx.samples, seed: this.seed, points });
    this.totalCount = countVariants(ctx.space, ctx.samples, points);
    this.suggested = 0;
    // The runner may restore before or after setup; apply a state kept from before.
    if (this.pending) this.restore(this.pending);
  }

  suggest(_trialId: string): Suggestion {
    if (!this.stream) throw new Error("BasicVariantSearcher.suggest called before setup()");
    const config = this.stream.next();
    if (config === undefined) return "done";
    this.suggested += 1;
    return config;
  }

  onTrialResult(_trialId: string, _result: Result): void {}

  onTrialComplete(_trialId: string, _result: Result | undefined, _errored: boolean): void {}

  total(): number | undefined {
    return this.totalCount === Infinity ? undefined : this.totalCount;
  }

  save(): SavedState {
    if (!this.stream) throw new Error("BasicVariantSearcher.save called before setup()");
    return { version: 1, seed: this.seed, suggested: this.suggested, cursor: this.stream.cursor() };
  }

  restore(state: unknown): void {
    const saved = parseState(state);
    if (!this.stream) {
      this.pending = saved;
      return;
    }
    this.pending = undefined;
    this.seed = saved.seed;
    this.suggested = saved.suggested;
    this.stream.seek(saved.cursor);
  }

  /** Configs suggested so far (for logs and progress). */
  get suggestedCount(): number {
    return this.suggested;
  }
}

function parseState(state: unknown): SavedState {
  const s = state as Partial<SavedState> | null;
  const rng = s?.cursor?.rng as RngState | undefined;
  const ok = s !== null && typeof s === "object" && s.version === 1 && typeof s.seed === "number"
    && typeof s.suggested === "number" && Number.isInteger(s.cursor?.block) && Number.isInteger(s.cursor?.index)
    && Array.isArray(rng) && rng.length === 4 && rng.every((n) => Number.isInteger(n));
  if (!ok) throw new SearcherStateError(`basic_variant searcher state is not one this version saved: ${JSON.stringify(state)?.slice(0, 200)}`);
  return s as SavedState;
}
