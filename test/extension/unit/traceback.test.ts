import { test } from "node:test";
import assert from "node:assert/strict";
import { parseTracebacks } from "../../../src/extension/logs/traceback.ts";

test("a trial's traceback names the user's innermost frame, not the library's", () => {
  const log = [
    "[abc12_00001] epoch 3",
    "[abc12_00001] Traceback (most recent call last):",
    '[abc12_00001]   File "/usr/lib/python3.11/runpy.py", line 198, in _run_module_as_main',
    '[abc12_00001]   File "/work/proj/train.py", line 42, in train_fn',
    "[abc12_00001]     loss = step(batch)",
    '[abc12_00001]   File "/work/proj/model.py", line 7, in step',
    '[abc12_00001]   File "/opt/tunelab/python/tunelab/_session.py", line 80, in report',
    "[abc12_00001] ValueError: loss is NaN",
  ].join("\n");
  const [tb, ...rest] = parseTracebacks(log);
  assert.equal(rest.length, 0);
  assert.equal(tb!.frames.length, 4);
  assert.deepEqual(tb!.culprit, { file: "/work/proj/model.py", line: 7, func: "step" });
  assert.equal(tb!.message, "ValueError: loss is NaN");
});

test("several tracebacks in one log are all found; text without one gives none", () => {
  const one = 'Traceback (most recent call last):\n  File "a.py", line 1, in <module>\nKeyError: \'x\'\n';
  assert.equal(parseTracebacks(one + "noise\n" + one).length, 2);
  assert.deepEqual(parseTracebacks("all good\nval_acc=0.9\n"), []);
});
