/**
 * Checkpoint retention (Ray's `num_to_keep`, `checkpoint_score_attribute`,
 * `checkpoint_score_order`) as a pure decision, plus the few file moves that
 * persist and remove checkpoint dirs.
 */
import { cpSync, mkdirSync, renameSync, rmSync } from "node:fs";
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
export function persistCheckpoint(src: string, trialDir: string, iteration: number): string {
  const dest = join(trialDir, checkpointDirName(iteration));
  if (resolve(src) === resolve(dest)) return dest; // saved in place already
  mkdirSync(trialDir, { recursive: true });
  rmSync(dest, { recursive: true, force: true });
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
  return dest;
}

/** Deletes a checkpoint dir; one already gone is fine (retention may be replayed after a crash). */
export function removeCheckpoint(path: string): void {
  rmSync(path, { recursive: true, force: true });
}
