/**
 * A CheckpointSource for one ssh host of an experiment: every read goes
 * through the bundled CLI (`tunelab checkpoint ls|cat <exp> <host> <path>`),
 * so the extension never opens ssh itself (ARCHITECTURE.md: it talks to the
 * engine through the CLI). Runs ssh with the experiment's ssh config, so it is
 * only created in a trusted workspace.
 */
import * as vscode from "vscode";
import { execFile } from "node:child_process";
import type { CheckpointSource } from "./remote-fs.ts";
import { cliMessage, isNotFound, listingArgs, ListingCache, parseListing, type ListedEntry } from "./cli-listing.ts";

interface CliOutput {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs the bundled CLI with node semantics (VS Code's execPath is Electron). */
export function runCli(cli: string, args: readonly string[], timeoutMs = 600_000): Promise<CliOutput> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], {
      encoding: "buffer", maxBuffer: 1 << 30, timeout: timeoutMs, env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" },
    }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr: stderr.toString("utf8") || (error && typeof error.code !== "number" ? error.message : "") });
    });
  });
}

export class CliCheckpointSource implements CheckpointSource {
  private readonly listings = new ListingCache<ListedEntry>(10_000);

  constructor(private readonly cli: string, private readonly expDir: string, private readonly host: string) {}

  private list(path: string): Promise<ListedEntry> {
    return this.listings.get(path, async () => {
      const r = await runCli(this.cli, listingArgs("ls", this.expDir, this.host, path), 120_000);
      if (r.code !== 0) throw this.error(r, path);
      return parseListing(r.stdout.toString("utf8"), this.host, path);
    });
  }

  async stat(path: string): Promise<vscode.FileStat> {
    const e = await this.list(path);
    return { type: e.type === "dir" ? vscode.FileType.Directory : vscode.FileType.File, ctime: e.mtime, mtime: e.mtime, size: e.size, permissions: vscode.FilePermission.Readonly };
  }

  async readDirectory(path: string): Promise<[string, vscode.FileType][]> {
    const e = await this.list(path);
    if (!e.entries) throw vscode.FileSystemError.FileNotADirectory(`${this.host}:${path}`);
    return e.entries.map(([name, type]) => [name, type === "dir" ? vscode.FileType.Directory : vscode.FileType.File]);
  }

  async readFile(path: string): Promise<Uint8Array> {
    const r = await runCli(this.cli, listingArgs("cat", this.expDir, this.host, path));
    if (r.code !== 0) throw this.error(r, path);
    return r.stdout;
  }

  private error(r: CliOutput, path: string): Error {
    const message = `Tunelab: ${cliMessage(r.stderr, `reading ${this.host}:${path} failed (exit ${r.code})`)}`;
    return isNotFound(r.code) ? vscode.FileSystemError.FileNotFound(message) : vscode.FileSystemError.Unavailable(message);
  }
}
