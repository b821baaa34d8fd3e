/**
 * Searchers that model results need to know what to optimise: Ray Tune raises
 * at start-up when they get no metric and mode, and so do we, but while the
 * config is being written. (Schedulers have the same rule in
 * schedulers/validate.ts.)
 */
import { DiagnosticSink, isDynamic, type Diagnostic } from "./diagnostics.ts";
import { isPlainObject } from "./variants.ts";
import { searcherKinds } from "../search/index.ts";

/** Searchers that sample without looking at results (Ray's BasicVariantGenerator). */
export const OBJECTIVE_FREE_SEARCHERS: readonly string[] = ["basic_variant"];

/** A `search:` kind that models results, with neither a top-level nor its own metric and mode. */
export function validateObjective(config: unknown): Diagnostic[] {
  const sink = new DiagnosticSink();
  if (!isPlainObject(config) || isDynamic(config)) return sink.items;
  // A mode without a metric (or the reverse) is already reported by validateConfig.
  if (config.metric !== undefined || config.mode !== undefined) return sink.items;
  const kind = modelling(config.search);
  if (kind === undefined) return sink.items;
  sink.error(["search"], "objective-missing",
    `search "${kind}" learns from results, so it needs metric and mode: add metric: "<a reported value>" and mode: "min" or "max"`,
    { kind });
  return sink.items;
}

/** The kind of the searcher that needs an objective, looking through wrappers (`limitConcurrency`, `repeat`). */
function modelling(spec: unknown): string | undefined {
  if (!isPlainObject(spec) || isDynamic(spec) || typeof spec.kind !== "string") return undefined;
  if (spec.metric !== undefined || spec.mode !== undefined) return undefined; // Ray also accepts them on the searcher itself
  if (spec.searcher !== undefined) return modelling(spec.searcher);
  // An unknown kind is reported as such by validateConfig; guessing what it needs would only add noise.
  if (OBJECTIVE_FREE_SEARCHERS.includes(spec.kind) || !searcherKinds().includes(spec.kind)) return undefined;
  return spec.kind;
}
