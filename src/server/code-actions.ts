/**
 * Quick fixes for diagnostics that carry enough to fix themselves: swap
 * reversed bounds, replace an unknown key or value with the suggestion, and
 * sample a many-decade range on a log scale.
 */
import { CodeActionKind, type CodeAction, type Diagnostic as LspDiagnostic, type TextEdit } from "vscode-languageserver";
import { SOURCE, toRange, type DiagnosticData } from "./analyze.ts";
import { importEdit } from "./completion.ts";
import { pathKey, type Evaluation, type HelperCall } from "./evaluate.ts";
import { spanAt } from "./locate.ts";

/** Codes whose `suggestion` is a replacement for the offending string value. */
const VALUE_SUGGESTIONS = new Set(["mode-invalid", "unknown-search-kind", "unknown-executor-kind"]);

export function codeActions(ev: Evaluation, uri: string, diagnostics: readonly LspDiagnostic[]): CodeAction[] {
  const out: CodeAction[] = [];
  for (const diag of diagnostics) {
    if (diag.source !== SOURCE || !isData(diag.data)) continue;
    const { path, data } = diag.data;
    const fix = (title: string, edits: TextEdit[], preferred = true): void => {
      out.push({ title, kind: CodeActionKind.QuickFix, diagnostics: [diag], isPreferred: preferred, edit: { changes: { [uri]: edits } } });
    };
    const suggestion = typeof data?.suggestion === "string" ? data.suggestion : undefined;
    const code = String(diag.code);
    if (code === "bounds-reversed") {
      const call = callAt(ev, path);
      const [lo, hi] = call?.args ?? [];
      if (!lo || !hi) continue;
      const text = ev.source.text;
      fix(`Swap the bounds: ${call?.name}(${text.slice(hi.start, hi.end)}, ${text.slice(lo.start, lo.end)})`, [
        { range: toRange(ev, lo), newText: text.slice(hi.start, hi.end) },
        { range: toRange(ev, hi), newText: text.slice(lo.start, lo.end) },
      ]);
    } else if (code === "unknown-key" && suggestion) {
      const key = spanAt(ev, path)?.key;
      if (!key) continue;
      const quoted = /^["']/.test(ev.source.text.slice(key.start, key.end));
      fix(`Change "${String(path.at(-1))}" to "${suggestion}"`, [{ range: toRange(ev, key), newText: quoted ? JSON.stringify(suggestion) : suggestion }]);
    } else if (VALUE_SUGGESTIONS.has(code) && suggestion) {
      const value = spanAt(ev, path)?.value;
      if (!value || !/^["'`]/.test(ev.source.text.slice(value.start, value.end))) continue;
      fix(`Change to "${suggestion}"`, [{ range: toRange(ev, value), newText: JSON.stringify(suggestion) }]);
    } else if (code === "uniform-spans-decades" && typeof data?.helper === "string") {
      const call = callAt(ev, path);
      if (!call) continue;
      const callee = ev.source.text.slice(call.callee.start, call.callee.end);
      // Keep a namespace prefix (`tl.uniform` → `tl.loguniform`); a bare name may need importing.
      const dot = callee.lastIndexOf(".");
      const edits: TextEdit[] = [{ range: toRange(ev, call.callee), newText: `${callee.slice(0, dot + 1)}${data.helper}` }];
      const imp = dot < 0 ? importEdit(ev, data.helper) : undefined;
      if (imp) edits.push(imp);
      fix(`Sample on a log scale: ${data.helper}`, edits);
    }
  }
  return out;
}

function callAt(ev: Evaluation, path: readonly (string | number)[]): HelperCall | undefined {
  const key = pathKey(path);
  return ev.calls.find((c) => pathKey(c.path) === key);
}

function isData(v: unknown): v is DiagnosticData {
  return typeof v === "object" && v !== null && Array.isArray((v as { path?: unknown }).path);
}

