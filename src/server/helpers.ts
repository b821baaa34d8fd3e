/**
 * The public helpers a tune.config.ts calls, mirrored as pure functions over
 * statically evaluated arguments. Each mirrors its engine counterpart exactly
 * (defaults included: src/engine/space/domains.ts, stoppers/specs.ts,
 * search/specs.ts, schedulers/specs.ts); a helper not listed here evaluates to
 * DYNAMIC, so a new searcher or scheduler constructor is never guessed at.
 */
import { DYNAMIC, isDynamic } from "../engine/space/diagnostics.ts";
import { isPlainObject } from "../engine/space/variants.ts";

export type HelperKind = "config" | "domain" | "stopper" | "search" | "scheduler";

export interface Helper {
  kind: HelperKind;
  /**
   * What each positional argument becomes in the result: a field name (its
   * source range is recorded at `path + field`), or "options" for an options
   * object whose keys are the result's keys (recorded at `path` itself).
   */
  params: readonly string[];
  build(args: readonly unknown[]): unknown;
}

const orDefault = (v: unknown, fallback: unknown): unknown => (v === undefined ? fallback : v);

function domain(tag: string, fields: readonly string[], defaults: Readonly<Record<string, unknown>> = {}): Helper {
  return {
    kind: "domain",
    params: fields,
    build: (args) => {
      const out: Record<string, unknown> = { __tunelab: tag };
      fields.forEach((field, i) => { out[field] = orDefault(args[i], defaults[field]); });
      return out;
    },
  };
}

function stopper(tag: string, field: string): Helper {
  return { kind: "stopper", params: [field], build: (args) => ({ __stopper: tag, [field]: args[0] }) };
}

/** `??` as the engine writes it; a DYNAMIC value is not nullish, so it stays DYNAMIC. */
const coalesce = (v: unknown, fallback: unknown): unknown => (v === undefined || v === null ? fallback : v);

function basicVariant(args: readonly unknown[]): unknown {
  const opts = args[0] === undefined ? {} : args[0];
  if (!isPlainObject(opts) || isDynamic(opts)) return DYNAMIC;
  return {
    kind: "basic_variant",
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.pointsToEvaluate !== undefined ? { pointsToEvaluate: opts.pointsToEvaluate } : {}),
  };
}

/** `kind(opts = {})` → `{ kind, ...opts }`, as every scheduler constructor in schedulers/specs.ts is written. */
function spread(kind: string, helperKind: HelperKind): Helper {
  return {
    kind: helperKind,
    params: ["options"],
    build: ([opts]) => {
      const o = opts === undefined ? {} : opts;
      return isPlainObject(o) && !isDynamic(o) ? { kind, ...o } : DYNAMIC;
    },
  };
}

export const HELPERS: Readonly<Record<string, Helper>> = {
  defineConfig: { kind: "config", params: ["options"], build: (args) => args[0] },
  uniform: domain("uniform", ["lower", "upper"]),
  quniform: domain("quniform", ["lower", "upper", "q"]),
  loguniform: domain("loguniform", ["lower", "upper", "base"], { base: 10 }),
  qloguniform: domain("qloguniform", ["lower", "upper", "q", "base"], { base: 10 }),
  randn: domain("randn", ["mean", "sd"], { mean: 0, sd: 1 }),
  qrandn: domain("qrandn", ["mean", "sd", "q"]),
  randint: domain("randint", ["lower", "upper"]),
  qrandint: domain("qrandint", ["lower", "upper", "q"], { q: 1 }),
  lograndint: domain("lograndint", ["lower", "upper", "base"], { base: 10 }),
  choice: domain("choice", ["categories"]),
  grid: domain("grid", ["values"]),
  // The function itself is opaque to the server: only its presence is known.
  sampleFrom: { kind: "domain", params: ["fn"], build: (args) => ({ __tunelab: "sample_from", fn: args[0] }) },
  maxIterations: stopper("max_iter", "maxIter"),
  trialTimeout: stopper("trial_timeout", "seconds"),
  experimentTimeout: stopper("experiment_timeout", "seconds"),
  plateau: {
    kind: "stopper",
    params: ["options"],
    build: ([o]) => {
      if (!isPlainObject(o) || isDynamic(o)) return DYNAMIC;
      return {
        __stopper: "plateau",
        metric: o.metric,
        std: coalesce(o.std, 0.01),
        numResults: coalesce(o.numResults, 4),
        gracePeriod: coalesce(o.gracePeriod, 4),
        ...(o.metricThreshold !== undefined ? { metricThreshold: o.metricThreshold } : {}),
        ...(o.mode !== undefined ? { mode: o.mode } : {}),
      };
    },
  },
  stopWhen: { kind: "stopper", params: ["fn"], build: (args) => ({ __stopper: "function", fn: args[0] }) },
  randomSearch: { kind: "search", params: ["options"], build: basicVariant },
  gridSearch: { kind: "search", params: ["options"], build: basicVariant },
  fifo: { kind: "scheduler", params: [], build: () => ({ kind: "fifo" }) },
  asha: spread("asha", "scheduler"),
  hyperband: spread("hyperband", "scheduler"),
  hyperbandForBohb: spread("hyperband_for_bohb", "scheduler"),
  medianStopping: spread("median_stopping", "scheduler"),
  pbt: spread("pbt", "scheduler"),
  pb2: spread("pb2", "scheduler"),
  pbtReplay: spread("pbt_replay", "scheduler"),
  resourceChanging: {
    kind: "scheduler",
    // The base scheduler's range is recorded at path + "base"; the options object's keys at path.
    params: ["base", "options"],
    build: ([base, opts]) => {
      const o = opts === undefined ? {} : opts;
      if (!isPlainObject(o) || isDynamic(o)) return DYNAMIC;
      return { kind: "resource_changing", base: base === undefined ? { kind: "fifo" } : base, ...o };
    },
  },
};

/** Names of the distribution helpers, in the order completion offers them. */
export const DOMAIN_HELPERS = Object.keys(HELPERS).filter((name) => HELPERS[name]?.kind === "domain");
