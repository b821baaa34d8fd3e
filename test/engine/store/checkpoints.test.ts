import { strict as assert } from "node:assert";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import {
  checkpointDirName, checkpointsToDelete, persistCheckpoint, readRemoteCheckpoint, removeCheckpoint, writeRemoteCheckpoint,
  type CheckpointEntry, type RemoteCheckpointRef,
} from "../../../src/engine/store/checkpoints.ts";
import { copyDonorCheckpoint } from "../../../src/engine/runner/exploit.ts";
import { Trial } from "../../../src/engine/runner/trial.ts";

// Distinct iterations, in save order, with an optional score each.
const checkpointsArb = fc
  .uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 30 })
  .chain((its) => fc.tuple(fc.constant(its.sort((a, b) => a - b)), fc.array(fc.option(fc.double({ noNaN: true, min: -1e6, max: 1e6 })), { minLength: its.length, maxLength: its.length })))
  .map(([its, scores]) => its.map((iteration, i): CheckpointEntry => (scores[i] == null ? { iteration, path: `c${iteration}` } : { iteration, path: `c${iteration}`, score: scores[i]! })));
const specArb = fc.record({ keep: fc.integer({ min: 1, max: 10 }), scoreAttr: fc.constant("acc"), scoreOrder: fc.constantFrom("min" as const, "max" as const) });

test("retention never deletes the latest checkpoint", () => {
  fc.assert(
    fc.property(checkpointsArb, specArb, (cps, spec) => {
      const latest = cps[cps.length - 1]!;
      assert.ok(!checkpointsToDelete(cps, spec).includes(latest));
    }),
  );
});

test("retention keeps exactly the min(keep, n) best plus the latest", () => {
  fc.assert(
    fc.property(checkpointsArb, specArb, (cps, spec) => {
      const deleted = new Set(checkpointsToDelete(cps, spec));
      const kept = cps.filter((c) => !deleted.has(c));
      const best = Math.min(spec.keep, cps.length);
      const latest = cps[cps.length - 1]!;
      assert.ok(kept.length === best || kept.length === best + 1);
      // The extra one, if any, is the latest, kept although it is not among the best.
      if (kept.length === best + 1) assert.ok(kept.includes(latest));
    }),
  );
});

test("retention ordering respects the mode: every kept scored checkpoint beats every deleted one", () => {
  fc.assert(
    fc.property(checkpointsArb, specArb, (cps, spec) => {
      const deleted = checkpointsToDelete(cps, spec);
      const kept = cps.filter((c) => !deleted.includes(c));
      const latest = cps[cps.length - 1]!;
      const better = (a: CheckpointEntry, b: CheckpointEntry): boolean =>
        b.score === undefined || (a.score !== undefined && (spec.scoreOrder === "max" ? a.score >= b.score : a.score <= b.score));
      for (const k of kept) if (k !== latest) for (const d of deleted) assert.ok(better(k, d), `kept ${JSON.stringify(k)} ranks below deleted ${JSON.stringify(d)}`);
    }),
  );
});

test("no keep deletes nothing; no scoreAttr keeps the most recent", () => {
  const cps: CheckpointEntry[] = [1, 2, 3, 4].map((iteration) => ({ iteration, path: `c${iteration}`, score: -iteration }));
  assert.deepEqual(checkpointsToDelete(cps, {}), []);
  assert.deepEqual(checkpointsToDelete(cps, undefined), []);
  assert.deepEqual(checkpointsToDelete(cps, { keep: 2 }).map((c) => c.iteration), [1, 2]);
  assert.deepEqual(checkpointsToDelete(cps, { keep: 1, scoreAttr: "s", scoreOrder: "max" }).map((c) => c.iteration), [2, 3]);
});

test("persistCheckpoint moves the reported dir to checkpoint_NNNNNN, replacing a stale one", () => {
  const root = mkdtempSync(join(tmpdir(), "tunelab-ckpt-"));
  const trialDir = join(root, "trial_a");
  const stale = join(trialDir, checkpointDirName(3));
  mkdirSync(stale, { recursive: true });
  writeFileSync(join(stale, "old.txt"), "old");
  const src = join(root, "scratch", "ckpt");
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, "model.bin"), "weights");
  const dest = persistCheckpoint(src, trialDir, 3);
  assert.equal(dest, join(trialDir, "checkpoint_000003"));
  assert.equal(readFileSync(join(dest, "model.bin"), "utf8"), "weights");
  assert.ok(!existsSync(join(dest, "old.txt")));
  assert.ok(!existsSync(src));
  assert.equal(persistCheckpoint(dest, trialDir, 3), dest); // already in place: left alone
  assert.throws(() => persistCheckpoint(join(root, "missing"), trialDir, 4), /does not exist/);
  removeCheckpoint(dest);
  removeCheckpoint(dest); // already gone is fine
  assert.ok(!existsSync(dest));
});

test("a remote checkpoint's placeholder names its host, path and tunelab-remote URI; a local checkpoint has none", () => {
  const dir = mkdtempSync(join(tmpdir(), "tunelab-remote-ckpt-"));
  const ref = writeRemoteCheckpoint(join(dir, "p"), "gpu 1", "/w/experiments/e/t/attempt-1/.staging/ckpt-1");
  assert.equal(ref.uri, "tunelab-remote://gpu%201/w/experiments/e/t/attempt-1/.staging/ckpt-1");
  assert.deepEqual(readRemoteCheckpoint(join(dir, "p")), ref);
  mkdirSync(join(dir, "local"));
  assert.equal(readRemoteCheckpoint(join(dir, "local")), undefined);
  writeFileSync(join(dir, "local", ".tunelab-remote-checkpoint.json"), "{}");
  assert.throws(() => readRemoteCheckpoint(join(dir, "local")), /does not name a host and path/);
});

test("a checkpoint replacing a placeholder of the same iteration (a restarted trial) hands the earlier remote files to the executor", () => {
  const trialDir = mkdtempSync(join(tmpdir(), "tunelab-replace-"));
  const removed: string[] = [];
  const gone = (ref: RemoteCheckpointRef): void => void removed.push(`${ref.host}:${ref.path}`);
  const staged = (name: string, host: string, path: string): string => {
    const dir = join(trialDir, ".staging", name);
    writeRemoteCheckpoint(dir, host, path);
    return dir;
  };
  persistCheckpoint(staged("a", "lost", "/r/attempt-1/ck4"), trialDir, 4, gone);
  assert.deepEqual(removed, [], "nothing was there before");
  persistCheckpoint(staged("b", "spare", "/r/attempt-2/ck4"), trialDir, 4, gone);
  assert.deepEqual(removed, ["lost:/r/attempt-1/ck4"]);
  assert.equal(readRemoteCheckpoint(join(trialDir, checkpointDirName(4)))?.host, "spare");
  // The same remote files reported again are not deleted; files shared with another trial (PBT) never are.
  persistCheckpoint(staged("c", "spare", "/r/attempt-2/ck4"), trialDir, 4, gone);
  writeRemoteCheckpoint(join(trialDir, checkpointDirName(5)), "h", "/r/shared", true);
  persistCheckpoint(staged("d", "spare", "/r/attempt-2/ck5"), trialDir, 5, gone);
  // Files here replacing a placeholder: the placeholder's remote files go.
  mkdirSync(join(trialDir, "local6"));
  writeRemoteCheckpoint(join(trialDir, checkpointDirName(6)), "h", "/r/ck6");
  writeFileSync(join(trialDir, "local6", "model.bin"), "w");
  persistCheckpoint(join(trialDir, "local6"), trialDir, 6, gone);
  assert.deepEqual(removed, ["lost:/r/attempt-1/ck4", "h:/r/ck6"]);
});

test("removing a placeholder hands its remote checkpoint to the executor, unless a PBT exploit shares it", () => {
  const expDir = mkdtempSync(join(tmpdir(), "tunelab-remote-ret-"));
  const removed: RemoteCheckpointRef[] = [];
  const gone = (ref: RemoteCheckpointRef): void => void removed.push(ref);
  writeRemoteCheckpoint(join(expDir, "a", "checkpoint_000001"), "h1", "/r/a1");
  removeCheckpoint(join(expDir, "a", "checkpoint_000001"), gone);
  assert.deepEqual(removed.map((r) => [r.host, r.path]), [["h1", "/r/a1"]]);
  assert.ok(!existsSync(join(expDir, "a", "checkpoint_000001")));
  // PBT: b exploits a's checkpoint at iteration 4; from then on neither side deletes the shared files.
  const donor = new Trial("a", 0, {}, { cpu: 1, gpu: 0 }, "a");
  const trial = new Trial("b", 1, {}, { cpu: 1, gpu: 0 }, "b");
  writeRemoteCheckpoint(join(expDir, "a", "checkpoint_000004"), "h1", "/r/a4");
  donor.checkpoints = [{ iteration: 4, path: join("a", "checkpoint_000004") }];
  writeRemoteCheckpoint(join(expDir, "b", "checkpoint_000005"), "h2", "/r/b5");
  trial.checkpoints = [{ iteration: 5, path: join("b", "checkpoint_000005") }];
  const copy = copyDonorCheckpoint(expDir, trial, donor, gone);
  assert.deepEqual(copy?.removed, [join("b", "checkpoint_000005")]);
  assert.deepEqual(removed.map((r) => r.path), ["/r/a1", "/r/b5"], "b's own later checkpoint is deleted on its host");
  assert.equal(readRemoteCheckpoint(join(expDir, "b", "checkpoint_000004"))?.path, "/r/a4");
  removeCheckpoint(join(expDir, "a", "checkpoint_000004"), gone);
  removeCheckpoint(join(expDir, "b", "checkpoint_000004"), gone);
  assert.equal(removed.length, 2, "shared files stay on the host");
  // Without a remover (local executor) a placeholder is just a dir.
  writeRemoteCheckpoint(join(expDir, "c"), "h1", "/r/c");
  removeCheckpoint(join(expDir, "c"));
  assert.ok(!existsSync(join(expDir, "c")));
});
