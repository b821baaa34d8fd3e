/**
 * One document's analysis: evaluate the syntax, run the shared validation
 * rules on it, and place each problem in the source. Pure: no LSP, no I/O
 * beyond the rules' fileExists.
 */
import { type Diagnostic as LspDiagnostic, DiagnosticSeverity, type Range } from "vscode-languageserver";
import type { Diagnostic } from "../engine/space/diagnostics.ts";
import { pathKey } from "./evaluate.ts";
import { validateExtra } from "../engine/space/validate-extra.ts";
import { validateConfig } from "../engine/space/validate.ts";
import { validateScheduler, type SchedulerValidationContext } from "../engine/schedulers/validate.ts";
import { isDynamic } from "../engine/space/diagnostics.ts";
import { isDomain } from "../engine/space/domains.ts";
import { isPlainObject } from "../engine/space/variants.ts";
import { validationEnv, type MachineFacts } from "./environment.ts";
import { evaluateConfig, type Evaluation, type TextSpan } from "./evaluate.ts";
import { locate } from "./locate.ts";

export interface Located { diagnostic: Diagnostic; span: TextSpan }

export interface Analysis {
  evaluation: Evaluation;
  problems: Located[];
}

/** The LSP `source` of every diagnostic this server publishes. */
export const SOURCE = "tunelab";

/** Evaluate and validate `text`; `configPath` (absolute) enables the file-existence rules. */
export function analyze(text: string, configPath: string | undefined, facts: MachineFacts): Analysis {
  const evaluation = evaluateConfig(text, configPath ?? "tune.config.ts");
  if (evaluation.value === undefined) {
    const missing: Diagnostic = { path: [], severity: "error", code: "no-default-export", message: "the config must `export default defineConfig({...})`" };
    return { evaluation, problems: [{ diagnostic: missing, span: { start: 0, end: 0 } }] };
  }
  const env = validationEnv(evaluation.value, configPath, facts);
  // validateExtra and validateScheduler may already be hooked into validateConfig: one
  // diagnostic per code and path (two rules that say the same thing at the same place).
  const seen = new Set<string>();
  const problems: Located[] = [];
  const c = evaluation.value;
  const scheduler = isPlainObject(c) && !isDynamic(c) ? validateScheduler(c.scheduler, schedulerContext(c)) : [];
  for (const d of [...validateConfig(c, env), ...validateExtra(c, env), ...scheduler]) {
    const id = `${d.code}\u0000${pathKey(d.path)}`;
    if (seen.has(id)) continue;
    seen.add(id);
    problems.push({ diagnostic: d, span: locate(d, evaluation) });
  }
  return { evaluation, problems };
}

/** What validateScheduler checks PBT's mutations and the objective against. */
function schedulerContext(c: Record<string, unknown>): SchedulerValidationContext {
  const ctx: SchedulerValidationContext = { metric: c.metric, mode: c.mode };
  if (isPlainObject(c.space) && !isDynamic(c.space)) {
    ctx.space = c.space;
    ctx.spaceKeys = leafPaths(c.space, []);
  }
  return ctx;
}

function leafPaths(node: Record<string, unknown>, at: string[]): string[][] {
  return Object.entries(node).flatMap(([k, v]) =>
    isPlainObject(v) && !isDomain(v) && !isDynamic(v) ? leafPaths(v, [...at, k]) : [[...at, k]]);
}

export function toRange(ev: Evaluation, span: TextSpan): Range {
  return { start: ev.source.getLineAndCharacterOfPosition(span.start), end: ev.source.getLineAndCharacterOfPosition(span.end) };
}

/** What code actions need back from a published diagnostic. */
export interface DiagnosticData { path: (string | number)[]; data?: Diagnostic["data"] }

export function toLsp(a: Analysis): LspDiagnostic[] {
  return a.problems.map(({ diagnostic: d, span }) => ({
    range: toRange(a.evaluation, span),
    severity: d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    source: SOURCE,
    code: d.code,
    message: d.message,
    data: { path: d.path, ...(d.data ? { data: d.data } : {}) } satisfies DiagnosticData,
  }));
}
