/**
 * The runner killed with -9 while its trials run over ssh, then `tunelab resume`: the still-running
 * remote trials are re-attached through their journaled handles, not started again, and every
 * result lands in the journal exactly once. Uses the private sshd of
 * scripts/sshd/start-local-sshd.sh; skipped with a message only when it cannot be started.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SshTrialHandle } from "../../src/engine/executors/ssh-trial.ts";
import type { DistributedHandle } from "../../src/engine/executors/distributed.ts";
import { sshTestEnv, type SshTestEnv } from "../engine/executors/ssh-test-env.ts";
import { BEHAVIOURS, ROOT, eventsOf, journal, journalLines, runCli, startCli, stateOf, tempStorage, waitForExperiment } from "./helpers.ts";

const ITERS = 30;
let env: SshTestEnv | undefined;
let skipReason = "";
let remoteRoot: string;
let storage: string;

before(() => {
  const r = spawnSync("bash", [join(ROOT, "scripts/sshd/start-local-sshd.sh"), "--with-rsync"], { encoding: "utf8", timeout: 300_000 });
  env = r.status === 0 ? sshTestEnv() : undefined;
  if (!env) skipReason = `no private sshd could be started (scripts/sshd/start-local-sshd.sh exit ${r.status}): ${r.stderr.trim().split("\n").slice(-3).join(" ")}`;
  // "Remote" is this machine: a distinct workdir, so the sync really copies.
  remoteRoot = mkdtempSync(join(tmpdir(), "tunelab-ssh-resume-remote-"));
  storage = tempStorage();
});

after(() => {
  rmSync(remoteRoot, { recursive: true, force: true });
  rmSync(storage, { recursive: true, force: true });
});

const of = eventsOf;

/** Asks the host itself (over ssh) whether the trial's process is still there. */
function remoteAlive(h: SshTrialHandle): boolean {
  const r = spawnSync("ssh", ["-F", env!.config, h.host, `kill -0 ${h.pid}`], { encoding: "utf8", timeout: 30_000 });
  return r.status === 0;
}

test("kill -9 of the runner, then resume: remote trials are re-attached, not restarted; each result once", async (t) => {
  if (!env) return t.skip(skipReason);
  const overrides = {
    samples: 2, concurrency: 2,
    executor: { kind: "ssh", hosts: [{ host: env.host, cpus: 2, workdir: remoteRoot }], sshConfig: env.config },
    space_extra: { iters: ITERS, sleep: 0.2 },
  };
  const { child, done } = startCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], overrides);
  const dir = await waitForExperiment(storage, (events) => {
    const ids = of(events, "start").map((s) => s.id);
    return ids.length === 2 && ids.every((id) => of(events, "handle", id).length === 1 && of(events, "result", id).length >= 3);
  }, "both trials with a journaled handle and 3 results each", 120_000);
  child.kill("SIGKILL");
  await done;

  const before = journalLines(dir);
  const beforeEvents = journal(dir);
  const handles = new Map(of(beforeEvents, "handle").map((e) => [e.id, e.handle as SshTrialHandle]));
  assert.equal(handles.size, 2);
  for (const [id, h] of handles) {
    assert.equal(h.kind, "ssh");
    assert.ok(remoteAlive(h), `${id}'s remote process ${h.pid} on ${h.host} outlived the runner`);
    assert.ok(of(beforeEvents, "result", id).length < ITERS, `${id} was still mid-run when the runner died`);
  }
  assert.deepEqual(stateOf(dir).trials.map((s) => s.status), ["RUNNING", "RUNNING"]);

  const resumed = await runCli(["resume", dir, "--quiet"], overrides);
  assert.equal(resumed.code, 0, resumed.stderr);
  const after = journalLines(dir);
  assert.deepEqual(after.slice(0, before.length), before, "the journal before the crash is a prefix of the final one");

  const events = journal(dir);
  const state = stateOf(dir);
  assert.equal(state.trials.length, 2);
  for (const trial of state.trials) {
    const id = trial.id;
    assert.equal(trial.status, "TERMINATED", trial.error);
    assert.equal(of(events, "end", id).filter((e) => e.status === "TERMINATED").length, 1, `${id} ended TERMINATED once`);
    assert.equal(of(events, "start", id).length, 1, `${id} was re-attached, not started a second time`);
    const again = of(events, "handle", id).filter((e) => e.reattached);
    assert.equal(again.length, 1, `${id} has one handle event with reattached: true`);
    assert.equal((again[0]!.handle as SshTrialHandle).pid, handles.get(id)!.pid, `${id} re-attached to the same remote process`);
    const iterations = of(events, "result", id).map((e) => e.r.training_iteration);
    assert.deepEqual(iterations, Array.from({ length: ITERS }, (_, i) => i + 1), `${id}: every iteration once, in order`);
    assert.equal(trial.lastResult?.training_iteration, ITERS);
  }
});

test("kill -9 of the runner, then resume: a distributed trial's ranks over ssh are all re-attached, not restarted; each result once", async (t) => {
  if (!env) return t.skip(skipReason);
  // Its own storage: waitForExperiment reads the one experiment there.
  const storage = tempStorage();
  t.after(() => rmSync(storage, { recursive: true, force: true }));
  const overrides = {
    samples: 2, concurrency: 2, resources: { cpu: 1, workers: 2 },
    executor: { kind: "ssh", hosts: [{ host: env.host, cpus: 4, workdir: join(remoteRoot, "dist") }], sshConfig: env.config },
    space_extra: { iters: ITERS, sleep: 0.2 },
  };
  const { child, done } = startCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], overrides);
  const dir = await waitForExperiment(storage, (events) => {
    const ids = of(events, "start").map((s) => s.id);
    return ids.length === 2 && ids.every((id) => of(events, "handle", id).length === 1 && of(events, "result", id).length >= 3);
  }, "both distributed trials with a journaled handle and 3 results each", 120_000);
  child.kill("SIGKILL");
  await done;

  const beforeEvents = journal(dir);
  const handles = new Map(of(beforeEvents, "handle").map((e) => [e.id, e.handle as DistributedHandle]));
  assert.equal(handles.size, 2);
  for (const [id, h] of handles) {
    assert.equal(h.kind, "distributed");
    assert.equal(h.ranks.length, 2, `${id}: one handle per rank`);
    for (const rank of h.ranks as SshTrialHandle[]) {
      assert.ok(remoteAlive(rank), `${id}'s rank ${rank.pid} on ${rank.host} outlived the runner`);
      // The host is this machine: every rank got the trial's config, not an empty one.
      assert.deepEqual(JSON.parse(readFileSync(join(rank.dir, "params.json"), "utf8")), JSON.parse(readFileSync(join(dir, id, "params.json"), "utf8")));
    }
    assert.ok(of(beforeEvents, "result", id).length < ITERS, `${id} was still mid-run when the runner died`);
  }

  const resumed = await runCli(["resume", dir, "--quiet"], overrides);
  assert.equal(resumed.code, 0, resumed.stderr);
  const events = journal(dir);
  const state = stateOf(dir);
  for (const trial of state.trials) {
    const id = trial.id;
    assert.equal(trial.status, "TERMINATED", trial.error);
    assert.equal(of(events, "start", id).length, 1, `${id} was re-attached, not started a second time`);
    const again = of(events, "handle", id).filter((e) => e.reattached);
    assert.equal(again.length, 1, `${id} has one handle event with reattached: true`);
    const pids = (h: DistributedHandle): number[] => (h.ranks as SshTrialHandle[]).map((r) => r.pid);
    assert.deepEqual(pids(again[0]!.handle as DistributedHandle), pids(handles.get(id)!), `${id}: every rank re-attached to its own remote process`);
    const iterations = of(events, "result", id).map((e) => e.r.training_iteration);
    assert.deepEqual(iterations, Array.from({ length: ITERS }, (_, i) => i + 1), `${id}: every iteration once, in order`);
  }
});
