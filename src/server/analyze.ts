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
  // validateExtra's rules may already be hooked into validateConfig: keep one of each.
  // TODO(schedulers): once src/engine/schedulers/validate.ts lands and validateConfig calls it, its rules arrive here too.
  const seen = new Set<string>();
  const problems: Located[] = [];
  for (const d of [...validateConfig(evaluation.value, env), ...validateExtra(evaluation.value, env)]) {
    const id = `${d.code}\u0000${pathKey(d.path)}\u0000${d.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    problems.push({ diagnostic: d, span: locate(d, evaluation) });
  }
  return { evaluation, problems };
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
