/** Searcher registry: turns a `search:` spec into a Searcher. */
import type { SearchSpec } from "../config.ts";
import type { Searcher, TrialConfig } from "../interfaces.ts";
import { levenshtein } from "../space/diagnostics.ts";
import { BasicVariantSearcher } from "./basic-variant.ts";

/** A `search:` spec the engine cannot build; the message names the kind and what is known. */
export class SearchSpecError extends Error {
  override readonly name = "SearchSpecError";
}

const factories: Record<string, (spec: SearchSpec) => Searcher> = {
  basic_variant: (spec) => new BasicVariantSearcher({
    ...(typeof spec.seed === "number" ? { seed: spec.seed } : {}),
    ...(Array.isArray(spec.pointsToEvaluate) ? { pointsToEvaluate: spec.pointsToEvaluate as TrialConfig[] } : {}),
  }),
};

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
export { randomSearch, gridSearch, type BasicVariantSpec } from "./specs.ts";
