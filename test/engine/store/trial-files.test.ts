import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createTrialDir, csvCell, flattenResult, readResults, TrialFileWriters, TrialResultWriter, writeErrorFile, writeParams } from "../../../src/engine/store/trial-files.ts";

const tmp = (): string => mkdtempSync(join(tmpdir(), "tunelab-trial-"));
const read = (dir: string, file: string): string => readFileSync(join(dir, file), "utf8");

test("progress.csv flattens nested keys with / and writes result.json lines", () => {
  const dir = tmp();
  const w = new TrialResultWriter(dir, []);
  w.append({ loss: 0.5, training_iteration: 1, config: { lr: 0.1, opt: { name: "adam" } } });
  w.append({ loss: 0.4, training_iteration: 2, config: { lr: 0.1, opt: { name: "adam" } } });
  w.close();
  assert.equal(read(dir, "progress.csv"), "loss,training_iteration,config/lr,config/opt/name\n0.5,1,0.1,adam\n0.4,2,0.1,adam\n");
  assert.deepEqual(readResults(dir).map((r) => r.loss), [0.5, 0.4]);
});

test("a new key grows the progress.csv header and old rows get empty cells", () => {
  const dir = tmp();
  const w = new TrialResultWriter(dir, []);
  w.append({ a: 1 });
  w.flush();
  w.append({ a: 2, b: "x" });
  w.append({ b: "y" });
  w.flush();
  w.append({ a: 4, b: "z" });
  w.close();
  assert.equal(read(dir, "progress.csv"), "a,b\n1,\n2,x\n,y\n4,z\n");
});

test("CSV cells are escaped: commas, quotes, newlines; arrays as JSON", () => {
  assert.equal(csvCell("plain"), "plain");
  assert.equal(csvCell("a,b"), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell("two\nlines"), '"two\nlines"');
  assert.equal(csvCell([1, 2]), '"[1,2]"');
  assert.equal(csvCell(null), "");
  assert.equal(csvCell(true), "true");
  assert.deepEqual(flattenResult({ a: { b: { c: 1 } }, d: [1] }), [["a/b/c", 1], ["d", [1]]]);
});

test("opening with the journal's results drops unacknowledged lines and rebuilds progress.csv", () => {
  const dir = tmp();
  const w = new TrialResultWriter(dir, []);
  for (let i = 1; i <= 3; i++) w.append({ training_iteration: i });
  w.close();
  const again = new TrialResultWriter(dir, [{ training_iteration: 1 }, { training_iteration: 2 }]);
  again.append({ training_iteration: 3, extra: 1 });
  again.close();
  assert.deepEqual(readResults(dir), [{ training_iteration: 1 }, { training_iteration: 2 }, { training_iteration: 3, extra: 1 }]);
  assert.equal(read(dir, "progress.csv"), "training_iteration,extra\n1,\n2,\n3,1\n");
});

test("opening without results keeps result.json (minus a torn last line) and appends to it", () => {
  const dir = tmp();
  writeFileSync(join(dir, "result.json"), '{"i":1}\n{"i":2}\n{"i"');
  const w = new TrialResultWriter(dir);
  w.append({ i: 3 });
  w.close();
  assert.deepEqual(readResults(dir), [{ i: 1 }, { i: 2 }, { i: 3 }]);
  assert.equal(read(dir, "progress.csv"), "i\n1\n2\n3\n");
});

test("TrialFileWriters flushes every trial's batch in flushAll and nothing before", () => {
  const root = tmp();
  const writers = new TrialFileWriters();
  for (const id of ["a", "b"]) {
    createTrialDir(join(root, id), { id });
    writers.open(id, join(root, id), []);
  }
  writers.append("a", { x: 1 });
  writers.append("b", { x: 2 });
  assert.equal(read(join(root, "a"), "result.json"), "");
  writers.flushAll();
  assert.equal(read(join(root, "a"), "result.json"), '{"x":1}\n');
  assert.equal(read(join(root, "b"), "progress.csv"), "x\n2\n");
  assert.throws(() => writers.append("c", { x: 3 }), /trial c/);
  writers.closeAll();
});

test("params.json and error.txt", () => {
  const dir = join(tmp(), "trial_x");
  writeParams(dir, { lr: 0.1 });
  assert.deepEqual(JSON.parse(read(dir, "params.json")), { lr: 0.1 });
  writeErrorFile(dir, "first failure");
  writeErrorFile(dir, "second failure\n");
  assert.equal(read(dir, "error.txt"), "first failure\nsecond failure\n");
  assert.ok(!existsSync(join(dir, "result.json")));
});
