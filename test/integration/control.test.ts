/** The control API end to end: a real runner, real trials, the typed client and the CLI. */
import { strict as assert } from "node:assert";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ControlClient, ControlError } from "../../src/engine/control/client.ts";
import type { StreamEvent } from "../../src/engine/control/client.ts";
import { BEHAVIOURS, journal, runCli, startCli, stateOf, tempStorage, waitFor, waitForExperiment } from "./helpers.ts";

describe("control API with a real runner", () => {
  it("lists, adds, pauses, resumes and stops trials, streams events, then stops the experiment", async () => {
    const storage = tempStorage();
    const { done } = startCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], {
      samples: 2, concurrency: 3, executor: { kind: "local", cpus: 8 }, space_extra: { iters: 400, sleep: 0.05, ckpt_every: 2 },
    });
    const dir = await waitForExperiment(storage,
      (events, d) => existsSync(join(d, "control.json")) && events.some((e) => e.t === "checkpoint"), "control.json and a first checkpoint");
    assert.equal(statSync(join(dir, "control.json")).mode & 0o777, 0o600);
    const client = ControlClient.fromExperimentDir(dir);
    const events: StreamEvent[] = [];
    const ac = new AbortController();
    const streaming = client.events((e) => events.push(e), ac.signal).catch(() => undefined);

    const exp = await client.experiment();
    assert.equal(exp.name, "behaviours");
    assert.equal(exp.status, "running");
    const [first] = await client.trials();
    assert.equal(first!.status, "RUNNING");

    // A config outside the space is refused with the key named; a valid one runs.
    await assert.rejects(client.addTrial({ x: 5, iters: 400 }), (e: ControlError) => e.status === 400 && /config\.x/.test(e.message));
    const { id: added } = await client.addTrial({ x: 0.3, iters: 3 }); // constants of the space (sleep, ckpt_every) are filled in
    await waitFor(() => stateOf(dir).trials.find((t) => t.id === added)?.status === "TERMINATED", `added trial ${added} to finish`);
    assert.equal(stateOf(dir).trials.find((t) => t.id === added)!.lastResult?.training_iteration, 3);

    // Pause the first trial; it stays paused until resumed, then continues from its checkpoint.
    await client.pauseTrial(first!.id);
    await waitFor(() => stateOf(dir).trials[0]!.status === "PAUSED", "the first trial to pause");
    const pausedAt = stateOf(dir).trials[0]!.checkpoints.at(-1)!.iteration;
    await assert.rejects(client.pauseTrial(first!.id), (e: ControlError) => e.status === 409);
    await client.resumeTrial(first!.id);
    await waitFor(() => journal(dir).filter((e) => e.t === "start" && e.id === first!.id).length === 2, "the first trial to restart");
    const restart = journal(dir).filter((e) => e.t === "start" && e.id === first!.id)[1]!;
    assert.equal(restart.t === "start" && restart.iteration, pausedAt);

    const cliTrials = await runCli(["trials", dir]);
    assert.equal(cliTrials.code, 0, cliTrials.stderr);
    assert.match(cliTrials.stdout, new RegExp(first!.id));

    await client.stopTrial(first!.id);
    await waitFor(() => stateOf(dir).trials[0]!.status === "TERMINATED", "the stopped trial to end");
    assert.match(stateOf(dir).trials[0]!.stoppedBy ?? "", /stopped by the user/);
    await assert.rejects(client.stopTrial("nope_00000"), (e: ControlError) => e.status === 404);

    const stop = await runCli(["stop", dir]);
    assert.equal(stop.code, 0, stop.stderr);
    const run = await done;
    assert.equal(run.code, 4, `stopped through the control API: interrupted, resumable\n${run.stderr}`);
    assert.equal(stateOf(dir).trials[1]!.status, "PAUSED");
    ac.abort();
    await streaming;
    const types = new Set<string>(events.map((e) => e.type));
    for (const t of ["trial_added", "trial_started", "result", "trial_ended"]) assert.ok(types.has(t), `event ${t} streamed`);
    assert.ok(!existsSync(join(dir, "control.json")), "control.json is removed when the runner ends");
  });
});
