/**
 * Hover: what a distribution samples (range, scale, example draws with a
 * fixed seed), and what a config key means (docs.ts).
 */
import type { Hover } from "vscode-languageserver";
import { createRng } from "../engine/random.ts";
import type { Domain } from "../engine/space/domains.ts";
import { isDynamic } from "../engine/space/diagnostics.ts";
import { sampleDomain } from "../engine/space/sample.ts";
import { validateSpace } from "../engine/space/validate-space.ts";
import { toRange } from "./analyze.ts";
import { HELPER_DOCS, SECTIONS, TOP_LEVEL, optionMarkdown } from "./docs.ts";
import type { Evaluation, HelperCall, SourceSpan, TextSpan } from "./evaluate.ts";
import { executorDocsAt } from "./executor-docs.ts";

/** Example draws use this seed, so a hover shows the same numbers every time. */
export const EXAMPLE_SEED = 0;
const EXAMPLES = 5;

export function hoverAt(ev: Evaluation, offset: number): Hover | null {
  const call = innermost(ev.calls.filter((c) => contains(c.callee, offset)), (c) => c.callee);
  if (call) return { contents: { kind: "markdown", value: helperMarkdown(call) }, range: toRange(ev, call.callee) };
  const key = innermost([...ev.spans.values()].filter((s) => s.key && contains(s.key, offset)), (s) => s.key as TextSpan);
  if (!key?.key) return null;
  const text = keyMarkdown(key, ev);
  return text ? { contents: { kind: "markdown", value: text }, range: toRange(ev, key.key) } : null;
}

function keyMarkdown(s: SourceSpan, ev: Evaluation): string | undefined {
  const [section, option] = s.path;
  if (s.path.length === 1 && typeof section === "string") {
    const doc = TOP_LEVEL[section];
    return doc ? optionMarkdown(section, doc) : undefined;
  }
  if (section === "space" && s.path.length >= 2) {
    const call = ev.calls.find((c) => c.path.length === s.path.length && c.path.every((k, i) => k === s.path[i]));
    return call ? `**${String(s.path.at(-1))}**: ${describeDomain(call.result)}` : undefined;
  }
  if (section === "stop" && s.path.length === 2 && typeof option === "string") {
    return `**${option}** — stop a trial once its reported \`${option}\` reaches this value (≥).`;
  }
  // Executor keys depend on its kind, and hosts[n] and sync have keys of their own.
  const leaf = s.path.at(-1);
  const executorDocs = executorDocsAt(ev.value, s.path.slice(0, -1));
  if (executorDocs && typeof leaf === "string") {
    const doc = executorDocs[leaf];
    return doc ? optionMarkdown(s.path.map((k, i) => (typeof k === "number" ? `[${k}]` : i > 0 ? `.${k}` : k)).join(""), doc) : undefined;
  }
  if (s.path.length === 2 && typeof section === "string" && typeof option === "string") {
    const doc = SECTIONS[section]?.[option];
    return doc ? optionMarkdown(`${section}.${option}`, doc) : undefined;
  }
  return undefined;
}

function helperMarkdown(call: HelperCall): string {
  const doc = HELPER_DOCS[call.name];
  const head = doc ? `\`${doc.signature}\` — ${doc.summary}` : `\`${call.name}\``;
  const tag = (call.result as { __tunelab?: unknown } | undefined)?.__tunelab;
  return typeof tag === "string" ? `${head}\n\n${describeDomain(call.result)}` : head;
}

const fmt = (x: unknown): string => {
  if (typeof x === "number") return Number.isInteger(x) ? String(x) : Number(x.toPrecision(4)).toString();
  if (isDynamic(x)) return "(computed)";
  return JSON.stringify(x) ?? String(x);
};

/** What a domain samples, in words, with example draws when its fields are all known and valid. */
export function describeDomain(value: unknown): string {
  if (isDynamic(value) || typeof value !== "object" || value === null) return "computed when the config runs";
  const d = value as Record<string, unknown> & { __tunelab: string };
  const known = (...fields: string[]): boolean => fields.every((f) => typeof d[f] === "number");
  const [lo, hi, q, base] = [fmt(d.lower), fmt(d.upper), fmt(d.q), fmt(d.base)];
  let what: string;
  switch (d.__tunelab) {
    case "uniform": what = `a float in [${lo}, ${hi}), linear scale`; break;
    case "quniform": what = `a float in [${lo}, ${hi}] quantised to multiples of ${q}, linear scale`; break;
    case "loguniform": what = `a float in [${lo}, ${hi}), log scale (base ${base}): each decade equally likely`; break;
    case "qloguniform": what = `a float in [${lo}, ${hi}] quantised to multiples of ${q}, log scale (base ${base})`; break;
    case "randn": what = `a normal float, mean ${fmt(d.mean)}, sd ${fmt(d.sd)}`; break;
    case "qrandn": what = `a normal float, mean ${fmt(d.mean)}, sd ${fmt(d.sd)}, quantised to multiples of ${q}`; break;
    case "randint": what = `an integer in [${lo}, ${hi}) (upper exclusive)`; break;
    case "qrandint": what = `a multiple of ${q} in [${lo}, ${hi}] (upper inclusive)`; break;
    case "lograndint": what = `an integer in [${lo}, ${hi}), log scale (base ${base})`; break;
    case "choice": what = Array.isArray(d.categories) ? `one of ${d.categories.length} categories, each equally likely` : "one of its categories"; break;
    case "grid": what = Array.isArray(d.values) ? `every one of ${d.values.length} values in turn (× the other grids, × samples)` : "every one of its values in turn"; break;
    case "sample_from": return "computed by a function from the rest of the sampled config (not previewed: the server never runs config code)";
    default: return `unknown distribution "${d.__tunelab}"`;
  }
  const examples = exampleDraws(d as unknown as Domain);
  const ready = known("lower", "upper") || known("mean", "sd") || Array.isArray(d.categories);
  return examples && ready ? `${what}.\n\nExamples (seed ${EXAMPLE_SEED}): ${examples.map(fmt).join(", ")}` : `${what}.`;
}

function exampleDraws(d: Domain): unknown[] | undefined {
  if (d.__tunelab === "grid" || d.__tunelab === "sample_from") return undefined;
  if (validateSpace(d, []).some((p) => p.severity === "error")) return undefined;
  if (Object.values(d).some(isDynamic)) return undefined;
  try {
    const rng = createRng(EXAMPLE_SEED);
    return Array.from({ length: EXAMPLES }, () => sampleDomain(d, rng));
  } catch {
    return undefined;
  }
}

function contains(s: TextSpan, offset: number): boolean {
  return s.start <= offset && offset <= s.end;
}

function innermost<T>(items: T[], spanOf: (t: T) => TextSpan): T | undefined {
  return items.sort((a, b) => (spanOf(a).end - spanOf(a).start) - (spanOf(b).end - spanOf(b).start))[0];
}
