/**
 * Checkpoints an ssh experiment kept on its hosts, reached after the run from
 * the experiment's own executor config: fetched home into their placeholders
 * (the Tuner's ResultGrid, `tunelab checkpoint fetch`, the extension's "Fetch
 * checkpoint"), or listed and read in place (`tunelab checkpoint ls|cat`, which
 * the extension's read-only `tunelab-remote:` file system calls).
 *
 * Only the ssh connection is used, never the executor: a fetch must not sync
 * code to the host (another experiment may be running from that workdir).
 */
import { renameSync, rmSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import type { ExecutorSpec, SshExecutorSpec } from "../config.ts";
import { readRemoteCheckpoint, type RemoteCheckpointRef } from "../store/checkpoints.ts";
import { readExperimentJson } from "../store/experiment-dir.ts";
import { sshConfigPath } from "../executors/index.ts";
import { SshConnection } from "../executors/ssh-connection.ts";
import { shQuote } from "../executors/remote-quote.ts";

/** Where an experiment's checkpoints can be reached from: its executor config and config file. */
export interface CheckpointAccess {
  executor: ExecutorSpec | undefined;
  /** tune.config.ts of the experiment: a relative `sshConfig` is read from its folder. */
  configPath: string;
}

/** The executor config an experiment ran with, as experiment.json recorded it. */
export function experimentAccess(expDir: string): CheckpointAccess | undefined {
  const meta = readExperimentJson(expDir) as { configPath?: string; spec?: { executor?: ExecutorSpec } } | undefined;
  if (!meta?.configPath) return undefined;
  return { executor: meta.spec?.executor, configPath: meta.configPath };
}

/** One file or dir on a host, as `tunelab checkpoint ls --json` prints it. */
export interface RemoteEntry {
  type: "file" | "dir";
  size: number;
  /** Modification time, ms since the epoch. */
  mtime: number;
  /** A dir's entries (name and type), sorted by name. */
  entries?: [string, "file" | "dir"][];
}

export class CheckpointHosts {
  private readonly conns = new Map<string, SshConnection>();

  constructor(private readonly access: CheckpointAccess) {}

  /**
   * Fetches the files of the placeholder `localDir` into its place and returns what it stood for;
   * undefined (nothing done) when the files are here already.
   */
  async fetch(localDir: string): Promise<RemoteCheckpointRef | undefined> {
    const ref = readRemoteCheckpoint(localDir);
    if (!ref) return undefined;
    const conn = this.connection(ref.host, `checkpoint ${localDir}`);
    // Into a side dir first: an interrupted fetch leaves the placeholder, never half the files.
    const tmp = `${localDir}.fetching`;
    rmSync(tmp, { recursive: true, force: true });
    try {
      await conn.fetchDir(ref.path, tmp);
    } catch (error) {
      rmSync(tmp, { recursive: true, force: true });
      throw new Error(`checkpoint ${localDir} could not be fetched from ssh host ${ref.host} (${ref.path}): ${(error as Error).message}`, { cause: error });
    }
    rmSync(localDir, { recursive: true, force: true });
    renameSync(tmp, localDir);
    return ref;
  }

  /** What `path` on `host` is; a dir comes with its entries. */
  async list(host: string, path: string): Promise<RemoteEntry> {
    const conn = this.connection(host, path);
    // find -L follows links as the editor would; depth 0 is the path itself. NUL-separated: names may hold newlines.
    const r = await conn.exec(`find -L ${shQuote(path)} -maxdepth 1 -printf '%d\\t%y\\t%s\\t%T@\\t%f\\0'`, { timeoutMs: 60_000 });
    if (r.code !== 0 && r.stdout.length === 0) throw remoteError(host, path, r.stderr);
    return parseFindListing(r.stdout.toString("utf8"), host, path);
  }

  /** The bytes of file `path` on `host`. */
  async read(host: string, path: string): Promise<Buffer> {
    const r = await this.connection(host, path).exec(`cat -- ${shQuote(path)}`, { timeoutMs: 600_000 });
    if (r.code !== 0) throw remoteError(host, path, r.stderr);
    return r.stdout;
  }

  private connection(host: string, what: string): SshConnection {
    const spec = this.access.executor;
    if (spec?.kind !== "ssh") {
      throw new Error(`${what} is on ssh host ${host}, but the experiment's executor is ${spec?.kind ?? "local"} (${this.access.configPath}); nothing says how to reach ${host}`);
    }
    if (!spec.hosts.some((h) => h.host === host)) {
      throw new Error(`${what} is on ssh host ${host}, which is not in executor.hosts (${spec.hosts.map((h) => h.host).join(", ")}) of ${this.access.configPath}`);
    }
    let conn = this.conns.get(host);
    if (!conn) this.conns.set(host, (conn = new SshConnection(host, sshOptions(spec, this.access.configPath))));
    return conn;
  }
}

function sshOptions(spec: SshExecutorSpec, configPath: string): { sshConfig?: string } {
  return spec.sshConfig ? { sshConfig: sshConfigPath(spec.sshConfig, dirname(configPath)) } : {};
}

function remoteError(host: string, path: string, stderr: string): Error {
  const message = stderr.trim().split("\n").slice(-2).join(" ") || "no message";
  const missing = /No such file|cannot access|not found/i.test(message);
  return Object.assign(new Error(`${host}:${path}: ${missing ? "no such file or dir on the host" : message}`), { code: missing ? "ENOENT" : "EREMOTE" });
}

/** Parses `find -printf '%d\t%y\t%s\t%T@\t%f\0'` output: depth 0 is the path, depth 1 its entries. */
export function parseFindListing(text: string, host: string, path: string): RemoteEntry {
  let self: RemoteEntry | undefined;
  const entries: [string, "file" | "dir"][] = [];
  for (const record of text.split("\0")) {
    if (!record) continue;
    const [depth, type, size, mtime, ...name] = record.split("\t");
    const kind = type === "d" ? "dir" : "file";
    if (depth === "0") self = { type: kind, size: Number(size) || 0, mtime: Math.round(Number(mtime) * 1000) || 0 };
    else entries.push([name.join("\t"), kind]);
  }
  if (!self) throw Object.assign(new Error(`${host}:${path}: no such file or dir on the host`), { code: "ENOENT" });
  if (self.type === "dir") self.entries = entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return self;
}

/** A checkpoint path from the journal (relative to the experiment dir) as an absolute path. */
export function checkpointPath(expDir: string, path: string): string {
  return isAbsolute(path) ? path : join(expDir, path);
}
