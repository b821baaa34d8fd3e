/**
 * Inlay hints: how many trials the space and `samples` make, next to
 * `samples:` (or next to `space:` when samples is left at 1), counted as the
 * searcher will (countVariants: grid combinations × samples, with each of
 * pointsToEvaluate replacing one sample).
 */
import { InlayHintKind, type InlayHint } from "vscode-languageserver";
import { isDynamic } from "../engine/space/diagnostics.ts";
import type { Space } from "../engine/space/domains.ts";
import type { TrialConfig } from "../engine/interfaces.ts";
import { countVariants, gridSize, isPlainObject } from "../engine/space/variants.ts";
import { toRange } from "./analyze.ts";
import type { Evaluation } from "./evaluate.ts";
import { spanAt } from "./locate.ts";

export function inlayHints(ev: Evaluation): InlayHint[] {
  const c = ev.value;
  if (!isPlainObject(c) || isDynamic(c) || !isPlainObject(c.space) || isDynamic(c.space)) return [];
  const space = c.space as Space;
  const samples = c.samples === undefined ? 1 : c.samples;
  if (typeof samples !== "number" || !Number.isInteger(samples) || samples < 1) return [];
  const search = isPlainObject(c.search) && !isDynamic(c.search) ? c.search : {};
  const rawPoints = search.pointsToEvaluate ?? [];
  // Unknown points change the count by an unknown amount: no hint rather than a wrong one.
  if (!Array.isArray(rawPoints) || rawPoints.some((p) => !isPlainObject(p) || hasDynamic(p))) return [];
  const points = rawPoints as TrialConfig[];
  let grid: number, total: number;
  try {
    grid = gridSize(space);
    total = countVariants(space, samples, points);
  } catch {
    return []; // a malformed grid (reported by the diagnostics) has no count
  }
  // A dynamic part of the space might hide a grid: the count is then a lower bound.
  const atLeast = hasDynamic(space) ? "≥ " : "";
  const trials = `${atLeast}${fmt(total)} trial${total === 1 ? "" : "s"}`;
  const at = c.samples !== undefined ? spanAt(ev, ["samples"]) : spanAt(ev, ["space"]);
  if (!at) return [];
  if (c.samples === undefined && grid <= 1 && points.length === 0) return [];
  const label = c.samples !== undefined
    ? ` × ${atLeast}${fmt(grid)} grid${points.length ? ` (+${points.length} points)` : ""} = ${trials}`
    : ` ${atLeast}${fmt(grid)} grid combinations = ${trials}`;
  const position = toRange(ev, c.samples !== undefined ? at.value : (at.key ?? at.value)).end;
  return [{ position, label, kind: InlayHintKind.Type, paddingLeft: true, tooltip: "grid combinations × samples: the trials this config will run" }];
}

const fmt = (n: number): string => (Number.isFinite(n) ? n.toLocaleString("en-US") : "more than 2^53");

/** A DYNAMIC value where a grid would expand (not inside a sampled domain, whose grids are drawn, not expanded). */
function hasDynamic(node: unknown): boolean {
  if (isDynamic(node)) return true;
  if (typeof node !== "object" || node === null) return false;
  const tag = (node as { __tunelab?: unknown }).__tunelab;
  if (tag === "grid") {
    const values = (node as { values?: unknown }).values;
    return !Array.isArray(values) || values.some(hasDynamic);
  }
  if (tag !== undefined) return false;
  return Object.values(node).some(hasDynamic);
}
