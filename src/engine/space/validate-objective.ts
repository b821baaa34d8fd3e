/**
 * Searchers and schedulers that compare trials need to know what to compare:
 * Ray Tune raises at start-up when they get no metric and mode, and so do we,
 * but while the config is being written.
 */
import { DiagnosticSink, isDynamic, type Diagnostic } from "./diagnostics.ts";
import { isPlainObject } from "./variants.ts";

/** Kinds that run every trial to its end without ranking (Ray's BasicVariantGenerator, FIFOScheduler). */
export const OBJECTIVE_FREE_KINDS: readonly string[] = ["basic_variant", "fifo"];

/** A `search:` or `scheduler:` kind that ranks trials, with neither a top-level nor its own metric and mode. */
export function validateObjective(config: unknown): Diagnostic[] {
  const sink = new DiagnosticSink();
  if (!isPlainObject(config) || isDynamic(config)) return sink.items;
  // A mode without a metric (or the reverse) is already reported by validateConfig.
  if (config.metric !== undefined || config.mode !== undefined) return sink.items;
  for (const section of ["search", "scheduler"] as const) {
    const spec = config[section];
    if (!isPlainObject(spec) || isDynamic(spec) || typeof spec.kind !== "string") continue;
    if (OBJECTIVE_FREE_KINDS.includes(spec.kind)) continue;
    if (spec.metric !== undefined || spec.mode !== undefined) continue; // Ray also accepts them on the spec itself
    sink.error([section], "objective-missing",
      `${section} "${spec.kind}" ranks trials, so it needs metric and mode: add metric: "<a reported value>" and mode: "min" or "max"`,
      { kind: spec.kind });
  }
  return sink.items;
}
