/** Searcher registry: turns a `search:` spec into a Searcher. */
import type { SearchSpec } from "../config.ts";
import type { Searcher, TrialConfig } from "../interfaces.ts";
import { levenshtein } from "../space/diagnostics.ts";
import { BasicVariantSearcher } from "./basic-variant.ts";
import { BayesOptSearcher } from "./bayesopt.ts";
import { BohbSearcher } from "./bohb.ts";
import { ConcurrencyLimiter } from "./concurrency-limiter.ts";
import { Repeater } from "./repeater.ts";
import type { BayesOptOptions, BohbOptions, TpeOptions } from "./specs.ts";
import { TpeSearcher } from "./tpe.ts";

/** A `search:` spec the engine cannot build; the message names the kind and what is known. */
export class SearchSpecError extends Error {
  override readonly name = "SearchSpecError";
}

const factories: Record<string, (spec: SearchSpec) => Searcher> = {
  basic_variant: (spec) => new BasicVariantSearcher({
    ...(typeof spec.seed === "number" ? { seed: spec.seed } : {}),
    ...(Array.isArray(spec.pointsToEvaluate) ? { pointsToEvaluate: spec.pointsToEvaluate as TrialConfig[] } : {}),
  }),
  tpe: (spec) => new TpeSearcher(options<TpeOptions>(spec)),
  bayesopt: (spec) => new BayesOptSearcher(options<BayesOptOptions>(spec)),
  bohb: (spec) => new BohbSearcher(options<BohbOptions>(spec)),
  concurrency_limiter: (spec) => new ConcurrencyLimiter(createSearcher(inner(spec)), {
    maxConcurrent: spec.maxConcurrent as number,
    ...(typeof spec.batch === "boolean" ? { batch: spec.batch } : {}),
  }),
  repeater: (spec) => new Repeater(createSearcher(inner(spec)), {
    repeat: spec.repeat as number,
    ...(typeof spec.setIndex === "boolean" ? { setIndex: spec.setIndex } : {}),
  }),
};

/** A spec's options without its kind (the spec constructors already gave them their shape). */
function options<T>(spec: SearchSpec): T {
  const { kind: _kind, ...rest } = spec;
  return rest as T;
}

/** The searcher a wrapper spec wraps; a missing one is a config error that names the wrapper. */
function inner(spec: SearchSpec): SearchSpec {
  const wrapped = spec.searcher as SearchSpec | undefined;
  if (typeof wrapped !== "object" || wrapped === null || typeof wrapped.kind !== "string") {
    throw new SearchSpecError(`search: ${spec.kind} needs the searcher it wraps, e.g. limitConcurrency(tpe(), { maxConcurrent: 4 })`);
  }
  return wrapped;
}

/** Search kinds createSearcher knows (the validator reports others). */
export function searcherKinds(): string[] {
  return Object.keys(factories);
}

/** The searcher for `spec`; no spec means random/grid search (BasicVariantGenerator) as in Ray. */
export function createSearcher(spec: SearchSpec | undefined): Searcher {
  if (spec === undefined) return new BasicVariantSearcher();
  const factory = factories[spec.kind];
  if (!factory) {
    const known = searcherKinds();
    const near = known.find((k) => levenshtein(k, String(spec.kind)) <= 3);
    throw new SearchSpecError(
      `search: unknown kind "${String(spec.kind)}"${near ? ` (did you mean "${near}"?)` : ""}; known kinds: ${known.join(", ")}`,
    );
  }
  return factory(spec);
}

export { BasicVariantSearcher } from "./basic-variant.ts";
export { TpeSearcher } from "./tpe.ts";
export { BayesOptSearcher } from "./bayesopt.ts";
export { BohbSearcher } from "./bohb.ts";
export { ConcurrencyLimiter } from "./concurrency-limiter.ts";
export { Repeater, TRIAL_INDEX } from "./repeater.ts";
export { SearcherOptionError } from "./history.ts";
export {
  randomSearch, gridSearch, tpe, bayesopt, bohb, limitConcurrency, repeat,
  type BasicVariantSpec, type TpeSpec, type TpeOptions, type BayesOptSpec, type BayesOptOptions, type UtilitySpec,
  type BohbSpec, type BohbOptions, type ConcurrencyLimiterSpec, type ConcurrencyLimiterOptions, type RepeaterSpec, type RepeaterOptions,
} from "./specs.ts";
