import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addCommand, eventsCommand, pauseCommand, resumeTrialCommand, stopViaControl, trialsCommand, type Io } from "../../../src/engine/cli/control.ts";
import { ExitCode } from "../../../src/engine/cli/exit-codes.ts";
import { fixture, GOOD, withTimeout, type Fixture } from "./helpers.ts";

function capture(): Io & { stdout: () => string; stderr: () => string } {
  let out = "";
  let err = "";
  return { out: (t) => (out += t), err: (t) => (err += t), stdout: () => out, stderr: () => err };
}

void describe("control CLI commands", () => {
  let f: Fixture;
  before(async () => { f = await fixture(); });
  after(async () => { await f.cleanup(); });

  void it("adds a trial from --config or --config-file and lists it", async () => {
    const io = capture();
    assert.equal(await addCommand(f.dir, { config: JSON.stringify(GOOD) }, io), ExitCode.Ok);
    const file = join(f.dir, "point.json");
    writeFileSync(file, JSON.stringify({ ...GOOD, act: "tanh" }));
    assert.equal(await addCommand(f.dir, { configFile: file }, io), ExitCode.Ok);
    assert.match(io.stdout(), /added trial t00000.*\n.*added trial t00001/);
    const list = capture();
    assert.equal(await trialsCommand(f.dir, false, list), ExitCode.Ok);
    assert.match(list.stdout(), /^fake: running \(2 pending\)\n/);
    assert.match(list.stdout(), /t00001/);
    const json = capture();
    assert.equal(await trialsCommand(f.dir, true, json), ExitCode.Ok);
    assert.deepEqual((JSON.parse(json.stdout()) as { config: unknown }[]).map((t) => t.config), [GOOD, { ...GOOD, act: "tanh" }]);
  });

  void it("exits 2 with the diagnostics when the config does not fit, or is not given right", async () => {
    const io = capture();
    assert.equal(await addCommand(f.dir, { config: JSON.stringify({ ...GOOD, lr: -1 }) }, io), ExitCode.BadInput);
    assert.match(io.stderr(), /error: config\.lr: -1 is outside loguniform/);
    assert.equal(await addCommand(f.dir, { config: "{lr:" }, capture()), ExitCode.BadInput);
    assert.equal(await addCommand(f.dir, { config: "[1]" }, capture()), ExitCode.BadInput);
    assert.equal(await addCommand(f.dir, {}, capture()), ExitCode.BadInput);
  });

  void it("pauses, resumes and stops a trial, with 5 for an unknown trial and 2 for a wrong state", async () => {
    f.control.start("t00000");
    assert.equal(await pauseCommand(f.dir, "t00000", capture()), ExitCode.Ok);
    assert.equal(await resumeTrialCommand(f.dir, "t00000", capture()), ExitCode.Ok);
    const io = capture();
    assert.equal(await pauseCommand(f.dir, "t00000", io), ExitCode.BadInput);
    assert.match(io.stderr(), /only a RUNNING trial can be paused/);
    assert.equal(await stopViaControl(f.dir, "t00000", capture()), ExitCode.Ok);
    assert.equal(await stopViaControl(f.dir, "zzz", capture()), ExitCode.NotFound);
  });

  void it("says when there is no control file: 'no-control' for stop (the caller signals the pid), 5 otherwise", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tunelab-nocli-"));
    assert.equal(await stopViaControl(dir, undefined, capture()), "no-control");
    const io = capture();
    assert.equal(await trialsCommand(dir, false, io), ExitCode.NotFound);
    assert.equal(io.stderr(), `tunelab: no running experiment in ${dir} (control.json missing)\n`);
    rmSync(dir, { recursive: true });
  });

  void it("prints events as lines until the experiment ends", async () => {
    const io = capture();
    let opened!: () => void;
    const open = new Promise<void>((r) => (opened = r));
    const running = eventsCommand(f.dir, { onOpen: opened }, io);
    await withTimeout(open, 5000, "the stream to open");
    f.control.report("t00001", { training_iteration: 1, loss: 0.5 });
    f.control.emit({ type: "experiment_ended", outcome: "completed" });
    assert.equal(await withTimeout(running, 5000, "events to end"), ExitCode.Ok);
    const lines = io.stdout().trim().split("\n");
    assert.match(lines[0] ?? "", /^#\d+ result t00001 \{"training_iteration":1,"loss":0.5\}$/);
    assert.match(lines[1] ?? "", /^#\d+ experiment_ended completed$/);
    assert.equal(await stopViaControl(f.dir, undefined, capture()), ExitCode.BadInput); // already finished: 409
  });
});
