import { strict as assert } from "node:assert";
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { test } from "node:test";
import { createExperimentDir, experimentDirName, findExperiments, readExperimentJson, trialDirName, writeExperimentJson } from "../../../src/engine/store/experiment-dir.ts";
import { Journal } from "../../../src/engine/store/journal.ts";

const tmp = (): string => mkdtempSync(join(tmpdir(), "tunelab-expdir-"));

test("experiment dirs are named <name>-YYYY-MM-DD_HH-MM-SS and unique within one second", () => {
  const storage = tmp();
  const now = new Date(2024, 0, 2, 3, 4, 5);
  assert.equal(experimentDirName("mnist", now), "mnist-2024-01-02_03-04-05");
  const a = createExperimentDir(storage, "mnist", now);
  const b = createExperimentDir(storage, "mnist", now);
  assert.equal(basename(a), "mnist-2024-01-02_03-04-05");
  assert.equal(basename(b), "mnist-2024-01-02_03-04-05-2");
  assert.throws(() => createExperimentDir(storage, "../evil", now), /experiment name/);
});

test("experiment.json is written atomically and read back", () => {
  const dir = tmp();
  assert.equal(readExperimentJson(dir), undefined);
  writeExperimentJson(dir, { name: "x", state: "running" });
  writeExperimentJson(dir, { name: "x", state: "completed" });
  assert.deepEqual(readExperimentJson(dir), { name: "x", state: "completed" });
  assert.deepEqual(readdirSync(dir), ["experiment.json"]); // no temp file left behind
  writeFileSync(join(dir, "experiment.json"), "{bad");
  assert.throws(() => readExperimentJson(dir), /experiment\.json: not valid JSON/);
});

test("trial dir names derive from the id alone and reject path tricks", () => {
  assert.equal(trialDirName("ab12c_00003"), "trial_ab12c_00003");
  assert.throws(() => trialDirName("../x"), /trial id/);
});

test("findExperiments lists dirs with a journal, with their replayed summary", () => {
  const storage = tmp();
  const done = createExperimentDir(storage, "done", new Date(2024, 0, 1));
  const j = Journal.open(done);
  j.append({ t: "experiment", ts: 1, name: "done", seed: 1, configPath: "c.ts" });
  j.append({ t: "trial", ts: 2, id: "a", index: 0, config: {}, resources: { cpu: 1, gpu: 0 } });
  j.append({ t: "trial", ts: 2, id: "b", index: 1, config: {}, resources: { cpu: 1, gpu: 0 } });
  j.append({ t: "start", ts: 3, id: "a", attempt: 1, iteration: 0 });
  j.append({ t: "end", ts: 4, id: "a", status: "TERMINATED" });
  j.append({ t: "finished", ts: 5, outcome: "completed" });
  j.close();
  const broken = createExperimentDir(storage, "broken", new Date(2024, 0, 2));
  writeFileSync(join(broken, "events.jsonl"), "{bad\n{\"t\":\"resume\",\"ts\":1}\n");
  mkdirSync(join(storage, "not-an-experiment"));
  const found = findExperiments(storage);
  assert.equal(found.length, 2);
  const summary = found.find((e) => e.dir === done)!;
  assert.equal(summary.name, "done");
  assert.equal(summary.status, "completed");
  assert.deepEqual(summary.trials, { PENDING: 1, RUNNING: 0, PAUSED: 0, TERMINATED: 1, ERROR: 0 });
  assert.match(found.find((e) => e.dir === broken)!.error!, /events\.jsonl:1/);
  assert.deepEqual(findExperiments(join(storage, "missing")), []);
});
