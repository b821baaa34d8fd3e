/**
 * `tunelab-remote:` — a read-only file system for trial and checkpoint files,
 * so the editor opens them read-only and local and remote checkpoints look the
 * same: `tunelab-remote://<host>/<abs path>` for a file on ssh host <host>, and
 * `tunelab-remote:/<abs path>` (no authority) for this machine, so that no ssh
 * host name, `local` included, can stand for this machine. A checkpoint kept on
 * an ssh host is read through the bundled CLI (fs/cli-source.ts), registered per
 * host when the tree first shows one.
 */
import * as vscode from "vscode";
import { readdir, readFile, stat } from "node:fs/promises";

export const REMOTE_SCHEME = "tunelab-remote";
/** The authority of this machine's files: empty, which no ssh host name is (config validation says so). */
export const LOCAL_HOST = "";

/** Where files of one host come from; every method is read-only. */
export interface CheckpointSource {
  stat(path: string): Promise<vscode.FileStat>;
  readDirectory(path: string): Promise<[string, vscode.FileType][]>;
  readFile(path: string): Promise<Uint8Array>;
}

/** The URI of `path` on `host` (default this machine). */
export function trialFileUri(path: string, host = LOCAL_HOST): vscode.Uri {
  return vscode.Uri.from({ scheme: REMOTE_SCHEME, authority: host, path });
}

export const localSource: CheckpointSource = {
  async stat(path) {
    const s = await stat(path).catch((e: NodeJS.ErrnoException) => {
      throw e.code === "ENOENT" ? vscode.FileSystemError.FileNotFound(path) : e;
    });
    return { type: s.isDirectory() ? vscode.FileType.Directory : vscode.FileType.File, ctime: s.ctimeMs, mtime: s.mtimeMs, size: s.size, permissions: vscode.FilePermission.Readonly };
  },
  async readDirectory(path) {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.map((e) => [e.name, e.isDirectory() ? vscode.FileType.Directory : vscode.FileType.File] as [string, vscode.FileType]);
  },
  async readFile(path) {
    return readFile(path).catch((e: NodeJS.ErrnoException) => {
      throw e.code === "ENOENT" ? vscode.FileSystemError.FileNotFound(path) : e;
    });
  },
};

export class TrialFileSystem implements vscode.FileSystemProvider {
  private readonly sources = new Map<string, CheckpointSource>([[LOCAL_HOST, localSource]]);
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;

  /** Makes `host`'s files browsable (the SSH/Slurm executors call this). */
  register(host: string, source: CheckpointSource): vscode.Disposable {
    this.sources.set(host, source);
    return new vscode.Disposable(() => this.sources.delete(host));
  }

  /** Registers `make()` for `host` unless a source serves it already (the first experiment that names the host wins). */
  ensure(host: string, make: () => CheckpointSource): void {
    if (!this.sources.has(host)) this.sources.set(host, make());
  }

  private source(uri: vscode.Uri): CheckpointSource {
    const s = this.sources.get(uri.authority);
    if (!s) throw vscode.FileSystemError.Unavailable(`Tunelab: no connection to host ${uri.authority} for ${uri.path}`);
    return s;
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined); // checkpoints never change once written
  }
  stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    return this.source(uri).stat(uri.path);
  }
  readDirectory(uri: vscode.Uri): Promise<[string, vscode.FileType][]> {
    return this.source(uri).readDirectory(uri.path);
  }
  readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return this.source(uri).readFile(uri.path);
  }
  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
  writeFile(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }
}
