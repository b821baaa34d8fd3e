/**
 * Ray's ConcurrencyLimiter: at most `maxConcurrent` live trials from the
 * wrapped searcher; "wait" otherwise. With `batch`, the wrapped searcher
 * hears of finished trials only once the whole batch has finished, so it
 * suggests the next batch from complete information.
 */
import type { Result, SearchContext, Searcher, Suggestion } from "../interfaces.ts";
import { SearcherStateError } from "./basic-variant.ts";
import type { ConcurrencyLimiterOptions } from "./specs.ts";

interface SavedLimiter {
  version: 1;
  kind: "concurrency_limiter";
  inner: unknown;
  live: string[];
  cached: [string, Result | null, boolean][];
}

export class ConcurrencyLimiter implements Searcher {
  private live = new Set<string>();
  private cached = new Map<string, [Result | undefined, boolean]>();
  private readonly batch: boolean;

  constructor(private readonly inner: Searcher, private readonly options: ConcurrencyLimiterOptions) {
    if (!Number.isInteger(options.maxConcurrent) || options.maxConcurrent < 1) {
      throw new RangeError(`search: limitConcurrency needs maxConcurrent to be a whole number ≥ 1 (got ${String(options.maxConcurrent)})`);
    }
    this.batch = options.batch ?? false;
  }

  setup(ctx: SearchContext): void {
    this.inner.setup(ctx);
  }

  suggest(trialId: string): Suggestion {
    if (this.live.size >= this.options.maxConcurrent) return "wait";
    const next = this.inner.suggest(trialId);
    if (next !== "wait" && next !== "done") this.live.add(trialId);
    return next;
  }

  onTrialResult(trialId: string, result: Result): void {
    if (this.live.has(trialId)) this.inner.onTrialResult(trialId, result);
  }

  onTrialComplete(trialId: string, result: Result | undefined, errored: boolean): void {
    if (!this.live.has(trialId)) return;
    if (!this.batch) {
      this.inner.onTrialComplete(trialId, result, errored);
      this.live.delete(trialId);
      return;
    }
    this.cached.set(trialId, [result, errored]);
    if (this.cached.size < this.options.maxConcurrent) return;
    for (const [id, [r, e]] of this.cached) {
      this.inner.onTrialComplete(id, r, e);
      this.live.delete(id);
    }
    this.cached.clear();
  }

  total(): number | undefined {
    return this.inner.total();
  }

  save(): SavedLimiter {
    return {
      version: 1, kind: "concurrency_limiter", inner: this.inner.save(), live: [...this.live],
      cached: [...this.cached].map(([id, [r, e]]) => [id, r ?? null, e]),
    };
  }

  restore(state: unknown): void {
    const s = state as Partial<SavedLimiter> | null;
    if (s === null || typeof s !== "object" || s.version !== 1 || s.kind !== "concurrency_limiter" || !Array.isArray(s.live) || !Array.isArray(s.cached)) {
      throw new SearcherStateError(`concurrency_limiter state is not one this version saved: ${JSON.stringify(state)?.slice(0, 200)}`);
    }
    this.inner.restore(s.inner);
    this.live = new Set(s.live);
    this.cached = new Map(s.cached.map(([id, r, e]) => [id, [r ?? undefined, e]]));
  }
}
