/**
 * Validation rules for `scheduler:` specs, shared by the runner and the
 * language server. Values the server could not evaluate arrive as DYNAMIC and
 * are skipped. Paths start at ["scheduler", ...].
 */
import { DiagnosticSink, didYouMean, isDynamic, type Diagnostic } from "../space/diagnostics.ts";
import { isDomain } from "../space/domains.ts";
import { isPlainObject } from "../space/variants.ts";
import { ASHA_OPTIONS } from "./asha.ts";
import { HYPERBAND_OPTIONS } from "./hyperband.ts";
import { MEDIAN_OPTIONS } from "./median-stopping.ts";
import { PB2_OPTIONS } from "./pb2.ts";
import { PBT_OPTIONS } from "./pbt.ts";

export interface SchedulerValidationContext {
  /** Every key path of the search space (["lr"], ["model", "width"]), to check PBT's mutation keys. */
  spaceKeys?: string[][];
  /** The space itself, to check that factor-perturbed keys are numeric there. */
  space?: unknown;
  metric?: unknown;
  mode?: unknown;
}

type Path = (string | number)[];

const KEYS: Record<string, readonly string[]> = {
  fifo: [],
  asha: ASHA_OPTIONS,
  hyperband: HYPERBAND_OPTIONS,
  hyperband_for_bohb: HYPERBAND_OPTIONS,
  median_stopping: MEDIAN_OPTIONS,
  pbt: PBT_OPTIONS,
  pb2: PB2_OPTIONS,
  pbt_replay: ["policyFile"],
  resource_changing: ["base", "allocationFunction", "capacity", "metric", "mode"],
};
const NEEDS_OBJECTIVE = new Set(["asha", "hyperband", "hyperband_for_bohb", "median_stopping", "pbt", "pb2"]);
const NUMERIC_DOMAINS = new Set(["uniform", "quniform", "loguniform", "qloguniform", "randn", "qrandn", "randint", "qrandint", "lograndint"]);

/** Every problem in a `scheduler:` spec. */
export function validateScheduler(spec: unknown, ctx: SchedulerValidationContext = {}, path: Path = ["scheduler"]): Diagnostic[] {
  const sink = new DiagnosticSink();
  if (spec === undefined || isDynamic(spec)) return [];
  if (!isPlainObject(spec) || typeof spec.kind !== "string") {
    sink.error(path, "scheduler-invalid", "scheduler must be a spec with a kind, e.g. asha({ maxT: 100 })");
    return sink.items;
  }
  const kind = spec.kind;
  const known = KEYS[kind];
  if (!known) {
    const near = didYouMean(kind, Object.keys(KEYS));
    sink.error([...path, "kind"], "scheduler-unknown-kind", `unknown scheduler kind "${kind}"${near ? ` (did you mean "${near}"?)` : ""}`,
      near ? { suggestion: near } : undefined);
    return sink.items;
  }
  for (const key of Object.keys(spec)) {
    if (key === "kind" || known.includes(key)) continue;
    const near = didYouMean(key, known);
    sink.error([...path, key], "scheduler-unknown-option", `${kind} has no option "${key}"${near ? ` (did you mean "${near}"?)` : ""}`,
      near ? { suggestion: near } : undefined);
  }
  const num = (key: string): number | undefined => (typeof spec[key] === "number" ? (spec[key] as number) : undefined);
  const at = (key: string): Path => [...path, key];
  for (const key of ["maxT", "gracePeriod", "reductionFactor", "brackets", "perturbationInterval", "burnInPeriod", "minSamplesRequired", "minTimeSliceS", "quantileFraction", "resampleProbability"]) {
    const v = spec[key];
    if (v !== undefined && !isDynamic(v) && (typeof v !== "number" || !Number.isFinite(v))) {
      sink.error(at(key), "scheduler-option-type", `${key} must be a number (got ${JSON.stringify(v)})`);
    }
  }
  if (NEEDS_OBJECTIVE.has(kind)) objective(spec, ctx, path, kind, sink);

  const maxT = num("maxT");
  const grace = num("gracePeriod");
  if (maxT !== undefined && maxT <= 0) sink.error(at("maxT"), "scheduler-max-t", `maxT must be > 0 (got ${maxT})`);
  if (kind === "asha" && grace !== undefined && grace <= 0) sink.error(at("gracePeriod"), "scheduler-grace-period", `gracePeriod must be > 0 (got ${grace})`);
  if (kind === "asha" && grace !== undefined && grace > (maxT ?? 100)) {
    sink.error(at("gracePeriod"), "scheduler-grace-exceeds-max", `gracePeriod (${grace}) is larger than maxT (${maxT ?? "100, the default"}): no trial would reach a rung`);
  }
  const rf = num("reductionFactor");
  if (rf !== undefined && rf <= 1) sink.error(at("reductionFactor"), "scheduler-reduction-factor", `reductionFactor must be > 1 (got ${rf})`);
  const brackets = num("brackets");
  if (brackets !== undefined && (brackets < 1 || !Number.isInteger(brackets))) {
    sink.error(at("brackets"), "scheduler-brackets", `brackets must be a whole number ≥ 1 (got ${brackets})`);
  }
  if (kind === "median_stopping") {
    if (grace !== undefined && grace < 0) sink.error(at("gracePeriod"), "scheduler-grace-period", `gracePeriod must be ≥ 0 (got ${grace})`);
    const min = num("minSamplesRequired");
    if (min !== undefined && (min < 0 || !Number.isInteger(min))) sink.error(at("minSamplesRequired"), "scheduler-min-samples", `minSamplesRequired must be a whole number ≥ 0 (got ${min})`);
  }
  if (kind === "pbt") pbt(spec, ctx, path, sink);
  if (kind === "pb2") pb2(spec, ctx, path, sink);
  if (kind === "pbt_replay" && !isDynamic(spec.policyFile) && (typeof spec.policyFile !== "string" || spec.policyFile === "")) {
    sink.error(at("policyFile"), "pbt-replay-policy-file", "policyFile must be the path of a pbt_policy_<trial>.txt from a PBT run");
  }
  if (kind === "resource_changing") {
    if (spec.base !== undefined) sink.items.push(...validateScheduler(spec.base, ctx, at("base")));
    const cap = spec.capacity;
    if (cap !== undefined && !isDynamic(cap) && (!isPlainObject(cap) || typeof cap.cpu !== "number" || typeof cap.gpu !== "number")) {
      sink.error(at("capacity"), "scheduler-capacity", "capacity must be { cpu: number, gpu: number }");
    }
  }
  return sink.items;
}

function objective(spec: Record<string, unknown>, ctx: SchedulerValidationContext, path: Path, kind: string, sink: DiagnosticSink): void {
  const metric = spec.metric ?? ctx.metric;
  const mode = spec.mode ?? ctx.mode;
  if (isDynamic(metric) || isDynamic(mode)) return;
  if (metric === undefined) {
    sink.error([...path, "metric"], "scheduler-metric-missing", `${kind} compares trials by a metric: set \`metric\` in the config (or in the scheduler's options)`);
  }
  if (mode === undefined) {
    sink.error([...path, "mode"], "scheduler-mode-missing", `${kind} needs to know whether the metric is better high or low: set \`mode: "max"\` or \`"min"\``);
  } else if (mode !== "min" && mode !== "max") {
    sink.error([...path, "mode"], "scheduler-mode-invalid", `mode must be "min" or "max" (got ${JSON.stringify(mode)})`);
  }
}

function pbt(spec: Record<string, unknown>, ctx: SchedulerValidationContext, path: Path, sink: DiagnosticSink): void {
  const at = (...key: string[]): Path => [...path, ...key];
  const interval = spec.perturbationInterval;
  if (typeof interval === "number" && interval <= 0) {
    sink.error(at("perturbationInterval"), "pbt-interval", `perturbationInterval must be > 0 (got ${interval})`);
  }
  const q = spec.quantileFraction;
  if (typeof q === "number" && (q <= 0 || q > 0.5)) {
    sink.error(at("quantileFraction"), "pbt-quantile", `quantileFraction must be in (0, 0.5] (got ${q}): it is the share of trials that exploit, and of donors`);
  }
  const p = spec.resampleProbability;
  if (typeof p === "number" && (p < 0 || p > 1)) sink.error(at("resampleProbability"), "pbt-resample-probability", `resampleProbability must be in [0, 1] (got ${p})`);
  const factors = spec.perturbationFactors;
  if (factors !== undefined && !isDynamic(factors) && (!Array.isArray(factors) || factors.length === 0 || !factors.every((f) => typeof f === "number"))) {
    sink.error(at("perturbationFactors"), "pbt-factors", "perturbationFactors must be a non-empty list of numbers, e.g. [1.2, 0.8]");
  }
  const mutations = spec.hyperparamMutations;
  if (isDynamic(mutations)) return;
  if ((mutations === undefined || (isPlainObject(mutations) && Object.keys(mutations).length === 0)) && spec.customExploreFn === undefined) {
    sink.error(at("hyperparamMutations"), "pbt-no-mutations", "PBT needs hyperparamMutations (e.g. { lr: loguniform(1e-4, 1e-1) }) or customExploreFn");
    return;
  }
  if (mutations !== undefined && !isPlainObject(mutations)) {
    sink.error(at("hyperparamMutations"), "pbt-mutations-invalid", "hyperparamMutations must be an object: key → domain, list of values, or nested object");
    return;
  }
  if (mutations) mutationRules(mutations, [], ctx, at("hyperparamMutations"), sink);
}

function pb2(spec: Record<string, unknown>, ctx: SchedulerValidationContext, path: Path, sink: DiagnosticSink): void {
  const at = (...key: string[]): Path => [...path, ...key];
  const interval = spec.perturbationInterval;
  if (typeof interval === "number" && interval <= 0) {
    sink.error(at("perturbationInterval"), "pb2-interval", `perturbationInterval must be > 0 (got ${interval})`);
  }
  const q = spec.quantileFraction;
  if (typeof q === "number" && (q < 0 || q > 0.5)) {
    sink.error(at("quantileFraction"), "pb2-quantile", `quantileFraction must be in [0, 0.5] (got ${q}): it is the share of trials that exploit, and of donors`);
  }
  const bounds = spec.hyperparamBounds;
  if (isDynamic(bounds)) return;
  if (bounds === undefined || (isPlainObject(bounds) && Object.keys(bounds).length === 0)) {
    sink.error(at("hyperparamBounds"), "pb2-no-bounds", "PB2 needs hyperparamBounds, the continuous ranges it searches (e.g. { lr: [1e-4, 1e-1] })");
    return;
  }
  if (!isPlainObject(bounds) || isDomain(bounds)) {
    sink.error(at("hyperparamBounds"), "pb2-bounds-invalid", "hyperparamBounds must be an object: key → [lower, upper], uniform/loguniform/randint, or nested bounds");
    return;
  }
  boundRules(bounds, [], ctx, at("hyperparamBounds"), sink);
}

const PB2_DOMAINS = new Set(["uniform", "loguniform", "randint"]);

function boundRules(bounds: Record<string, unknown>, keyPath: string[], ctx: SchedulerValidationContext, path: Path, sink: DiagnosticSink): void {
  for (const [key, b] of Object.entries(bounds)) {
    const here = [...keyPath, key];
    const p = [...path, key];
    if (isDynamic(b)) continue;
    if (isPlainObject(b) && !isDomain(b)) {
      boundRules(b, here, ctx, p, sink);
      continue;
    }
    let lower: unknown;
    let upper: unknown;
    if (Array.isArray(b) && b.length === 2) {
      [lower, upper] = b as unknown[];
    } else if (isDomain(b) && PB2_DOMAINS.has(b.__tunelab)) {
      ({ lower, upper } = b as { lower: unknown; upper: unknown });
    } else {
      const what = isDomain(b) ? b.__tunelab : JSON.stringify(b);
      sink.error(p, "pb2-bound-invalid", `a PB2 bound is [lower, upper], uniform, loguniform or randint (got ${what}); PB2 searches continuous ranges only`);
      continue;
    }
    if (isDynamic(lower) || isDynamic(upper)) continue;
    if (typeof lower !== "number" || typeof upper !== "number" || !Number.isFinite(lower) || !Number.isFinite(upper)) {
      sink.error(p, "pb2-bound-invalid", `the bounds of "${here.join(".")}" must be two finite numbers (got ${JSON.stringify([lower, upper])})`);
      continue;
    }
    if (!(lower < upper)) sink.error(p, "pb2-bound-order", `the lower bound of "${here.join(".")}" must be below the upper one (got ${lower} and ${upper})`);
    if (isDomain(b) && b.__tunelab === "loguniform" && lower <= 0) sink.error(p, "pb2-bound-log", `loguniform bounds must be > 0 (got ${lower} for "${here.join(".")}")`);
    if (ctx.spaceKeys && !ctx.spaceKeys.some((k) => k.length >= here.length && here.every((part, i) => k[i] === part))) {
      const siblings = [...new Set(ctx.spaceKeys.filter((k) => k.length > keyPath.length && keyPath.every((part, i) => k[i] === part)).map((k) => k[keyPath.length] as string))];
      const near = didYouMean(key, siblings);
      sink.error(p, "pb2-bound-unknown-key",
        `"${here.join(".")}" is not in the search space${near ? ` (did you mean "${near}"?)` : ""}; PB2 learns from the values trials run with, so give it a starting value there`,
        near ? { suggestion: near } : undefined);
    } else if (!numericInSpace(ctx.space, here)) {
      sink.error(p, "pb2-bound-non-numeric", `PB2 searches "${here.join(".")}" as a number, but its values in the space are not numbers`);
    }
  }
}

function mutationRules(mutations: Record<string, unknown>, keyPath: string[], ctx: SchedulerValidationContext, path: Path, sink: DiagnosticSink): void {
  for (const [key, m] of Object.entries(mutations)) {
    const here = [...keyPath, key];
    const p = [...path, key];
    if (isDynamic(m)) continue;
    if (ctx.spaceKeys && !ctx.spaceKeys.some((k) => k.length >= here.length && here.every((part, i) => k[i] === part))) {
      const siblings = [...new Set(ctx.spaceKeys.filter((k) => k.length > keyPath.length && keyPath.every((part, i) => k[i] === part)).map((k) => k[keyPath.length] as string))];
      const near = didYouMean(key, siblings);
      sink.warning(p, "pbt-mutation-unknown-key",
        `"${here.join(".")}" is not in the search space${near ? ` (did you mean "${near}"?)` : ""}; trials start without it and PBT only sets it when exploring`,
        near ? { suggestion: near } : undefined);
    }
    if (isDomain(m)) {
      if (m.__tunelab === "sample_from") {
        sink.error(p, "pbt-mutation-sample-from", "sampleFrom cannot be perturbed; use uniform/loguniform/randint, a list of values, or a function");
      } else if (NUMERIC_DOMAINS.has(m.__tunelab) && !numericInSpace(ctx.space, here)) {
        sink.error(p, "pbt-factor-non-numeric", `${m.__tunelab} perturbs "${here.join(".")}" by multiplying it, but its values in the space are not numbers; use a list of values instead`);
      }
    } else if (Array.isArray(m)) {
      if (m.length === 0) sink.error(p, "pbt-mutation-empty", "a list of values to mutate between must not be empty");
    } else if (isPlainObject(m)) {
      mutationRules(m, here, ctx, p, sink);
    } else if (typeof m !== "function") {
      sink.error(p, "pbt-mutation-invalid", `a mutation must be a domain, a list of values, a function or a nested object (got ${JSON.stringify(m)})`);
    }
  }
}

/** Whether the space's value at `keys` is numeric (unknown counts as numeric: no false alarms). */
function numericInSpace(space: unknown, keys: string[]): boolean {
  let v: unknown = space;
  for (const k of keys) {
    if (!isPlainObject(v) || isDomain(v)) return true;
    v = v[k];
  }
  if (v === undefined || isDynamic(v)) return true;
  if (typeof v === "number") return true;
  if (isDomain(v)) {
    if (NUMERIC_DOMAINS.has(v.__tunelab)) return true;
    if (v.__tunelab === "choice") return v.categories.every((c) => typeof c === "number");
    if (v.__tunelab === "grid") return v.values.every((c) => typeof c === "number");
    return true;
  }
  return false;
}
