/**
 * A uniform range over several orders of magnitude spends almost every sample
 * in its top decade: uniform(1e-4, 1e-1) draws below 1e-2 one time in ten.
 * That is nearly always meant as a log scale.
 */
import { DiagnosticSink, isDynamic, type Diagnostic } from "./diagnostics.ts";
import type { KeyPath } from "./path.ts";
import { isPlainObject } from "./variants.ts";

/** upper / lower from which a linear range is flagged: three decades. */
export const DECADES_RATIO = 1000;

const LOG_OF: Readonly<Record<string, string>> = { uniform: "loguniform", quniform: "qloguniform" };

/** A warning for each positive uniform/quniform range spanning ≥ 3 decades, with the log helper to use. */
export function validateScale(space: unknown, path: KeyPath = ["space"]): Diagnostic[] {
  const sink = new DiagnosticSink();
  walk(space, path, sink);
  return sink.items;
}

function walk(node: unknown, path: KeyPath, sink: DiagnosticSink): void {
  if (isDynamic(node) || typeof node !== "object" || node === null) return;
  const d = node as Record<string, unknown>;
  const tag = d.__tunelab;
  if (typeof tag === "string") {
    const log = LOG_OF[tag];
    const { lower, upper } = d;
    if (log && typeof lower === "number" && typeof upper === "number" && lower > 0 && upper / lower >= DECADES_RATIO && Number.isFinite(upper)) {
      const decades = Math.log10(upper / lower);
      const q = tag === "quniform" && typeof d.q === "number" ? `, ${d.q}` : "";
      const topDecade = (upper - upper / 10) / (upper - lower);
      sink.warning(path, "uniform-spans-decades",
        `${tag}(${lower}, ${upper}) spans ${decades.toFixed(1)} decades but samples linearly: ${Math.round(100 * topDecade)}% of draws land in the top decade; ${log} covers every decade equally`,
        { suggestion: `${log}(${lower}, ${upper}${q})`, helper: log });
    }
    for (const field of ["categories", "values"]) {
      const list = d[field];
      if (Array.isArray(list)) list.forEach((v, i) => walk(v, [...path, field, i], sink));
    }
    return;
  }
  if (Array.isArray(node)) node.forEach((v, i) => walk(v, [...path, i], sink));
  else if (isPlainObject(node)) for (const [k, v] of Object.entries(node)) walk(v, [...path, k], sink);
}
