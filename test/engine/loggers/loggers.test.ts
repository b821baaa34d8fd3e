/** createLoggers: the kinds a config asks for behind one writer-shaped object; validateLoggers' messages. */
import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Result } from "../../../src/engine/interfaces.ts";
import { createLoggers, DEFAULT_LOGGERS, validateLoggers, type TrialLogger } from "../../../src/engine/loggers/index.ts";
import { TrialFileWriters } from "../../../src/engine/store/trial-files.ts";
import { readEventFile } from "./event-reader.ts";

const tmp = (): string => mkdtempSync(join(tmpdir(), "tunelab-loggers-"));
const tfevents = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith("events.out.tfevents.")) : []);

/** Records the calls a part receives. */
function recorder(): TrialLogger & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    open: (...a) => calls.push(["open", ...a]),
    append: (id, result) => calls.push(["append", id, result.training_iteration]),
    flushAll: () => calls.push(["flushAll"]),
    close: (...a) => calls.push(["close", ...a]),
    closeAll: () => calls.push(["closeAll"]),
  };
}

describe("createLoggers", () => {
  it("writes result.json, progress.csv and TensorBoard events from the same calls with the default kinds", () => {
    const expDir = tmp();
    const loggers = createLoggers(DEFAULT_LOGGERS, expDir, { files: new TrialFileWriters() });
    loggers.open("t1", "t1");
    for (let i = 1; i <= 2; i++) loggers.append("t1", { training_iteration: i, loss: 1 / i });
    loggers.flushAll();
    loggers.close("t1", { config: { lr: 1 }, failed: false });
    const dir = join(expDir, "t1");
    assert.equal(readFileSync(join(dir, "result.json"), "utf8").trim().split("\n").length, 2);
    assert.match(readFileSync(join(dir, "progress.csv"), "utf8"), /^training_iteration,loss\n1,1\n2,0.5\n$/);
    const events = readEventFile(join(dir, tfevents(dir)[0]!));
    assert.deepEqual(events.filter((e) => e.step > 0).map((e) => e.step), [1, 2]);
    assert.equal(events.at(-1)!.values[0]!.tag, "_hparams_/session_end_info");
  });

  it("leaves TensorBoard out when not asked for, and the files writer out when neither json nor csv is", () => {
    const expDir = tmp();
    const files = recorder();
    const noTb = createLoggers(["json"], expDir, { files });
    noTb.open("t1", "t1");
    noTb.append("t1", { training_iteration: 1, loss: 1 });
    noTb.flushAll();
    noTb.close("t1");
    assert.deepEqual(tfevents(join(expDir, "t1")), []);
    assert.equal(files.calls.length, 4);

    const onlyTb = recorder();
    const tb = createLoggers(["tensorboard"], expDir, { files: onlyTb });
    tb.open("t2", "t2");
    tb.append("t2", { training_iteration: 1, loss: 1 });
    tb.closeAll();
    assert.deepEqual(onlyTb.calls, []);
    assert.equal(tfevents(join(expDir, "t2")).length, 1);
  });

  it("passes a resumed trial's previous results and resolves relative dirs against the experiment dir", () => {
    const expDir = tmp();
    const files = recorder();
    const loggers = createLoggers(["json", "csv"], expDir, { files });
    const previous: Result[] = [{ training_iteration: 1 }];
    loggers.open("t1", "t1", previous);
    loggers.open("t2", "/abs/t2");
    loggers.close("t1", { config: {}, failed: false, trialDir: "t1" });
    assert.deepEqual(files.calls, [
      ["open", "t1", join(expDir, "t1"), previous],
      ["open", "t2", "/abs/t2", undefined],
      ["close", "t1", { config: {}, failed: false, trialDir: join(expDir, "t1") }],
    ]);
  });

  it("reports TensorBoard write failures through the given log", () => {
    const expDir = tmp();
    const logged: string[] = [];
    const loggers = createLoggers(["tensorboard"], expDir, { log: (m) => logged.push(m) });
    writeFileSync(join(expDir, "t1"), "a file where the trial dir should be");
    loggers.open("t1", "t1");
    loggers.append("t1", { training_iteration: 1, loss: 1 });
    loggers.flushAll();
    assert.equal(logged.length, 1);
    assert.match(logged[0]!, /^trial t1: TensorBoard events could not be written/);
  });
});

describe("validateLoggers", () => {
  it("accepts a missing key and every known kind", () => {
    assert.deepEqual(validateLoggers(undefined), []);
    assert.deepEqual(validateLoggers(["json", "csv", "tensorboard"]), []);
    assert.deepEqual(validateLoggers([]), []);
  });

  it("names the key path of each problem", () => {
    assert.deepEqual(validateLoggers("tensorboard"), ['loggers: must be a list of "json", "csv", "tensorboard" (got "tensorboard")']);
    assert.deepEqual(validateLoggers(["json", "wandb", "json"]), [
      'loggers[1]: unknown logger "wandb"; expected one of "json", "csv", "tensorboard"',
      'loggers[2]: "json" is listed twice',
    ]);
  });
});
