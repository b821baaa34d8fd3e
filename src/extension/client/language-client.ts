/**
 * Starts the tune.config.ts language server (dist/server.cjs) with vscode-languageclient. The
 * server only parses files, never runs them, so it also runs in untrusted workspaces. It is
 * started after activation, when a config is first opened, to keep activation cheap.
 */
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";

export class ConfigLanguageClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<void> | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly context: vscode.ExtensionContext) {
    const glob = (): string => vscode.workspace.getConfiguration("tunelab").get<string>("configGlob", "**/tune.config.ts");
    const matches = (doc: vscode.TextDocument): boolean =>
      vscode.languages.match([{ pattern: "**/tune.config.ts" }, { pattern: glob() }], doc) > 0;
    if (vscode.workspace.textDocuments.some(matches)) void this.start();
    this.subscription = vscode.workspace.onDidOpenTextDocument((doc) => {
      if (matches(doc)) void this.start();
    });
  }

  /** Starts the client once; later calls wait for the same start. */
  start(): Promise<void> {
    this.starting ??= (async () => {
      const { LanguageClient, TransportKind } = await import("vscode-languageclient/node");
      const settings = vscode.workspace.getConfiguration("tunelab");
      const module = this.context.asAbsolutePath("dist/server.cjs");
      const glob = settings.get<string>("configGlob", "**/tune.config.ts");
      this.client = new LanguageClient("tunelab", "Tunelab config", {
        run: { module, transport: TransportKind.ipc },
        debug: { module, transport: TransportKind.ipc, options: { execArgv: ["--nolazy", "--inspect=6010"] } },
      }, {
        documentSelector: [
          { scheme: "file", language: "typescript", pattern: "**/tune.config.ts" },
          { scheme: "file", language: "typescript", pattern: glob },
          { scheme: "untitled", language: "typescript", pattern: "**/tune.config.ts" },
        ],
        synchronize: { configurationSection: "tunelab" },
        initializationOptions: { gpus: settings.get<number>("gpus"), detectGpus: true },
      });
      await this.client.start();
    })();
    return this.starting;
  }

  dispose(): void {
    this.subscription.dispose();
    void this.client?.stop();
  }
}
