/** The inspection commands and the library API over a real finished experiment. */
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { Tuner } from "../../src/engine/tuner.ts";
import { uniform, grid } from "../../src/engine/space/domains.ts";
import { BEHAVIOURS, ROOT, experimentDir, runCli, stateOf, tempStorage } from "./helpers.ts";

describe("tunelab ls, status, best, export", () => {
  let storage = "";
  let dir = "";
  before(async () => {
    storage = tempStorage();
    const run = await runCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], { samples: 3, maxFailures: 0, space_extra: { crash_at: { __tunelab: "grid", values: [0, 2] } } });
    assert.equal(run.code, 3, run.stderr);
    dir = experimentDir(storage);
  });

  it("ls lists the experiment with its counts and best metric", async () => {
    const ls = await runCli(["ls", storage]);
    assert.equal(ls.code, 0);
    assert.match(ls.stdout, /behaviours-\S+\s+completed\s+6\s+3\s+3\s+score=/);
    const json = JSON.parse((await runCli(["ls", storage, "--json"])).stdout) as { trials: number; ERROR: number }[];
    assert.equal(json[0]!.trials, 6);
    assert.equal(json[0]!.ERROR, 3);
  });

  it("status shows every trial and why failed ones failed", async () => {
    const status = await runCli(["status", dir]);
    assert.equal(status.code, 0);
    assert.match(status.stdout, /behaviours: completed; 6 trials \(3 terminated, 3 error\)/);
    assert.match(status.stdout, /failed: trial \w+_\d+ exited with code 1/);
  });

  it("best prints the best trial, and --json its config alone", async () => {
    const state = stateOf(dir);
    const best = state.trials.filter((t) => t.status === "TERMINATED").sort((a, b) => Number(b.lastResult?.score) - Number(a.lastResult?.score))[0]!;
    const text = await runCli(["best", dir]);
    assert.match(text.stdout, new RegExp(`Best trial ${best.id}`));
    const json = await runCli(["best", dir, "--json"]);
    assert.deepEqual(JSON.parse(json.stdout), best.config);
    const bad = await runCli(["best", dir, "--metric", "nope"]);
    assert.equal(bad.code, 5);
    assert.match(bad.stderr, /no trial has reported nope/);
  });

  it("export writes one CSV row per trial with config columns", async () => {
    const out = join(tempStorage(), "trials.csv");
    const res = await runCli(["export", dir, "--format", "csv", "-o", out]);
    assert.equal(res.code, 0);
    const rows = readFileSync(out, "utf8").trim().split("\n");
    assert.equal(rows.length, 7);
    assert.match(rows[0]!, /^trial_id,status,config\/x,config\/iters,config\/crash_at,/);
    const json = JSON.parse((await runCli(["export", dir, "--format", "json"])).stdout) as Record<string, unknown>[];
    assert.equal(json.length, 6);
    assert.equal((await runCli(["export", dir, "--format", "xml"])).code, 2);
  });

  it("commands on a dir that is not an experiment exit 5 with a clear message", async () => {
    const res = await runCli(["status", ROOT]);
    assert.equal(res.code, 5);
    assert.match(res.stderr, /is not an experiment dir/);
  });

  it("bad usage exits 2", async () => {
    assert.equal((await runCli(["run"])).code, 2);
    assert.equal((await runCli(["frobnicate"])).code, 2);
    assert.equal((await runCli(["run", BEHAVIOURS, "--seed", "abc"])).code, 2);
  });
});

describe("Tuner (library API)", () => {
  it("fit() runs a command trainable and returns a result grid", async () => {
    const base = mkdtempSync(join(tmpdir(), "tunelab-tuner-"));
    writeFileSync(join(base, "trial.mjs"), [
      "import { readFileSync, createWriteStream } from 'node:fs';",
      "const config = JSON.parse(readFileSync(process.env.TUNELAB_CONFIG, 'utf8'));",
      "const out = createWriteStream(null, { fd: Number(process.env.TUNELAB_REPORT_FD) });",
      "if (config.fail) { console.error('asked to fail'); process.exit(7); }",
      "for (let i = 1; i <= 3; i++) out.write(JSON.stringify({ result: { loss: (config.a - 2) ** 2 + 1 / i } }) + '\\n');",
      "out.end();",
    ].join("\n"));
    const grid_ = await new Tuner({
      trainable: { command: [process.execPath, "trial.mjs"] },
      space: { a: uniform(0, 4), fail: grid([false, true]) },
      samples: 2, metric: "loss", mode: "min", seed: 3,
    }, { baseDir: base }).fit();
    assert.equal(grid_.results.length, 4);
    assert.equal(grid_.errors.length, 2);
    assert.match(grid_.errors[0]!.error, /exited with code 7[\s\S]*asked to fail/);
    const best = grid_.getBestResult()!;
    const losses = grid_.results.filter((r) => r.status === "TERMINATED").map((r) => r.metrics!.loss as number);
    assert.equal(best.metrics!.loss, Math.min(...losses));
    assert.equal(best.metrics!.training_iteration, 3);
    assert.equal(grid_.rows().length, 4);
    assert.ok("config/a" in grid_.rows()[0]!);
    assert.ok(grid_.experimentDir.startsWith(join(base, ".tunelab")));
  });

  it("fit() with a Python trainable in warm workers resolves, and twice in one process", async () => {
    for (const run of [1, 2]) {
      const grid_ = await new Tuner({
        trainable: { python: "trainables:counter" }, space: { x: uniform(0, 1), iters: 2 }, samples: 2, metric: "score", mode: "max",
      }, { baseDir: join(ROOT, "test/fixtures/projects/behaviours"), storage: tempStorage() }).fit();
      assert.equal(grid_.results.filter((r) => r.status === "TERMINATED").length, 2, `run ${run}`);
    }
  });

  it("fit() rejects an invalid config with its diagnostics", async () => {
    await assert.rejects(
      new Tuner({ trainable: { command: [] }, space: { a: uniform(2, 1) } }).fit(),
      (e: Error) => /space\.a/.test(e.message) && /trainable/.test(e.message),
    );
  });
});
