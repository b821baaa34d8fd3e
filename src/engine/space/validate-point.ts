/**
 * Checks that a config a person typed (a trial added through the control API)
 * could have come from the search space: every key the space defines is there,
 * each value lies in its domain, and nothing unexpected was added. The config
 * is untrusted JSON, so every shape is checked before it is read.
 */
import { DiagnosticSink, didYouMean, type Diagnostic } from "./diagnostics.ts";
import { isDomain, type Domain, type Space } from "./domains.ts";
import { formatPath, type KeyPath } from "./path.ts";
import { describe } from "./validate-space.ts";
import { isPlainObject } from "./variants.ts";

/** Every problem with `config` as a point of `space`; errors mean the runner must not start it. */
export function validatePoint(space: Space, config: unknown, path: KeyPath = ["config"]): Diagnostic[] {
  const sink = new DiagnosticSink();
  if (!isPlainObject(config)) {
    sink.error(path, "point-not-object", `a trial config must be a JSON object of parameters (got ${describe(config)})`);
    return sink.items;
  }
  walk(space, config, path, sink, false);
  return sink.items;
}

/**
 * `strict` is set under choice/grid, where a value must match one option
 * exactly; at the top level a changed constant is only a warning, since a
 * person may mean to override it.
 */
function walk(node: unknown, value: unknown, path: KeyPath, sink: DiagnosticSink, strict: boolean): void {
  if (isDomain(node)) {
    checkDomain(node, value, path, sink);
  } else if (Array.isArray(node)) {
    if (!Array.isArray(value)) {
      sink.error(path, "point-not-array", `must be an array of ${node.length} value(s), as in the space (got ${describe(value)})`);
      return;
    }
    if (value.length !== node.length) {
      sink.error(path, "point-array-length", `must have ${node.length} value(s), as in the space (got ${value.length})`);
    }
    node.forEach((child, i) => { if (i < value.length) walk(child, value[i], [...path, i], sink, strict); });
  } else if (isPlainObject(node)) {
    if (!isPlainObject(value)) {
      sink.error(path, "point-not-object", `must be an object with keys ${keyList(Object.keys(node))} (got ${describe(value)})`);
      return;
    }
    const known = Object.keys(node);
    for (const key of known) {
      if (key in value) walk(node[key], value[key], [...path, key], sink, strict);
      else missing(node[key], [...path, key], sink);
    }
    for (const key of Object.keys(value)) {
      if (key in node) continue;
      const suggestion = didYouMean(key, known);
      const message = `is not in the search space${suggestion ? ` (did you mean "${suggestion}"?)` : ""}; the trial gets it as given`;
      if (strict) sink.error([...path, key], "point-unknown-key", message, suggestion ? { suggestion } : undefined);
      else sink.warning([...path, key], "point-unknown-key", message, suggestion ? { suggestion } : undefined);
    }
  } else if (!sameValue(node, value)) {
    const message = `the space fixes this to ${describe(node)} (got ${describe(value)})`;
    if (strict) sink.error(path, "point-constant-differs", message, { expected: node });
    else sink.warning(path, "point-constant-differs", message, { expected: node });
  }
}

function missing(node: unknown, path: KeyPath, sink: DiagnosticSink): void {
  const what = isDomain(node) ? `the space samples it from ${show(node)}`
    : typeof node === "object" && node !== null ? "the space defines it" : `the space sets it to ${describe(node)}`;
  sink.error(path, "point-missing-key", `is missing: ${what}`);
}

const EPS = 1e-9;
/** k·q up to float noise (0.30000000000000004 is a multiple of 0.1). */
const multipleOf = (x: number, q: number): boolean => Math.abs(x / q - Math.round(x / q)) <= 1e-6;

function checkDomain(d: Domain, value: unknown, path: KeyPath, sink: DiagnosticSink): void {
  const where = show(d);
  if (d.__tunelab === "sample_from") return; // computed from the rest of the config: any value may be meant
  if (d.__tunelab === "choice" || d.__tunelab === "grid") {
    const options = d.__tunelab === "choice" ? d.categories : d.values;
    if (options.some((option) => fits(option, value))) return;
    const listed = options.slice(0, 8).map((o) => (isDomain(o) ? show(o) : isPlainObject(o) || Array.isArray(o) ? JSON.stringify(o) : describe(o)));
    sink.error(path, "point-not-member", `${describe(value)} is not one of ${d.__tunelab}'s values: ${listed.join(", ")}${options.length > 8 ? ", …" : ""}`);
    return;
  }
  if (typeof value !== "number" || !Number.isFinite(value)) {
    sink.error(path, "point-not-number", `must be a finite number from ${where} (got ${describe(value)})`);
    return;
  }
  const fail = (code: string, why: string): void => sink.error(path, code, `${value} is outside ${where}: ${why}`);
  // Float noise is relative to the bound itself: a tolerance scaled by the other bound would let
  // -0.001 pass as "0" when the upper bound is 1e6.
  const slack = (bound: number): number => EPS * Math.max(1, Math.abs(bound));
  switch (d.__tunelab) {
    case "uniform": case "loguniform": case "quniform": case "qloguniform": {
      if ((d.__tunelab === "loguniform" || d.__tunelab === "qloguniform") && value <= 0) fail("point-log-nonpositive", "a log-scale value must be > 0");
      else if (value < d.lower - slack(d.lower) || value > d.upper + slack(d.upper)) fail("point-out-of-bounds", `must lie in [${d.lower}, ${d.upper}]`);
      else if ((d.__tunelab === "quniform" || d.__tunelab === "qloguniform") && !multipleOf(value, d.q)) fail("point-not-multiple", `must be a multiple of q=${d.q}`);
      return;
    }
    case "randn":
      return;
    case "qrandn":
      if (!multipleOf(value, d.q)) fail("point-not-multiple", `must be a multiple of q=${d.q}`);
      return;
    case "randint": case "lograndint": case "qrandint": {
      // randint and lograndint exclude upper, as in Ray Tune; qrandint includes it.
      const inclusive = d.__tunelab === "qrandint";
      if (!Number.isInteger(value)) fail("point-not-integer", "must be an integer");
      else if (value < d.lower || (inclusive ? value > d.upper : value >= d.upper)) {
        fail("point-out-of-bounds", `must lie in [${d.lower}, ${d.upper}${inclusive ? "]" : ") (upper excluded)"}`);
      } else if (d.__tunelab === "qrandint" && value % d.q !== 0) fail("point-not-multiple", `must be a multiple of q=${d.q}`);
      return;
    }
  }
}

/** Whether `value` is exactly something `option` (a constant, a domain, or a structure of them) could produce. */
function fits(option: unknown, value: unknown): boolean {
  const sink = new DiagnosticSink();
  walk(option, value, [], sink, true);
  return sink.items.every((d) => d.severity !== "error");
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `uniform(0, 1)`, `choice(3 values)`: how a domain reads in a message. */
function show(d: Domain): string {
  switch (d.__tunelab) {
    case "uniform": case "randint": return `${d.__tunelab}(${d.lower}, ${d.upper})`;
    case "quniform": case "qrandint": return `${d.__tunelab}(${d.lower}, ${d.upper}, ${d.q})`;
    case "loguniform": case "lograndint": return `${d.__tunelab}(${d.lower}, ${d.upper}${d.base === 10 ? "" : `, base ${d.base}`})`;
    case "qloguniform": return `qloguniform(${d.lower}, ${d.upper}, ${d.q})`;
    case "randn": return `randn(${d.mean}, ${d.sd})`;
    case "qrandn": return `qrandn(${d.mean}, ${d.sd}, ${d.q})`;
    case "choice": return `choice(${d.categories.length} values)`;
    case "grid": return `grid(${d.values.length} values)`;
    case "sample_from": return "sampleFrom";
  }
}

function keyList(keys: readonly string[]): string {
  const shown = keys.slice(0, 6).map((k) => formatPath([k])).join(", ");
  return keys.length > 6 ? `${shown}, …` : shown;
}
