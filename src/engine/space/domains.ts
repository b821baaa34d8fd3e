/**
 * Search-space primitives as plain tagged data. The runner samples them; the
 * language server reads the same shapes from the syntax tree without running
 * the file, so every field here is a literal (except sampleFrom's function).
 */

export type Domain =
  | Uniform
  | QUniform
  | LogUniform
  | QLogUniform
  | RandN
  | QRandN
  | RandInt
  | QRandInt
  | LogRandInt
  | Choice
  | Grid
  | SampleFrom;

export interface Uniform { readonly __tunelab: "uniform"; readonly lower: number; readonly upper: number }
export interface QUniform { readonly __tunelab: "quniform"; readonly lower: number; readonly upper: number; readonly q: number }
export interface LogUniform { readonly __tunelab: "loguniform"; readonly lower: number; readonly upper: number; readonly base: number }
export interface QLogUniform { readonly __tunelab: "qloguniform"; readonly lower: number; readonly upper: number; readonly q: number; readonly base: number }
export interface RandN { readonly __tunelab: "randn"; readonly mean: number; readonly sd: number }
export interface QRandN { readonly __tunelab: "qrandn"; readonly mean: number; readonly sd: number; readonly q: number }
/** Integers in [lower, upper), upper exclusive as in Ray Tune. */
export interface RandInt { readonly __tunelab: "randint"; readonly lower: number; readonly upper: number }
/** Multiples of q in [lower, upper], upper inclusive as in Ray Tune. */
export interface QRandInt { readonly __tunelab: "qrandint"; readonly lower: number; readonly upper: number; readonly q: number }
/** Integers in [lower, upper), sampled on a log scale. */
export interface LogRandInt { readonly __tunelab: "lograndint"; readonly lower: number; readonly upper: number; readonly base: number }
export interface Choice { readonly __tunelab: "choice"; readonly categories: readonly unknown[] }
export interface Grid { readonly __tunelab: "grid"; readonly values: readonly unknown[] }
/** `fn` receives the config sampled so far (a read-only view of the other resolved values). */
export interface SampleFrom { readonly __tunelab: "sample_from"; readonly fn: (spec: { config: Record<string, unknown> }) => unknown }

export type DomainKind = Domain["__tunelab"];

export const DOMAIN_KINDS: readonly DomainKind[] = [
  "uniform", "quniform", "loguniform", "qloguniform", "randn", "qrandn",
  "randint", "qrandint", "lograndint", "choice", "grid", "sample_from",
];

/** A search space: nested objects and arrays whose leaves are domains or constants. */
export type Space = { readonly [key: string]: SpaceValue };
export type SpaceValue = Domain | Space | readonly SpaceValue[] | string | number | boolean | null;

export function isDomain(value: unknown): value is Domain {
  return typeof value === "object" && value !== null && typeof (value as { __tunelab?: unknown }).__tunelab === "string"
    && (DOMAIN_KINDS as readonly string[]).includes((value as { __tunelab: string }).__tunelab);
}

export const uniform = (lower: number, upper: number): Uniform => ({ __tunelab: "uniform", lower, upper });
export const quniform = (lower: number, upper: number, q: number): QUniform => ({ __tunelab: "quniform", lower, upper, q });
export const loguniform = (lower: number, upper: number, base = 10): LogUniform => ({ __tunelab: "loguniform", lower, upper, base });
export const qloguniform = (lower: number, upper: number, q: number, base = 10): QLogUniform =>
  ({ __tunelab: "qloguniform", lower, upper, q, base });
export const randn = (mean = 0, sd = 1): RandN => ({ __tunelab: "randn", mean, sd });
export const qrandn = (mean: number, sd: number, q: number): QRandN => ({ __tunelab: "qrandn", mean, sd, q });
export const randint = (lower: number, upper: number): RandInt => ({ __tunelab: "randint", lower, upper });
export const qrandint = (lower: number, upper: number, q = 1): QRandInt => ({ __tunelab: "qrandint", lower, upper, q });
export const lograndint = (lower: number, upper: number, base = 10): LogRandInt => ({ __tunelab: "lograndint", lower, upper, base });
export const choice = <T>(categories: readonly T[]): Choice => ({ __tunelab: "choice", categories });
export const grid = <T>(values: readonly T[]): Grid => ({ __tunelab: "grid", values });
export const sampleFrom = (fn: (spec: { config: Record<string, unknown> }) => unknown): SampleFrom => ({ __tunelab: "sample_from", fn });
