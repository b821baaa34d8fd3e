/**
 * Completion: option keys with snippets, distribution and other helpers where
 * a value of their kind goes (adding the import when missing), and metric
 * names this config's past runs reported.
 */
import { CompletionItemKind, InsertTextFormat, type CompletionItem, type TextEdit } from "vscode-languageserver";
import ts from "typescript";
import type { KeyPath } from "../engine/space/path.ts";
import { toRange } from "./analyze.ts";
import { contextAt, type CursorContext } from "./context.ts";
import { HELPER_DOCS, HELPERS_FOR, SECTIONS, TOP_LEVEL, optionMarkdown, type OptionDoc } from "./docs.ts";
import type { Evaluation } from "./evaluate.ts";
import type { PastMetric } from "./metrics.ts";
import { executorDocsAt } from "./executor-docs.ts";

/** Paths whose value is a metric name, and those whose value is "min" | "max". */
const METRIC_VALUE = (p: KeyPath): boolean =>
  (p.length === 1 && p[0] === "metric") || (p[0] === "checkpoints" && p[1] === "scoreAttr") || (p[0] === "stop" && p.at(-1) === "metric");
const MODE_VALUE = (p: KeyPath): boolean =>
  (p.length === 1 && p[0] === "mode") || (p[0] === "checkpoints" && p[1] === "scoreOrder") || (p[0] === "stop" && p.at(-1) === "mode");

export function completeAt(ev: Evaluation, offset: number, metrics: () => PastMetric[]): CompletionItem[] {
  const ctx = contextAt(ev, offset);
  if (!ctx) return [];
  if (ctx.kind === "key") return keyItems(ev, ctx, metrics);
  if (METRIC_VALUE(ctx.path)) return metrics().map((m, i) => stringItem(ev, ctx, m.name, m.auto ? "reported (auto-filled)" : "reported by a past run", i));
  if (MODE_VALUE(ctx.path)) return ["min", "max"].map((v, i) => stringItem(ev, ctx, v, undefined, i));
  if (ctx.string) return [];
  const section = ctx.path[0];
  const inSpace = section === "space" && ctx.path.length >= 2;
  const inSection = ctx.path.length === 1 || (section === "stop" && ctx.path.length === 2 && typeof ctx.path[1] === "number");
  const names = inSpace ? HELPERS_FOR.space : inSection && typeof section === "string" ? HELPERS_FOR[section] : undefined;
  return (names ?? []).map((name, i) => helperItem(ev, name, i));
}

function keyItems(ev: Evaluation, ctx: CursorContext, metrics: () => PastMetric[]): CompletionItem[] {
  const [section] = ctx.path;
  // Executor keys depend on its kind (a host's `cpus` is not the local executor's).
  const executorDocs = executorDocsAt(ev.value, ctx.path);
  if (executorDocs) return optionItems(executorDocs, ctx.present);
  if (ctx.path.length === 0) return optionItems(TOP_LEVEL, ctx.present);
  if (ctx.path.length === 1 && section === "stop") {
    return metrics().filter((m) => !ctx.present.has(m.name)).map((m, i) => ({
      label: m.name,
      kind: CompletionItemKind.Field,
      detail: `stop once ${m.name} ≥ threshold`,
      insertText: `${m.name}: \${1}`,
      insertTextFormat: InsertTextFormat.Snippet,
      sortText: String(i).padStart(4, "0"),
    }));
  }
  const docs = ctx.path.length === 1 && typeof section === "string" ? SECTIONS[section] : undefined;
  return docs ? optionItems(docs, ctx.present) : [];
}

function optionItems(docs: Readonly<Record<string, OptionDoc>>, present: Set<string>): CompletionItem[] {
  return Object.entries(docs).filter(([key]) => !present.has(key)).map(([key, doc], i) => ({
    label: key,
    kind: CompletionItemKind.Property,
    detail: doc.default !== undefined ? `default: ${doc.default}` : undefined,
    documentation: { kind: "markdown", value: optionMarkdown(key, doc) },
    insertText: doc.snippet ?? `${key}: \${1}`,
    insertTextFormat: InsertTextFormat.Snippet,
    sortText: String(i).padStart(4, "0"),
  }));
}

function stringItem(ev: Evaluation, ctx: CursorContext, value: string, detail: string | undefined, i: number): CompletionItem {
  const item: CompletionItem = { label: value, kind: CompletionItemKind.Value, sortText: String(i).padStart(4, "0"), ...(detail ? { detail } : {}) };
  const s = ctx.string;
  if (!s) return { ...item, insertText: JSON.stringify(value) };
  // Replace the string's contents, keeping the quotes the user typed.
  const text = ev.source.text;
  const start = s.getStart() + 1;
  const closed = s.getEnd() - start >= 1 && text[s.getEnd() - 1] === text[s.getStart()];
  const end = closed ? s.getEnd() - 1 : s.getEnd();
  return { ...item, textEdit: { range: toRange(ev, { start, end }), newText: value }, filterText: value };
}

function helperItem(ev: Evaluation, name: string, i: number): CompletionItem {
  const doc = HELPER_DOCS[name];
  const edit = importEdit(ev, name);
  return {
    label: name,
    kind: CompletionItemKind.Function,
    ...(doc ? { detail: doc.signature, documentation: { kind: "markdown" as const, value: doc.summary } } : {}),
    insertText: doc?.snippet ?? `${name}($1)`,
    insertTextFormat: InsertTextFormat.Snippet,
    sortText: String(i).padStart(4, "0"),
    ...(edit ? { additionalTextEdits: [edit] } : {}),
  };
}

/** The edit that imports `name` from "tunelab", or undefined when it is already in scope. */
export function importEdit(ev: Evaluation, name: string): TextEdit | undefined {
  for (const [local, imported] of ev.helperNames) if (local === name && imported === name) return undefined;
  const decl = ev.tunelabImport;
  const named = decl?.importClause?.namedBindings;
  if (named && ts.isNamedImports(named)) {
    const last = named.elements.at(-1);
    const at = last ? last.getEnd() : named.getStart() + 1;
    return { range: toRange(ev, { start: at, end: at }), newText: last ? `, ${name}` : ` ${name} ` };
  }
  if (declares(ev.source, name)) return undefined;
  return { range: toRange(ev, { start: 0, end: 0 }), newText: `import { ${name} } from "tunelab";\n` };
}

/** Whether the file declares or imports `name` itself (then it is not ours to import). */
function declares(source: ts.SourceFile, name: string): boolean {
  return source.statements.some((s) => {
    if (ts.isImportDeclaration(s)) {
      const nb = s.importClause?.namedBindings;
      if (nb && ts.isNamespaceImport(nb)) return nb.name.text === name;
      return s.importClause?.name?.text === name || (nb !== undefined && ts.isNamedImports(nb) && nb.elements.some((e) => e.name.text === name));
    }
    if (ts.isVariableStatement(s)) return s.declarationList.declarations.some((d) => ts.isIdentifier(d.name) && d.name.text === name);
    return (ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && s.name?.text === name;
  });
}
