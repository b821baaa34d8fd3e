/**
 * How the Slurm executor submits: starts of one synchronous stretch coalesced into one
 * `sbatch --array`, per-task handles, polls and cancels. Slurm's answers are scripted here;
 * test/integration/slurm.test.ts runs the same paths on a real cluster.
 */
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { TrialExit, TrialLaunch } from "../../../src/engine/executors/executor.ts";
import type { CommandResult, SlurmCli } from "../../../src/engine/executors/slurm-cli.ts";
import { SlurmExecutor, type SlurmExecutorOptions } from "../../../src/engine/executors/slurm.ts";
import type { SlurmHandle } from "../../../src/engine/executors/slurm-trial.ts";

/** A Slurm that numbers jobs from 100 and answers squeue with `queue`. */
class ScriptedSlurm implements SlurmCli {
  readonly calls: string[][] = [];
  queue = "";
  refuseArrays = false;
  private next = 100;
  async run(argv: readonly string[]): Promise<CommandResult> {
    this.calls.push([...argv]);
    await Promise.resolve();
    if (argv[0] === "sbatch") {
      if (this.refuseArrays && argv.some((a) => a.startsWith("--array"))) return { code: 1, stdout: "", stderr: "sbatch: error: Batch job submission failed: Job arrays are disabled" };
      return { code: 0, stdout: `${this.next++}\n`, stderr: "" };
    }
    if (argv[0] === "squeue") return { code: 0, stdout: this.queue, stderr: "" };
    return { code: 0, stdout: "", stderr: "" };
  }
  sbatches(): string[][] {
    return this.calls.filter((c) => c[0] === "sbatch");
  }
}

const root = mkdtempSync(join(tmpdir(), "tunelab-slurm-submit-"));
let n = 0;
function launch(gpu = 0): TrialLaunch {
  const trialId = `t_${String(n++).padStart(5, "0")}`;
  const trialDir = join(root, trialId);
  return { trialId, argv: ["python3", "train.py"], cwd: root, env: {}, trialDir, resources: { cpu: 1, gpu }, gpuIds: [] };
}
const quiet = { onReport: () => undefined, onProtocolError: () => undefined, onExit: () => undefined };

function executor(cli: ScriptedSlurm, opts: SlurmExecutorOptions = {}, log: string[] = []): SlurmExecutor {
  return new SlurmExecutor({ cli, pollMs: 0, reportPollMs: 5, log: (m) => log.push(m), markerGraceMs: 0, ...opts });
}

describe("Slurm submissions", () => {
  it("trials started in one scheduling pass with equal resources go as one sbatch --array; handles are <id>_<index>", async () => {
    const cli = new ScriptedSlurm();
    const ex = executor(cli);
    const launches = [launch(), launch(), launch()];
    const running = launches.map((l) => ex.start(l, quiet));
    const handles = (await Promise.all(running.map((r) => r.started))) as SlurmHandle[];
    assert.equal(cli.sbatches().length, 1);
    assert.ok(cli.sbatches()[0]!.includes("--array=0-2"));
    assert.deepEqual(handles.map((h) => h.jobId), ["100_0", "100_1", "100_2"]);
    // Task i runs trial i's job dir, and writes trial i's logs.
    const arrayDir = join(handles[0]!.jobDir, "array");
    handles.forEach((h, i) => {
      assert.equal(readlinkSync(join(arrayDir, String(i))), h.jobDir);
      assert.equal(readlinkSync(join(arrayDir, `${i}.err`)), join(launches[i]!.trialDir, "stderr.log"));
    });
    assert.deepEqual(ex.submissions, { sbatch: 1, arrays: 1 });
    await ex.close(0);
  });

  it("arrays: false, a lone trial, or different resources: one job per trial", async () => {
    const cli = new ScriptedSlurm();
    const off = executor(cli, { arrays: false });
    const a = [launch(), launch()].map((l) => off.start(l, quiet));
    await Promise.all(a.map((r) => r.started));
    assert.equal(cli.sbatches().filter((c) => c.some((x) => x.startsWith("--array"))).length, 0);
    assert.equal(cli.sbatches().length, 2);
    const on = executor(cli);
    const b = [launch(), launch(1), launch()].map((l) => on.start(l, quiet));
    const hs = (await Promise.all(b.map((r) => r.started))) as SlurmHandle[];
    assert.deepEqual(hs.map((h) => h.jobId), ["102_0", "103", "102_1"], "the GPU trial is its own job; the two CPU trials an array");
    await Promise.all([off.close(0), on.close(0)]);
  });

  it("starts in different ticks are not held back for each other", async () => {
    const cli = new ScriptedSlurm();
    const ex = executor(cli);
    const first = ex.start(launch(), quiet);
    await first.started;
    const second = ex.start(launch(), quiet);
    await second.started;
    assert.equal(cli.sbatches().length, 2);
    assert.ok(cli.sbatches().every((c) => !c.some((x) => x.startsWith("--array"))));
    await ex.close(0);
  });

  it("a cluster that refuses arrays gets one job per trial, and no more arrays", async () => {
    const cli = new ScriptedSlurm();
    cli.refuseArrays = true;
    const log: string[] = [];
    const ex = executor(cli, {}, log);
    const hs = (await Promise.all([launch(), launch()].map((l) => ex.start(l, quiet).started))) as SlurmHandle[];
    assert.deepEqual(hs.map((h) => h.jobId), ["100", "101"]);
    await Promise.all([launch(), launch()].map((l) => ex.start(l, quiet).started));
    assert.match(log.join("\n"), /refused a job array of 2 trials \(sbatch: error: .*arrays are disabled\).*one job per trial from now on/s);
    assert.equal(cli.sbatches().filter((c) => c.some((x) => x.startsWith("--array"))).length, 1, "only the first, refused array");
    await ex.close(0);
  });

  it("an array refused outright fails each of its trials with sbatch's answer and the command", async () => {
    const cli = new ScriptedSlurm();
    cli.run = async (argv) => (cli.calls.push([...argv]), { code: 1, stdout: "", stderr: "sbatch: error: invalid partition" });
    const ex = executor(cli);
    const exits: TrialExit[] = [];
    const ls = [launch(), launch()];
    for (const l of ls) ex.start(l, { ...quiet, onExit: (e) => exits.push(e) });
    await ex.close(0);
    assert.equal(exits.length, 2);
    exits.forEach((e, i) => assert.match(e.stderrTail, new RegExp(`sbatch refused trial ${ls[i]!.trialId}: sbatch: error: invalid partition\\n  command: sbatch`)));
  });

  it("one squeue polls every task, pending ranges included; a stop cancels only its task; markers are per task", async () => {
    const cli = new ScriptedSlurm();
    const ex = executor(cli);
    const exits = new Map<string, TrialExit>();
    const ls = [launch(), launch(), launch()];
    const running = ls.map((l) => ex.start(l, { ...quiet, onExit: (e) => exits.set(l.trialId, e) }));
    const hs = (await Promise.all(running.map((r) => r.started))) as SlurmHandle[];
    cli.queue = "100_0 RUNNING None\n100_[1-2] PENDING Resources\n";
    assert.deepEqual((await ex.poll(hs)).map((s) => s.state), ["running", "running", "running"]);
    const stopped = running[2]!.stop(0);
    await new Promise((r) => setTimeout(r, 0));
    assert.deepEqual(cli.calls.filter((c) => c[0] === "scancel"), [["scancel", "100_2"]], "a pending task is cancelled by its own id");
    // Task 0 ends with its marker; task 2's cancel shows; task 1 still waits.
    writeFileSync(join(hs[0]!.jobDir, "exit"), "0\n");
    cli.queue = "100_0 COMPLETED None\n100_1 PENDING Resources\n100_2 CANCELLED None\n";
    await stopped;
    await waitUntil(() => exits.has(ls[0]!.trialId));
    assert.deepEqual(exits.get(ls[0]!.trialId), { code: 0, signal: null, stderrTail: "" });
    assert.equal(exits.has(ls[1]!.trialId), false);
    const squeues = cli.calls.filter((c) => c[0] === "squeue");
    assert.ok(squeues.every((c) => c.includes("--array")), "task rows, not collapsed ranges");
    assert.ok(squeues.some((c) => c.includes("--jobs=100_0,100_1,100_2")), "one squeue names every task");
    assert.equal(readFileSync(join(hs[1]!.jobDir, "probe"), "utf8").trim(), ls[1]!.trialId);
    await ex.detach();
  });
});

describe("jobs a dead runner never journaled", () => {
  it("each submitted job leaves its id in the job dir at once; a new attempt cancels an earlier one that never finished", async () => {
    const cli = new ScriptedSlurm();
    const ex = executor(cli);
    const first = launch();
    const h = (await ex.start({ ...first, attempt: 1 }, quiet).started) as SlurmHandle;
    assert.equal(readFileSync(join(h.jobDir, "jobid"), "utf8").trim(), "100");
    await ex.detach(); // the runner died before the journal had the handle: job 100 runs on, unknown
    const resumed = executor(cli);
    await resumed.start({ ...first, attempt: 2 }, quiet).started;
    assert.deepEqual(cli.calls.filter((c) => c[0] === "scancel"), [["scancel", "100"]]);
    await resumed.close(0);
  });

  it("an earlier attempt that wrote its exit marker is left alone", async () => {
    const cli = new ScriptedSlurm();
    const ex = executor(cli);
    const l = launch();
    const h = (await ex.start({ ...l, attempt: 1 }, quiet).started) as SlurmHandle;
    writeFileSync(join(h.jobDir, "exit"), "1\n");
    await ex.start({ ...l, attempt: 2 }, quiet).started;
    assert.deepEqual(cli.calls.filter((c) => c[0] === "scancel"), []);
    await ex.detach();
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
}
