/**
 * DistributedExecutor.reattach, the plumbing between the runner and an inner executor that can
 * re-attach (ssh): which rank skips the journaled reports, and what happens when one rank
 * cannot be taken over. The inner executor here only records calls; the real thing over ssh
 * is test/integration/ssh-resume.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DistributedExecutor, isDistributedHandle } from "../../../src/engine/executors/distributed.ts";
import type { Executor, ReattachOptions, RunningTrial, TrialEvents, TrialExit, TrialHandle, TrialLaunch } from "../../../src/engine/executors/executor.ts";

interface Attached { launch: TrialLaunch; handle: TrialHandle; events: TrialEvents; opts: ReattachOptions; stops: number[] }

function recordingInner(): { inner: Executor; attached: Attached[] } {
  const attached: Attached[] = [];
  const inner: Executor = {
    start: () => assert.fail("nothing is started on re-attach"),
    close: async () => undefined,
    reattach(launch, handle, events, opts) {
      if (handle.ok !== true) return undefined;
      const a: Attached = { launch, handle, events, opts, stops: [] };
      attached.push(a);
      const trial: RunningTrial = { pid: undefined, handle, stop: async (graceMs) => { a.stops.push(graceMs); events.onExit({ code: null, signal: "SIGTERM", stderrTail: "" }); } };
      return trial;
    },
  };
  return { inner, attached };
}

const launch = { trialId: "t_1", trialDir: "/exp/t_1", argv: ["python3"], cwd: "/", env: {}, resources: { cpu: 1, gpu: 0 }, gpuIds: [] } as unknown as TrialLaunch;

test("every rank is re-attached in its own dir; only rank 0 skips the journaled reports and reaches the runner", async () => {
  const { inner, attached } = recordingInner();
  const reports: unknown[] = [];
  const exits: TrialExit[] = [];
  const handle = { kind: "distributed", ranks: [{ kind: "x", ok: true, rank: 0 }, { kind: "x", ok: true, rank: 1 }] };
  assert.ok(isDistributedHandle(handle));
  const ex = new DistributedExecutor(inner, { workers: 2 });
  const trial = ex.reattach(launch, handle, { onReport: (m) => reports.push(m), onProtocolError: () => undefined, onExit: (e) => exits.push(e) }, { reportsSeen: 7 });
  assert.ok(trial);
  assert.deepEqual(trial.handle, handle);
  assert.deepEqual(await trial.started, handle);
  assert.deepEqual(attached.map((a) => [a.launch.trialDir, a.opts.reportsSeen, a.handle.rank]), [["/exp/t_1", 7, 0], ["/exp/t_1/rank-1", 0, 1]]);
  attached[1]!.events.onReport({ result: { x: 1 } });
  attached[0]!.events.onReport({ result: { x: 0 } });
  assert.deepEqual(reports, [{ result: { x: 0 } }]);
  attached[0]!.events.onExit({ code: 0, signal: null, stderrTail: "" });
  assert.equal(exits.length, 0, "the trial ends when every rank has");
  attached[1]!.events.onExit({ code: 0, signal: null, stderrTail: "" });
  assert.deepEqual(exits.map((e) => e.code), [0]);
});

test("a rank that cannot be re-attached: the ranks taken over are stopped, the runner hears nothing and starts the trial anew", () => {
  const { inner, attached } = recordingInner();
  const heard: string[] = [];
  const ex = new DistributedExecutor(inner, { workers: 2 });
  const events: TrialEvents = { onReport: () => heard.push("report"), onProtocolError: () => heard.push("error"), onExit: () => heard.push("exit") };
  const trial = ex.reattach(launch, { kind: "distributed", ranks: [{ kind: "x", ok: true }, { kind: "x", ok: false }] }, events, { reportsSeen: 0 });
  assert.equal(trial, undefined);
  assert.deepEqual(attached.map((a) => a.stops), [[0]], "rank 0 was stopped at once");
  assert.deepEqual(heard, []);
  assert.equal(ex.reattach(launch, { kind: "ssh", host: "h" }, events, { reportsSeen: 0 }), undefined, "not a distributed handle");
  assert.equal(ex.reattach(launch, { kind: "distributed", ranks: [{ kind: "x", ok: true }] }, events, { reportsSeen: 0 }), undefined, "a handle of another number of workers");
  assert.equal(new DistributedExecutor({ start: inner.start, close: inner.close }, { workers: 2 }).reattach(launch, { kind: "distributed", ranks: [] }, events, { reportsSeen: 0 }), undefined, "an inner executor that cannot re-attach");
});
