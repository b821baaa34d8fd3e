/**
 * A restart whose newest checkpoint stayed on a lost ssh host: the runner's choice of where the
 * trial resumes (runner/restore-choice.ts) and what the ssh executor calls unreachable. Pure
 * (no sshd): the host-lost case end to end is in test/integration/ssh-netns.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { chooseRestore, restoreNote } from "../../../src/engine/runner/restore-choice.ts";
import { SshExecutor } from "../../../src/engine/executors/ssh.ts";
import { REMOTE_CHECKPOINT_FILE, writeRemoteCheckpoint } from "../../../src/engine/store/checkpoints.ts";

const ck = (iteration: number, path = `t3/checkpoint_${iteration}`) => ({ iteration, path });

test("the newest reachable checkpoint is chosen; the newest one passed over is named with its reason", () => {
  const cps = [ck(4), ck(8), ck(12), ck(16)];
  const lost = new Set(["/exp/t3/checkpoint_16", "/exp/t3/checkpoint_12"]);
  const choice = chooseRestore(cps, "/exp", (dir) => (lost.has(dir) ? "is on host gpu1 (/w/ck), which is lost" : undefined));
  assert.deepEqual(choice.restore, ck(8));
  assert.deepEqual(choice.skipped, { checkpoint: ck(16), why: "is on host gpu1 (/w/ck), which is lost" });
  assert.equal(restoreNote("t3", choice), "checkpoint t3/checkpoint_16 is on host gpu1 (/w/ck), which is lost; restarting trial t3 from checkpoint t3/checkpoint_8 (iteration 8)");
  const none = chooseRestore([ck(15)], "/exp", () => "is on host gpu1, which is lost");
  assert.equal(none.restore, undefined);
  assert.equal(restoreNote("t3", none), "checkpoint t3/checkpoint_15 is on host gpu1, which is lost; restarting trial t3 from scratch");
  assert.equal(restoreNote("t3", chooseRestore(cps, "/exp", () => undefined)), undefined, "no note when the newest is used");
});

test("with every checkpoint reachable (or no executor check) the choice is latestCheckpoint's", () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 8 }), fc.boolean(), (its, check) => {
    const cps = its.map((it, i) => ck(it, `t/c${i}`));
    let latest: (typeof cps)[number] | undefined;
    for (const c of cps) if (!latest || c.iteration >= latest.iteration) latest = c;
    const choice = chooseRestore(cps, "/exp", check ? () => undefined : undefined);
    assert.equal(choice.restore, latest);
    assert.equal(choice.skipped, undefined);
  }));
});

test("the ssh executor: files here and a placeholder on a configured host that answers are reachable; an unknown host or a broken placeholder is not", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tunelab-reach-"));
  const ex = new SshExecutor({ hosts: [{ host: "gpu1", cpus: 1 }], syncRoot: dir });
  try {
    mkdirSync(join(dir, "local"));
    writeFileSync(join(dir, "local", "state.json"), "{}");
    assert.equal(ex.unreachableCheckpoint(join(dir, "local")), undefined);
    writeRemoteCheckpoint(join(dir, "on-gpu1"), "gpu1", "/w/experiments/e/t/.staging/ck");
    assert.equal(ex.unreachableCheckpoint(join(dir, "on-gpu1")), undefined, "gpu1 has not been lost");
    writeRemoteCheckpoint(join(dir, "on-gone"), "gpu9", "/w/ck");
    assert.equal(ex.unreachableCheckpoint(join(dir, "on-gone")), "is on host gpu9 (/w/ck), which is not in executor.hosts");
    mkdirSync(join(dir, "broken"));
    writeFileSync(join(dir, "broken", REMOTE_CHECKPOINT_FILE), "{}");
    assert.match(ex.unreachableCheckpoint(join(dir, "broken")) ?? "", /^cannot be read \(.*does not name a host and path/);
  } finally {
    await ex.close(0);
    rmSync(dir, { recursive: true, force: true });
  }
});
