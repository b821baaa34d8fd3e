/**
 * Validation rules for a search space. Input is untrusted plain data (what the
 * runner loaded, or what the language server read from the syntax tree);
 * dynamic values are skipped, never guessed.
 */
import { DOMAIN_KINDS } from "./domains.ts";
import { DiagnosticSink, didYouMean, isDynamic, type Diagnostic } from "./diagnostics.ts";
import type { KeyPath } from "./path.ts";
import { isPlainObject } from "./variants.ts";

type Fields = Record<string, unknown>;

/** Every problem in `space`, with paths starting at `path`. */
export function validateSpace(space: unknown, path: KeyPath = ["space"]): Diagnostic[] {
  const sink = new DiagnosticSink();
  walk(space, path, sink);
  return sink.items;
}

/** How a value reads in a message: numbers and strings as written, anything else by its type. */
export function describe(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : String(typeof value);
}

function walk(node: unknown, path: KeyPath, sink: DiagnosticSink): void {
  if (isDynamic(node) || typeof node !== "object" || node === null) return;
  const tag = (node as { __tunelab?: unknown }).__tunelab;
  if (tag !== undefined) {
    checkDomain(node as Fields, tag, path, sink);
    return;
  }
  if (Array.isArray(node)) node.forEach((child, i) => walk(child, [...path, i], sink));
  else if (isPlainObject(node)) for (const [key, child] of Object.entries(node)) walk(child, [...path, key], sink);
}

function checkDomain(d: Fields, tag: unknown, path: KeyPath, sink: DiagnosticSink): void {
  if (isDynamic(tag)) return;
  if (typeof tag !== "string" || !(DOMAIN_KINDS as readonly string[]).includes(tag)) {
    const suggestion = typeof tag === "string" ? didYouMean(tag, DOMAIN_KINDS) : undefined;
    sink.error(path, "unknown-domain", `unknown distribution ${describe(tag)}${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`,
      suggestion ? { suggestion } : undefined);
    return;
  }
  // A number field: undefined when it is missing, mistyped or non-finite (reported) or dynamic (skipped).
  const num = (field: string): number | undefined => {
    const v = d[field];
    if (isDynamic(v)) return undefined;
    if (typeof v !== "number") {
      sink.error(path, "not-a-number", `${tag} ${field} must be a number (got ${describe(v)})`, { field });
      return undefined;
    }
    if (!Number.isFinite(v)) {
      sink.error(path, "non-finite", `${tag} ${field} must be finite (got ${v})`, { field });
      return undefined;
    }
    return v;
  };
  const integer = (field: string, v: number | undefined): void => {
    if (v !== undefined && !Number.isInteger(v)) sink.error(path, "bounds-not-integer", `${tag} ${field} must be an integer (got ${v})`, { field });
  };

  switch (tag) {
    case "uniform": case "quniform": case "loguniform": case "qloguniform": {
      const lo = num("lower");
      const hi = num("upper");
      const log = tag === "loguniform" || tag === "qloguniform";
      if (log) positiveBounds(tag, lo, hi, path, sink);
      bounds(tag, lo, hi, "exclusive", path, sink);
      if (log) base(tag, num("base"), path, sink);
      if (tag === "quniform" || tag === "qloguniform") quantum(tag, lo, hi, num("q"), path, sink);
      return;
    }
    case "randn": case "qrandn": {
      num("mean");
      const sd = num("sd");
      if (sd !== undefined && sd <= 0) sink.error(path, "sd-nonpositive", `${tag} sd must be > 0 (got ${sd})`, { field: "sd" });
      if (tag === "qrandn") quantum(tag, undefined, undefined, num("q"), path, sink);
      return;
    }
    case "randint": case "lograndint": case "qrandint": {
      const lo = num("lower");
      const hi = num("upper");
      integer("lower", lo);
      integer("upper", hi);
      if (tag === "lograndint") positiveBounds(tag, lo, hi, path, sink);
      bounds(tag, lo, hi, tag === "qrandint" ? "inclusive" : "exclusive", path, sink);
      if (tag === "lograndint") base(tag, num("base"), path, sink);
      if (tag === "qrandint") {
        const q = num("q");
        integer("q", q);
        quantum(tag, lo, hi, q, path, sink);
      }
      return;
    }
    case "choice": case "grid": {
      const field = tag === "choice" ? "categories" : "values";
      values(tag, field, d[field], [...path, field], sink);
      return;
    }
    case "sample_from":
      if (typeof d.fn !== "function" && !isDynamic(d.fn)) sink.error(path, "sample-from-not-function", `sampleFrom needs a function (got ${describe(d.fn)})`);
      return;
  }
}

function positiveBounds(tag: string, lo: number | undefined, hi: number | undefined, path: KeyPath, sink: DiagnosticSink): void {
  for (const [field, v] of [["lower", lo], ["upper", hi]] as const) {
    if (v !== undefined && v <= 0) sink.error(path, "log-nonpositive", `${tag} ${field} bound must be > 0 (got ${v})`, { field });
  }
}

function bounds(tag: string, lo: number | undefined, hi: number | undefined, upper: "exclusive" | "inclusive", path: KeyPath, sink: DiagnosticSink): void {
  if (lo === undefined || hi === undefined) return;
  if (lo > hi) {
    sink.error(path, "bounds-reversed", `${tag} lower bound ${lo} must be below upper bound ${hi}`, { suggestion: `${tag}(${hi}, ${lo})` });
  } else if (lo === hi) {
    // An inclusive range of one value only makes a constant; an exclusive one is empty.
    if (upper === "inclusive") sink.warning(path, "bounds-equal", `${tag} lower and upper bounds are both ${lo}: every sample is ${lo}`);
    else sink.error(path, "bounds-equal", `${tag} lower and upper bounds are both ${lo}${tag.endsWith("int") ? " (upper is exclusive): no value to sample" : ""}`);
  }
}

function base(tag: string, b: number | undefined, path: KeyPath, sink: DiagnosticSink): void {
  if (b !== undefined && (b <= 0 || b === 1)) sink.error(path, "log-base", `${tag} base must be > 0 and ≠ 1 (got ${b})`, { field: "base" });
}

function quantum(tag: string, lo: number | undefined, hi: number | undefined, q: number | undefined, path: KeyPath, sink: DiagnosticSink): void {
  if (q === undefined) return;
  if (q <= 0) {
    sink.error(path, "q-nonpositive", `${tag} q must be > 0 (got ${q})`, { field: "q" });
    return;
  }
  if (lo === undefined || hi === undefined || lo > hi) return;
  const multiples = Math.floor(hi / q + 1e-9) - Math.ceil(lo / q - 1e-9) + 1;
  if (multiples < 1) sink.error(path, "q-no-multiple", `${tag} has no multiple of q=${q} in [${lo}, ${hi}]`, { field: "q" });
  else if (q > hi - lo && lo < hi) sink.warning(path, "q-exceeds-range", `${tag} q=${q} is larger than the range ${hi - lo}: only ${multiples} value(s) can be sampled`, { field: "q" });
}

function values(tag: string, field: string, list: unknown, path: KeyPath, sink: DiagnosticSink): void {
  if (isDynamic(list)) return;
  if (!Array.isArray(list)) {
    sink.error(path, `${tag}-not-array`, `${tag} ${field} must be an array (got ${describe(list)})`);
    return;
  }
  if (list.length === 0) {
    sink.error(path, `${tag}-empty`, `${tag} needs at least one value`);
    return;
  }
  const seen = new Map<string, number>();
  list.forEach((value, i) => {
    const key = identity(value);
    const first = key === undefined ? undefined : seen.get(key);
    if (first !== undefined) sink.warning([...path, i], `${tag}-duplicate`, `${tag} value ${describe(value)} at [${i}] repeats [${first}]`, { index: i, first });
    else if (key !== undefined) seen.set(key, i);
    walk(value, [...path, i], sink);
  });
}

/** A comparable identity for plain values; undefined for what cannot be compared (functions, dynamic parts). */
function identity(value: unknown): string | undefined {
  if (typeof value === "function" || isDynamic(value)) return undefined;
  if (typeof value !== "object" || value === null) return `${typeof value}:${String(value)}`;
  try {
    const text = JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === "function" || isDynamic(v)) throw new Error("not comparable");
      return v;
    });
    return `json:${text}`;
  } catch {
    return undefined;
  }
}
