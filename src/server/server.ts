/**
 * The language server: wires the analysis, hover, completion, inlay hints and
 * quick fixes to an LSP connection. It only reads config files (never
 * executes them), so it is safe in untrusted workspaces.
 */
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CodeActionKind, TextDocuments, TextDocumentSyncKind,
  type Connection, type InitializeParams, type InitializeResult,
} from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { detectGpus } from "../engine/resources.ts";
import { isDynamic } from "../engine/space/diagnostics.ts";
import { isPlainObject } from "../engine/space/variants.ts";
import { analyze, toLsp, type Analysis } from "./analyze.ts";
import { codeActions } from "./code-actions.ts";
import { completeAt } from "./completion.ts";
import { localMachine, type MachineFacts } from "./environment.ts";
import { hoverAt } from "./hover.ts";
import { inlayHints } from "./inlay-hints.ts";
import { PastMetrics } from "./metrics.ts";

/** `initializationOptions` and the `tunelab` settings section the client may send. */
export interface ServerSettings {
  /** GPUs available to trials; skips nvidia-smi. */
  gpus?: number;
  /** Ask nvidia-smi (once, in the background) when `gpus` is not set. Default true. */
  detectGpus?: boolean;
  /** Milliseconds between the last keystroke and validation (initializationOptions only). */
  debounceMs?: number;
}

export interface ServerOptions {
  /** Coalesces keystrokes: diagnostics run this long after the last change. Default 100 ms. */
  debounceMs?: number;
  /** How GPUs are counted when no setting says; default: the runner's detectGpus (TUNELAB_GPUS, then nvidia-smi). */
  detectGpus?: () => Promise<number>;
}

export function startServer(connection: Connection, options: ServerOptions = {}): void {
  const documents = new TextDocuments(TextDocument);
  let debounceMs = options.debounceMs ?? 100;
  const facts: MachineFacts = localMachine();
  const metrics = new PastMetrics();
  const timers = new Map<string, NodeJS.Timeout>();
  const cache = new Map<string, { version: number; analysis: Analysis }>();
  let detect = true;
  let detecting = false;

  const applySettings = (s: unknown): void => {
    if (typeof s !== "object" || s === null) return;
    const settings = s as ServerSettings;
    if (typeof settings.gpus === "number" && Number.isFinite(settings.gpus) && settings.gpus >= 0) facts.gpusSetting = settings.gpus;
    else delete facts.gpusSetting;
    if (settings.detectGpus === false) detect = false;
  };

  /** The analysis of a document's current text, computed at most once per version. */
  const analysisOf = (doc: TextDocument): Analysis => {
    const hit = cache.get(doc.uri);
    if (hit && hit.version === doc.version) return hit.analysis;
    const analysis = analyze(doc.getText(), filePath(doc.uri), facts);
    cache.set(doc.uri, { version: doc.version, analysis });
    return analysis;
  };

  const publish = (uri: string): void => {
    timers.delete(uri);
    const doc = documents.get(uri);
    if (!doc) return;
    if (needsGpus(doc)) learnGpus();
    void connection.sendDiagnostics({ uri, version: doc.version, diagnostics: toLsp(analysisOf(doc)) }).catch(() => undefined);
  };

  const schedule = (uri: string): void => {
    clearTimeout(timers.get(uri));
    timers.set(uri, setTimeout(() => publish(uri), debounceMs));
  };

  const revalidateAll = (): void => {
    cache.clear();
    for (const doc of documents.all()) schedule(doc.uri);
  };

  /** Only a config that asks for GPUs makes us run nvidia-smi. */
  const needsGpus = (doc: TextDocument): boolean => {
    if (!detect || detecting || facts.gpusSetting !== undefined || facts.gpusDetected !== undefined) return false;
    const c = analysisOf(doc).evaluation.value;
    const r = isPlainObject(c) ? c.resources : undefined;
    return isPlainObject(r) && !isDynamic(r) && typeof r.gpu === "number" && r.gpu > 0;
  };

  const learnGpus = (): void => {
    detecting = true;
    (options.detectGpus ?? detectGpus)().then((n) => {
      facts.gpusDetected = n;
      revalidateAll();
    }, (error: unknown) => {
      connection.console.warn(`Tunelab: could not count GPUs (${error instanceof Error ? error.message : String(error)}); the GPU rule is skipped`);
    });
  };

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    applySettings(params.initializationOptions);
    const d = (params.initializationOptions as ServerSettings | undefined)?.debounceMs;
    if (typeof d === "number" && d >= 0) debounceMs = d;
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['"', "'"] },
        inlayHintProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      },
      serverInfo: { name: "tunelab-language-server" },
    };
  });

  connection.onDidChangeConfiguration((change) => {
    const settings = (change.settings as { tunelab?: unknown } | undefined)?.tunelab;
    if (settings !== undefined) {
      applySettings(settings);
      revalidateAll();
    }
  });

  documents.onDidChangeContent((e) => schedule(e.document.uri));
  documents.onDidClose((e) => {
    clearTimeout(timers.get(e.document.uri));
    timers.delete(e.document.uri);
    cache.delete(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] }).catch(() => undefined);
  });

  connection.onHover((p) => {
    const doc = documents.get(p.textDocument.uri);
    return doc ? hoverAt(analysisOf(doc).evaluation, doc.offsetAt(p.position)) : null;
  });

  connection.onCompletion((p) => {
    const doc = documents.get(p.textDocument.uri);
    if (!doc) return [];
    const ev = analysisOf(doc).evaluation;
    const path = filePath(doc.uri);
    return completeAt(ev, doc.offsetAt(p.position), () => {
      if (!path) return [];
      const c = ev.value;
      const storage = isPlainObject(c) && typeof c.storage === "string" ? c.storage : ".tunelab";
      return metrics.names(path, isAbsolute(storage) ? storage : resolve(dirname(path), storage));
    });
  });

  connection.languages.inlayHint.on((p) => {
    const doc = documents.get(p.textDocument.uri);
    return doc ? inlayHints(analysisOf(doc).evaluation) : [];
  });

  connection.onCodeAction((p) => {
    const doc = documents.get(p.textDocument.uri);
    return doc ? codeActions(analysisOf(doc).evaluation, doc.uri, p.context.diagnostics) : [];
  });

  connection.onShutdown(() => {
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
  });

  documents.listen(connection);
  connection.listen();
}

/** The file path of a `file:` URI; other schemes (untitled, remote) get no file-system rules. */
function filePath(uri: string): string | undefined {
  return uri.startsWith("file:") ? fileURLToPath(uri) : undefined;
}
