/** Search-algorithm specs as plain data, for `search:` in tune.config.ts. */
import type { SearchSpec } from "../config.ts";
import type { TrialConfig } from "../interfaces.ts";

/** Ray's BasicVariantGenerator: random sampling and grid expansion, one generator. */
export interface BasicVariantSpec extends SearchSpec {
  kind: "basic_variant";
  seed?: number;
  /** Configs to run first; keys they leave out are sampled from the space. */
  pointsToEvaluate?: TrialConfig[];
}

export interface BasicVariantOptions {
  seed?: number;
  pointsToEvaluate?: TrialConfig[];
}

function basicVariant(opts: BasicVariantOptions): BasicVariantSpec {
  return {
    kind: "basic_variant",
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.pointsToEvaluate !== undefined ? { pointsToEvaluate: opts.pointsToEvaluate } : {}),
  };
}

/** Random search: sample the space `samples` times (grids in the space still expand, as in Ray). */
export const randomSearch = (opts: BasicVariantOptions = {}): BasicVariantSpec => basicVariant(opts);

/** Grid search: every combination of the `grid(...)` values, × `samples`. Same generator as randomSearch. */
export const gridSearch = (opts: BasicVariantOptions = {}): BasicVariantSpec => basicVariant(opts);
