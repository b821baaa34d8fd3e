/**
 * An LSP client and the Tunelab server in one process, joined by two pipes:
 * the real protocol (JSON-RPC framing, capabilities, notifications) without a
 * child process, so tests can await exactly the message they expect.
 */
import { PassThrough } from "node:stream";
import { pathToFileURL } from "node:url";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { createConnection, ProposedFeatures } from "vscode-languageserver/node";
import type { Diagnostic, PublishDiagnosticsParams } from "vscode-languageserver";
import { startServer, type ServerOptions, type ServerSettings } from "../../src/server/server.ts";

export interface TestClient {
  rpc: MessageConnection;
  /** Every publishDiagnostics received, in order. */
  log: PublishDiagnosticsParams[];
  open(path: string, text: string): Promise<Diagnostic[]>;
  change(path: string, text: string): Promise<Diagnostic[]>;
  /** A didChange without waiting for its diagnostics; resolves to the new version. */
  edit(path: string, text: string): Promise<number>;
  /** The next diagnostics published for `path` at `version` or later. */
  diagnostics(path: string, version: number): Promise<Diagnostic[]>;
  close(): void;
}

export const uriOf = (path: string): string => pathToFileURL(path).href;

export async function startClient(settings: ServerSettings = { gpus: 0 }, options: ServerOptions = {}): Promise<TestClient> {
  const up = new PassThrough();
  const down = new PassThrough();
  const server = createConnection(ProposedFeatures.all, new StreamMessageReader(up), new StreamMessageWriter(down));
  startServer(server, { debounceMs: 5, ...options });
  const rpc = createMessageConnection(new StreamMessageReader(down), new StreamMessageWriter(up));
  const published: PublishDiagnosticsParams[] = [];
  const log: PublishDiagnosticsParams[] = [];
  const waiters = new Set<() => void>();
  rpc.onNotification("textDocument/publishDiagnostics", (p: PublishDiagnosticsParams) => {
    published.push(p);
    log.push(p);
    for (const w of waiters) w();
  });
  rpc.listen();
  await rpc.sendRequest("initialize", { processId: null, rootUri: null, capabilities: {}, initializationOptions: settings });
  await rpc.sendNotification("initialized", {});
  const versions = new Map<string, number>();

  const diagnostics = (path: string, version: number): Promise<Diagnostic[]> => new Promise((resolve, reject) => {
    const uri = uriOf(path);
    const check = (): boolean => {
      const hit = published.find((p) => p.uri === uri && (p.version ?? 0) >= version);
      if (!hit) return false;
      published.splice(published.indexOf(hit), 1);
      waiters.delete(waiter);
      clearTimeout(timer);
      resolve(hit.diagnostics);
      return true;
    };
    const waiter = (): void => { check(); };
    const timer = setTimeout(() => { waiters.delete(waiter); reject(new Error(`no diagnostics for ${path} v${version} within 5 s`)); }, 5000);
    if (!check()) waiters.add(waiter);
  });

  const edit = async (path: string, text: string): Promise<number> => {
    const version = (versions.get(path) ?? 1) + 1;
    versions.set(path, version);
    await rpc.sendNotification("textDocument/didChange", { textDocument: { uri: uriOf(path), version }, contentChanges: [{ text }] });
    return version;
  };

  return {
    rpc,
    log,
    diagnostics,
    edit,
    async open(path, text) {
      versions.set(path, 1);
      await rpc.sendNotification("textDocument/didOpen", { textDocument: { uri: uriOf(path), languageId: "typescript", version: 1, text } });
      return diagnostics(path, 1);
    },
    async change(path, text) {
      return diagnostics(path, await edit(path, text));
    },
    close() {
      rpc.dispose();
      server.dispose();
      up.end();
      down.end();
    },
  };
}

/** Offset of the first `marker` in text (plus `delta`), as an LSP position. */
export function positionOf(text: string, marker: string, delta = 0): { line: number; character: number } {
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`marker ${JSON.stringify(marker)} not in text`);
  const before = text.slice(0, at + delta);
  const line = before.split("\n").length - 1;
  return { line, character: before.length - before.lastIndexOf("\n") - 1 };
}
