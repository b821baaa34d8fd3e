/**
 * PBT's explore step (Ray's pbt._explore) and the lines of its policy logs.
 * Lists and choices shift to a neighbouring value; numeric domains and
 * functions are multiplied by a perturbation factor; either is resampled
 * with probability p. Unlike Ray, results are clamped to the domain's bounds
 * (and re-quantized), so an explored config is always one the space allows.
 */
import type { TrialConfig } from "../interfaces.ts";
import type { Rng } from "../random.ts";
import { isDomain, type Domain } from "../space/domains.ts";
import { quantize, sampleDomain } from "../space/sample.ts";
import { isPlainObject } from "../space/variants.ts";

/** A value of `hyperparamMutations`: a domain, a list of allowed values, a sampler, or nested mutations. */
export type Mutation = Domain | readonly unknown[] | (() => unknown) | { readonly [key: string]: Mutation };
export type Mutations = { readonly [key: string]: Mutation };

export interface ExploreOptions {
  resampleProbability: number;
  perturbationFactors: readonly number[];
  customExploreFn?: ((config: TrialConfig) => TrialConfig) | undefined;
}

/** The explored config and what was done to each key ("lr: * 1.2", "batch: shift right"). */
export function explore(config: TrialConfig, mutations: Mutations, rng: Rng, opts: ExploreOptions): { config: TrialConfig; operations: string[] } {
  const operations: string[] = [];
  const out = exploreInto(config, mutations, rng, opts, operations, "");
  if (opts.customExploreFn) {
    const custom = opts.customExploreFn(structuredClone(out));
    if (!isPlainObject(custom)) throw new Error("pbt: customExploreFn must return the new config object");
    return { config: custom, operations: [...operations, "customExploreFn"] };
  }
  return { config: out, operations };
}

function exploreInto(config: TrialConfig, mutations: Mutations, rng: Rng, opts: ExploreOptions, ops: string[], prefix: string): TrialConfig {
  const out: TrialConfig = structuredClone(config);
  for (const [key, mutation] of Object.entries(mutations)) {
    const name = prefix + key;
    const old = config[key];
    if (Array.isArray(mutation) || (isDomain(mutation) && (mutation.__tunelab === "choice" || mutation.__tunelab === "grid"))) {
      const values = Array.isArray(mutation) ? mutation : mutation.__tunelab === "choice" ? mutation.categories : mutation.values;
      const at = values.findIndex((v) => sameValue(v, old));
      if (rng.next() < opts.resampleProbability || at < 0) {
        out[key] = structuredClone(values[rng.int(0, values.length)]);
        ops.push(`${name}: resample`);
      } else {
        const shift = rng.next() < 0.5 ? -1 : 1;
        const next = Math.min(Math.max(at + shift, 0), values.length - 1);
        out[key] = structuredClone(values[next]);
        ops.push(`${name}: shift ${shift < 0 ? "left" : "right"}${next === at ? " (noop)" : ""}`);
      }
    } else if (isDomain(mutation) || typeof mutation === "function") {
      if (rng.next() < opts.resampleProbability || typeof old !== "number") {
        out[key] = typeof mutation === "function" ? (mutation as () => unknown)() : sampleDomain(mutation, rng, [key]);
        ops.push(`${name}: resample`);
      } else {
        const factor = opts.perturbationFactors[rng.int(0, opts.perturbationFactors.length)] as number;
        out[key] = fitToDomain(old * factor, old, isDomain(mutation) ? mutation : undefined);
        ops.push(`${name}: * ${factor}`);
      }
    } else if (isPlainObject(mutation)) {
      const inner = isPlainObject(old) ? old : {};
      out[key] = exploreInto(inner, mutation as Mutations, rng, opts, ops, `${name}.`);
    }
  }
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === "object" && a !== null && JSON.stringify(a) === JSON.stringify(b));
}

/** Keeps a perturbed value inside the domain: bounds, quantization, and integers staying integers. */
export function fitToDomain(value: number, old: number, domain: Domain | undefined): number {
  if (!domain) return Number.isInteger(old) ? Math.trunc(value) : value;
  const clamp = (lo: number, hi: number): number => Math.min(Math.max(value, lo), hi);
  switch (domain.__tunelab) {
    case "uniform":
    case "loguniform":
      return clamp(domain.lower, domain.upper);
    case "quniform":
    case "qloguniform":
      return quantize(clamp(domain.lower, domain.upper), domain.q, domain.lower, domain.upper);
    case "randint":
    case "lograndint":
      return Math.trunc(clamp(domain.lower, domain.upper - 1));
    case "qrandint":
      return quantize(clamp(domain.lower, domain.upper), domain.q, domain.lower, domain.upper);
    case "qrandn":
      return quantize(value, domain.q, -Infinity, Infinity);
    default:
      return Number.isInteger(old) && !Number.isInteger(value) && domain.__tunelab !== "randn" ? Math.trunc(value) : value;
  }
}

/** One line for `pbt_global.txt` and the trial's `pbt_policy_<id>.txt`, relative to the experiment dir. */
export interface PolicyLine {
  file: string;
  line: string;
  /**
   * Before appending, replace `file` with a copy of this file if it exists: the exploiting trial
   * inherits its donor's history, as Ray's `_log_config_on_step` does.
   */
  copyFrom?: string;
}

export const policyFileOf = (trialId: string): string => `pbt_policy_${trialId}.txt`;
export const GLOBAL_POLICY_FILE = "pbt_global.txt";

/**
 * Ray's policy row: [target tag, donor tag, target iteration, donor iteration, donor config, new config].
 * Tags are trial ids. The donor iteration is the one of the checkpoint the target continues from.
 */
export function policyLines(
  target: { id: string; iteration: number }, donor: { id: string; iteration: number },
  donorConfig: TrialConfig, newConfig: TrialConfig,
): PolicyLine[] {
  const line = JSON.stringify([target.id, donor.id, target.iteration, donor.iteration, donorConfig, newConfig], safeJson);
  return [
    { file: GLOBAL_POLICY_FILE, line },
    { file: policyFileOf(target.id), line, copyFrom: policyFileOf(donor.id) },
  ];
}

/** Like Ray's _SafeFallbackEncoder: values JSON cannot hold become their string form. */
function safeJson(_key: string, value: unknown): unknown {
  if (typeof value === "function") return String(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return value;
}
