/**
 * Checkpoint retention (Ray's `num_to_keep`, `checkpoint_score_attribute`,
 * `checkpoint_score_order`) as a pure decision, plus the few file moves that
 * persist and remove checkpoint dirs.
 */
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { CheckpointSpec } from "../config.ts";

export interface CheckpointEntry {
  iteration: number;
  path: string;
  /** The value of `scoreAttr` when the checkpoint was saved; missing ranks lowest. */
  score?: number;
}

/**
 * Which checkpoints retention deletes: all but the best `keep` by score (by
 * recency when no `scoreAttr` is set, as Ray does) and the latest, which a
 * restore needs. No `keep` deletes nothing.
 */
export function checkpointsToDelete<C extends CheckpointEntry>(checkpoints: readonly C[], spec: CheckpointSpec | undefined): C[] {
  if (spec?.keep === undefined || checkpoints.length === 0) return [];
  const keep = Math.max(0, Math.floor(spec.keep));
  const max = (spec.scoreOrder ?? "max") === "max";
  const byScore = spec.scoreAttr !== undefined;
  let latest = 0;
  for (let i = 1; i < checkpoints.length; i++) if (checkpoints[i]!.iteration >= checkpoints[latest]!.iteration) latest = i;
  const rank = (c: C): number => {
    const s = byScore ? c.score : c.iteration;
    if (s === undefined || Number.isNaN(s)) return -Infinity;
    return max ? s : -s;
  };
  // Best first; on a tie the newer checkpoint wins. Positions keep duplicates of one path apart.
  const order = checkpoints.map((_, i) => i);
  order.sort((a, b) => rank(checkpoints[b]!) - rank(checkpoints[a]!) || checkpoints[b]!.iteration - checkpoints[a]!.iteration || b - a);
  const kept = new Set(order.slice(0, keep));
  kept.add(latest);
  return checkpoints.filter((_, i) => !kept.has(i));
}

/** The dir name Ray uses for a checkpoint at `iteration`: `checkpoint_000003`. */
export function checkpointDirName(iteration: number): string {
  return `checkpoint_${String(iteration).padStart(6, "0")}`;
}

/**
 * Moves the dir a trial reported (`src`) to `<trialDir>/checkpoint_<iteration>`,
 * replacing one with the same iteration (a restarted trial saves it again).
 * Renames when it can, copies and removes across filesystems. Returns the new path.
 * Synchronous: a rename is one syscall, and the runner must not journal the
 * checkpoint before its dir is in place.
 */
export function persistCheckpoint(src: string, trialDir: string, iteration: number, removeRemote?: (ref: RemoteCheckpointRef) => void): string {
  const dest = join(trialDir, checkpointDirName(iteration));
  if (resolve(src) === resolve(dest)) return dest; // saved in place already
  mkdirSync(trialDir, { recursive: true });
  // A trial that restarted below this iteration reaches it again: the placeholder it replaces
  // is the only record of the earlier run's files on their host, so they go too.
  const replaced = removeRemote ? refOrUndefined(dest) : undefined;
  rmSync(dest, { recursive: true, force: true });
  persistInto(src, dest, iteration);
  const now = replaced && refOrUndefined(dest);
  if (replaced && !replaced.shared && !(now?.host === replaced.host && now.path === replaced.path)) removeRemote?.(replaced);
  return dest;
}

function persistInto(src: string, dest: string, iteration: number): void {
  try {
    renameSync(src, dest);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`checkpoint ${src} (iteration ${iteration}): the reported dir does not exist`, { cause: error });
    if (code !== "EXDEV") throw new Error(`checkpoint ${src} → ${dest}: ${(error as Error).message}`, { cause: error });
    // Another filesystem (e.g. a tmpfs scratch dir): copy to a side name first so `dest` is never half-made.
    const tmp = `${dest}.partial`;
    rmSync(tmp, { recursive: true, force: true });
    cpSync(src, tmp, { recursive: true });
    renameSync(tmp, dest);
    rmSync(src, { recursive: true, force: true });
  }
}

function refOrUndefined(dir: string): RemoteCheckpointRef | undefined {
  try {
    return readRemoteCheckpoint(dir);
  } catch {
    return undefined; // a broken placeholder names nothing to delete
  }
}

/**
 * Deletes a checkpoint dir; one already gone is fine (retention may be replayed after a crash).
 * A placeholder of a checkpoint kept on a remote host hands its reference to `removeRemote`
 * (unless another trial shares it since a PBT exploit).
 */
export function removeCheckpoint(path: string, removeRemote?: (ref: RemoteCheckpointRef) => void): void {
  const ref = readRemoteCheckpoint(path);
  rmSync(path, { recursive: true, force: true });
  if (ref && !ref.shared) removeRemote?.(ref);
}

/**
 * A checkpoint that stays on the host where the trial wrote it (ssh executor): locally a
 * placeholder dir holding only REMOTE_CHECKPOINT_FILE, which says where the files are. The
 * journal and retention treat the placeholder like any checkpoint dir; the executor fetches the
 * files when a restore needs them elsewhere, and the files then replace the placeholder.
 */
export interface RemoteCheckpointRef {
  /** The ssh destination, as in executor.hosts. */
  host: string;
  /** Absolute path on that host. */
  path: string;
  /** `tunelab-remote://<host><path>`, the extension's read-only file system address. */
  uri: string;
  /** Another trial's placeholder points at the same files (PBT exploit): never deleted remotely. */
  shared?: boolean;
}

export const REMOTE_CHECKPOINT_FILE = ".tunelab-remote-checkpoint.json";

/** `tunelab-remote://<host><abs path>` (src/extension/fs/remote-fs.ts). */
export function remoteCheckpointUri(host: string, path: string): string {
  return `tunelab-remote://${encodeURIComponent(host)}${path.split("/").map(encodeURIComponent).join("/")}`;
}

/** Makes `dir` the placeholder of the checkpoint at `path` on `host`. */
export function writeRemoteCheckpoint(dir: string, host: string, path: string, shared = false): RemoteCheckpointRef {
  const ref: RemoteCheckpointRef = { host, path, uri: remoteCheckpointUri(host, path), ...(shared ? { shared } : {}) };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, REMOTE_CHECKPOINT_FILE), JSON.stringify(ref) + "\n");
  return ref;
}

/** The remote checkpoint `dir` stands for, or undefined for a checkpoint whose files are here. */
export function readRemoteCheckpoint(dir: string): RemoteCheckpointRef | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, REMOTE_CHECKPOINT_FILE), "utf8");
  } catch {
    return undefined;
  }
  const ref = JSON.parse(text) as Partial<RemoteCheckpointRef>;
  if (typeof ref.host !== "string" || typeof ref.path !== "string") throw new Error(`${join(dir, REMOTE_CHECKPOINT_FILE)} does not name a host and path: ${text.slice(0, 200)}`);
  return { host: ref.host, path: ref.path, uri: ref.uri ?? remoteCheckpointUri(ref.host, ref.path), ...(ref.shared ? { shared: true } : {}) };
}
