/**
 * Checkpoints of ssh trials stay on the host that wrote them (docs/executors.md). The runner
 * gets a local placeholder (store/checkpoints.ts) instead of the files; the files move only
 * when a restore needs them on another host: then they are fetched home (replacing the
 * placeholder, so a later restore anywhere finds them here) and pushed to the new host.
 */
import { readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import { readRemoteCheckpoint, writeRemoteCheckpoint, type RemoteCheckpointRef } from "../store/checkpoints.ts";
import { shQuote } from "./remote-quote.ts";
import type { SshConnection } from "./ssh-connection.ts";

/** What the checkpoint code needs of a host. */
export interface CheckpointHost {
  name: string;
  conn: SshConnection;
  down: boolean;
  /** While `down`: how long it has not answered and the last error, for messages. */
  silence(): string;
  /** Connects (and syncs code) once; later calls share the first. */
  prepare(): Promise<void>;
  /** Connects without syncing code (fetching a checkpoint must not overwrite the host's code with today's). */
  connect(): Promise<void>;
  /** The host's workdir, absolute (after prepare). */
  workdir(): string;
  /** Deletes `dir` the next time the lost host answers (with the same round trip as its probe). */
  removeLater(dir: string): void;
}

/** Bytes and time spent moving checkpoints, for the benchmark and the tests. */
export interface CheckpointTransfers {
  fetches: number;
  pushes: number;
  bytes: number;
  ms: number;
}

export class RemoteCheckpoints {
  readonly transfers: CheckpointTransfers = { fetches: 0, pushes: 0, bytes: 0, ms: 0 };

  constructor(private readonly hosts: (name: string) => CheckpointHost | undefined) {}

  /** A placeholder in `dest` for the checkpoint the trial reported at `path` on `host`; nothing is copied. */
  placeholder(dest: string, host: string, path: string, attemptDir: string): string {
    writeRemoteCheckpoint(dest, host, posix.isAbsolute(path) ? path : posix.join(attemptDir, path));
    return dest;
  }

  /** Where a copy of the host's checkpoint goes when it is fetched eagerly (executor.checkpoints "eager"). */
  async fetch(host: CheckpointHost, path: string, dest: string): Promise<void> {
    const t0 = Date.now();
    const bytes = await host.conn.fetchDir(path, dest);
    this.count("fetches", bytes, t0);
  }

  /**
   * The restore dir of a trial about to start on `host`, as a path on that host: the remote
   * checkpoint itself when it is there already, else a copy pushed to `remoteDest` (fetched
   * home first when it is on a third host). Throws a retryable error when its host is down.
   */
  async stage(host: CheckpointHost, local: string, remoteDest: string, trialId: string): Promise<string> {
    const ref = readRemoteCheckpoint(local);
    if (ref?.host === host.name) return ref.path;
    if (ref) await this.bringHome(local, ref, trialId);
    const t0 = Date.now();
    await host.conn.sync(local, remoteDest);
    this.count("pushes", dirBytes(local), t0);
    return remoteDest;
  }

  /**
   * Why the checkpoint at `local` cannot be restored now: a placeholder whose host is lost or
   * unknown, or one that names no host. Files here, or on a host that answers: undefined.
   */
  unreachable(local: string): string | undefined {
    let ref: RemoteCheckpointRef | undefined;
    try {
      ref = readRemoteCheckpoint(local);
    } catch (e) {
      return `cannot be read (${e instanceof Error ? e.message : String(e)})`;
    }
    if (!ref) return undefined;
    const host = this.hosts(ref.host);
    if (!host) return `is on host ${ref.host} (${ref.path}), which is not in executor.hosts`;
    return host.down ? `is on host ${ref.host} (${ref.path}), which is lost (${host.silence()})` : undefined;
  }

  /** The host a restore from `local` would read from, when it is a remote placeholder. */
  sourceHost(local: string | undefined): string | undefined {
    if (!local) return undefined;
    try {
      return readRemoteCheckpoint(local)?.host;
    } catch {
      return undefined; // a broken placeholder fails in stage(), with its message
    }
  }

  /**
   * Deletes a remote checkpoint that retention dropped; only inside the host's experiments dir.
   * On a lost host, or when the delete fails, it is deleted once the host answers again.
   */
  remove(ref: RemoteCheckpointRef): void {
    const host = this.hosts(ref.host);
    if (!host) return;
    let root: string;
    try {
      root = `${host.workdir()}/experiments/`;
    } catch {
      return; // never connected in this runner: nothing of ours to delete
    }
    const path = posix.normalize(ref.path);
    // A trial may report any dir as its checkpoint (its data, its home): only our staging dirs are ours to delete.
    if (!path.startsWith(root) || !path.includes("/.staging/")) return;
    if (host.down) return host.removeLater(path);
    void host.conn.exec(`rm -rf -- ${shQuote(path)}`, { timeoutMs: 60_000 }).then((r) => {
      if (r.code !== 0) host.removeLater(path);
    }, () => host.removeLater(path));
  }

  /** Fetches a remote checkpoint into its placeholder's place, so the files are here from now on. */
  async bringHome(local: string, ref: RemoteCheckpointRef, trialId: string): Promise<void> {
    const source = this.hosts(ref.host);
    if (!source) {
      throw Object.assign(new Error(`trial ${trialId}'s checkpoint ${local} is on ssh host ${ref.host}, which is not in executor.hosts`), { retryable: false });
    }
    if (source.down) {
      throw Object.assign(new Error(`trial ${trialId}'s checkpoint is on ssh host ${ref.host} (${ref.path}), which is not answering`), { retryable: true });
    }
    await source.connect();
    const tmp = `${local}.fetching`;
    rmSync(tmp, { recursive: true, force: true });
    const t0 = Date.now();
    const bytes = await source.conn.fetchDir(ref.path, tmp);
    this.count("fetches", bytes, t0);
    rmSync(local, { recursive: true, force: true });
    renameSync(tmp, local);
  }

  private count(kind: "fetches" | "pushes", bytes: number, t0: number): void {
    this.transfers[kind] += 1;
    this.transfers.bytes += bytes;
    this.transfers.ms += Date.now() - t0;
  }
}

/** Total size of the files under `dir`. */
function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}
