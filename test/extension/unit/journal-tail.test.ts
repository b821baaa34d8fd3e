import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JournalTail } from "../../../src/extension/model/journal-tail.ts";

const line = (e: object): string => JSON.stringify(e) + "\n";

test("the tail applies only appended events, and holds a half-written line until its newline", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tl-tail-"));
  try {
    const tail = new JournalTail(dir);
    assert.deepEqual(await tail.poll(), [], "no journal yet");
    appendFileSync(join(dir, "events.jsonl"), line({ t: "experiment", ts: 1, name: "x", seed: 1, configPath: "/c", metric: "acc", mode: "max" }) + line({ t: "trial", ts: 2, id: "a_00000", index: 0, config: { lr: 1 }, resources: { cpu: 1, gpu: 0 } }));
    assert.equal((await tail.poll()).length, 2);
    const half = line({ t: "start", ts: 3, id: "a_00000", attempt: 1, iteration: 0, pid: 42 });
    appendFileSync(join(dir, "events.jsonl"), half.slice(0, 20));
    assert.equal((await tail.poll()).length, 0);
    assert.equal(tail.state.trials[0]!.status, "PENDING");
    appendFileSync(join(dir, "events.jsonl"), half.slice(20) + line({ t: "result", ts: 4, id: "a_00000", r: { acc: 0.5, training_iteration: 1 } }));
    assert.equal((await tail.poll()).length, 2);
    assert.equal(tail.state.trials[0]!.status, "RUNNING");
    assert.equal(tail.state.trials[0]!.best, 0.5);
    assert.equal(tail.state.eventCount, 4, "every event applied exactly once");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
