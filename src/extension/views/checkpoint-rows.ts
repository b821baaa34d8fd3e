/**
 * What a checkpoint row shows and where its files are listed from, as pure
 * functions: a checkpoint an ssh trial kept on its host is a local placeholder
 * (engine/store/checkpoints.ts), shown as "on <host>" with its host's files and
 * a Fetch action; any other checkpoint lists its local dir.
 */
import { join } from "node:path";
import { readRemoteCheckpoint, type RemoteCheckpointRef } from "../../engine/store/checkpoints.ts";
import { formatNumber } from "./tree-nodes.ts";

/** The remote checkpoint the dir stands for; undefined for files that are here (or a broken placeholder, shown as local). */
export function remoteCheckpointOf(dir: string): RemoteCheckpointRef | undefined {
  try {
    return readRemoteCheckpoint(dir);
  } catch {
    return undefined;
  }
}

/** Where a checkpoint's files are listed from: `host` undefined is this machine. */
export function checkpointFilesRoot(expDir: string, path: string, remote: RemoteCheckpointRef | undefined): { host: string | undefined; path: string } {
  return remote ? { host: remote.host, path: remote.path } : { host: undefined, path: join(expDir, path) };
}

export interface CheckpointRow {
  label: string;
  description: string;
  tooltip: string;
  /** `checkpoint` or `checkpoint.remote`: package.json menus show Fetch on remote rows, Open Folder on local ones. */
  contextValue: string;
  /** A codicon id. */
  icon: string;
}

export function checkpointRow(c: { iteration: number; score?: number; localDir: string }, remote: RemoteCheckpointRef | undefined): CheckpointRow {
  const label = `checkpoint ${c.iteration}`;
  const base = c.score !== undefined ? `score ${formatNumber(c.score)}` : `iteration ${c.iteration}`;
  if (!remote) return { label, description: base, tooltip: c.localDir, contextValue: "checkpoint", icon: "save" };
  return {
    label,
    description: `${base} · on ${remote.host}`,
    tooltip: `Kept on ssh host ${remote.host} at ${remote.path}.\nFetch Checkpoint copies its files into ${c.localDir}.`,
    contextValue: "checkpoint.remote",
    icon: "cloud",
  };
}
