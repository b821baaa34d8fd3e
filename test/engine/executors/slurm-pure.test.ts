/** The Slurm executor's pure parts: sbatch argv, the batch script, squeue/sbatch parsing, and requeue-aware report reading. */
import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { batchScript, gresFor, jobFiles, NOT_SHARED_EXIT, sbatchArgv, type SbatchOptions } from "../../../src/engine/executors/slurm-script.ts";
import { expandArrayTasks, externalEndReason, isUnknownJobsError, jobPhase, parseRuns, parseSbatchJobId, parseSqueue, scancelArgv, squeueArgv } from "../../../src/engine/executors/slurm-parse.ts";
import { arrayFiles, arrayKey, arrayLinks, arrayScript, arraySbatchOptions, arrayTaskId, groupSubmissions } from "../../../src/engine/executors/slurm-array.ts";
import { RequeueAwareReports, type TailOutcome } from "../../../src/engine/executors/slurm-reports.ts";

const base = { trialId: "ab_00001", cpusPerTask: 2, workers: 1, stdoutPath: "/e/t/stdout.log", stderrPath: "/e/t/stderr.log", script: "/e/t/.slurm/attempt-1/job.sh" };

describe("sbatchArgv", () => {
  it("submits with requeue, append-mode logs, cpus and the script last", () => {
    assert.deepEqual(sbatchArgv(base), [
      "sbatch", "--parsable", "--job-name=tunelab-ab_00001", "--output=/e/t/stdout.log", "--error=/e/t/stderr.log",
      "--open-mode=append", "--requeue", "--cpus-per-task=2", "/e/t/.slurm/attempt-1/job.sh",
    ]);
  });
  it("adds partition, account, time, gres, and extra args after ours so they win", () => {
    const argv = sbatchArgv({ ...base, partition: "gpu", account: "lab", time: "1:00:00", gres: "gpu:a100:1", extraArgs: ["--qos=high"] });
    assert.deepEqual(argv.slice(8), ["--partition=gpu", "--account=lab", "--time=1:00:00", "--gres=gpu:a100:1", "--qos=high", base.script]);
  });
  it("a distributed trial is one job of N tasks with GPUs per task", () => {
    const argv = sbatchArgv({ ...base, workers: 4, gres: "gpu:1" });
    assert.ok(argv.includes("--ntasks=4") && argv.includes("--gpus-per-task=1") && !argv.some((a) => a.startsWith("--gres")));
  });
  it("an array: --array=0-<n-1> after the name, the array's own name", () => {
    const argv = sbatchArgv({ ...base, jobName: "tunelab-ab_00001+3", arraySize: 4 });
    assert.deepEqual(argv.slice(0, 4), ["sbatch", "--parsable", "--job-name=tunelab-ab_00001+3", "--array=0-3"]);
  });
  it("fractional CPUs round up; gres comes from resources.gpu unless gresPerTrial says otherwise", () => {
    assert.ok(sbatchArgv({ ...base, cpusPerTask: 0.5 }).includes("--cpus-per-task=1"));
    assert.equal(gresFor(0, undefined), undefined);
    assert.equal(gresFor(0.5, undefined), "gpu:1");
    assert.equal(gresFor(2, undefined), "gpu:2");
    assert.equal(gresFor(1, "gpu:v100:1"), "gpu:v100:1");
    assert.equal(gresFor(1, ""), undefined);
  });
});

describe("parsing Slurm's answers", () => {
  it("reads the job id of sbatch --parsable, with or without a cluster name", () => {
    assert.equal(parseSbatchJobId("1234\n"), "1234");
    assert.equal(parseSbatchJobId("77;tunelab\n"), "77");
    assert.throws(() => parseSbatchJobId("sbatch: error: Batch job submission failed"), /did not print a job id/);
  });
  it("one squeue for all jobs, with finished ones included", () => {
    assert.deepEqual(squeueArgv(["1", "2_0", "2_1"]), ["squeue", "--noheader", "--array", "--states=all", "--jobs=1,2_0,2_1", "--format=%i %T %r"]);
  });
  it("parses squeue rows; a collapsed range of pending array tasks stands for each task", () => {
    const rows = parseSqueue(" 12 RUNNING None\n13 PENDING BeginTime\n29_[2-4,7%2] PENDING Resources\n29_0 RUNNING None\n14 CANCELLED None\n");
    assert.deepEqual([...rows.keys()], ["12", "13", "29_2", "29_3", "29_4", "29_7", "29_0", "14"]);
    assert.deepEqual(rows.get("13"), { state: "PENDING", reason: "BeginTime" });
    assert.deepEqual(rows.get("29_3"), { state: "PENDING", reason: "Resources" });
    assert.equal(rows.get("29_0")!.state, "RUNNING");
    assert.ok(isUnknownJobsError("slurm_load_jobs error: Invalid job id specified"));
  });
  it("expands array task ranges, and nothing that is not one", () => {
    assert.deepEqual(expandArrayTasks("5_[0-2]"), ["5_0", "5_1", "5_2"]);
    assert.deepEqual(expandArrayTasks("5_[3,9-10%4]"), ["5_3", "5_9", "5_10"]);
    assert.deepEqual(expandArrayTasks("5_3"), []);
    assert.deepEqual(expandArrayTasks("5_[4-2]"), []);
    assert.deepEqual(expandArrayTasks("x_[1-2]"), []);
    assert.deepEqual(expandArrayTasks("5_[0-99999999]"), [], "an absurd range is not expanded");
  });
  it("a range expands to exactly its tasks (property)", () => {
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 30 }), (tasks) => {
      // squeue's own compression: runs of consecutive indices as a-b.
      const sorted = [...tasks].sort((a, b) => a - b);
      const parts: string[] = [];
      for (let i = 0; i < sorted.length;) {
        let j = i;
        while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
        parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
        i = j + 1;
      }
      assert.deepEqual(expandArrayTasks(`42_[${parts.join(",")}]`), sorted.map((t) => `42_${t}`));
    }));
  });
  it("classifies states: a requeued job is waiting again, unknown states count as alive", () => {
    assert.equal(jobPhase("PENDING"), "waiting");
    assert.equal(jobPhase("REQUEUED"), "waiting");
    assert.equal(jobPhase("RUNNING"), "running");
    assert.equal(jobPhase("COMPLETING"), "ending");
    for (const s of ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED"]) assert.equal(jobPhase(s), "ended");
    assert.equal(jobPhase("SOMETHING_NEW"), "running");
  });
  it("says why a job ended when the cluster ended it, not the trial", () => {
    assert.match(externalEndReason("CANCELLED", "9")!, /job 9 was cancelled outside Tunelab/);
    assert.match(externalEndReason("TIMEOUT", "9")!, /time limit/);
    assert.equal(externalEndReason("FAILED", "9"), undefined);
    assert.equal(externalEndReason("COMPLETED", "9"), undefined);
  });
  it("scancel: a plain cancel, or a signal to the batch shell and its children", () => {
    assert.deepEqual(scancelArgv(["5"]), ["scancel", "5"]);
    assert.deepEqual(scancelArgv(["5"], "TERM"), ["scancel", "--full", "--signal=TERM", "5"]);
  });
  it("parses the runs file (with the job id when the job wrote it) and leaves out a line still being written", () => {
    assert.deepEqual(parseRuns("0 0 0 node1\n1 120 4 node2 77_3\n2 3"), [
      { restartCount: 0, offset: 0, iteration: 0, host: "node1" },
      { restartCount: 1, offset: 120, iteration: 4, host: "node2", jobId: "77_3" },
    ]);
  });
});

const line = (loss: number, checkpoint?: string): string => `${JSON.stringify(checkpoint ? { result: { loss }, checkpoint } : { result: { loss } })}\n`;
const reportsOf = (outs: readonly TailOutcome[]): unknown[] => outs.filter((o) => o.kind === "report").map((o) => (o as Extract<TailOutcome, { kind: "report" }>).message.result.loss);

describe("RequeueAwareReports", () => {
  it("a requeued run that resumed at an earlier checkpoint has its recomputed results skipped", () => {
    const r = new RequeueAwareReports(0);
    const run1 = line(1) + line(2) + line(3, "/t/.staging/c3") + line(4) + line(5);
    const out: TailOutcome[] = [...r.addRuns([{ restartCount: 0, offset: 0, iteration: 0, host: "a" }]), ...r.push(Buffer.from(run1))];
    assert.deepEqual(reportsOf(out), [1, 2, 3, 4, 5]);
    // Killed mid-line, then run 2 resumed from checkpoint 3: 4 and 5 are recomputed, 6 is new.
    const partial = '{"result": {"loss": 6';
    const run2 = line(4) + line(5) + line(6);
    const offset = Buffer.byteLength(run1 + partial);
    // As the reader sees it: the half line, then the runs line, then the padding newline and run 2.
    const more = [
      ...r.push(Buffer.from(partial)),
      ...r.addRuns([{ restartCount: 0, offset: 0, iteration: 0, host: "a" }, { restartCount: 1, offset, iteration: 3, host: "b" }]),
      ...r.push(Buffer.from(`\n${run2}`)),
    ];
    assert.equal(more.filter((o) => o.kind === "error").length, 0, "the killed run's half line is dropped; the padding newline is a blank line");
    assert.deepEqual(reportsOf(more), [6]);
    assert.deepEqual(more.filter((o) => o.kind === "skipped").map((o) => (o as { iteration: number }).iteration), [4, 5]);
    assert.equal(r.lastDelivered, 6);
  });

  it("a half line cut off by a run boundary is dropped without an error", () => {
    const r = new RequeueAwareReports(0);
    const partial = '{"result": {"lo';
    const offset = Buffer.byteLength(line(1) + partial);
    r.addRuns([{ restartCount: 0, offset: 0, iteration: 0, host: "a" }, { restartCount: 1, offset, iteration: 0, host: "a" }]);
    const out = r.push(Buffer.from(line(1) + partial + line(1) + line(2)));
    assert.deepEqual(out.map((o) => o.kind), ["report", "skipped", "report"]);
  });

  it("re-attach: results the runner already journaled are not delivered again", () => {
    const r = new RequeueAwareReports(10, 2);
    r.addRuns([{ restartCount: 0, offset: 0, iteration: 10, host: "a" }]);
    assert.deepEqual(reportsOf(r.push(Buffer.from(line(11) + line(12) + line(13)))), [13]);
  });

  it("delivers the same results however the bytes are chunked (property)", () => {
    const text = line(1) + line(2) + line(3) + line(4);
    const boundary = Buffer.byteLength(line(1) + line(2) + line(3));
    const bytes = Buffer.from(text + line(3) + line(4) + line(5)); // run 2 resumed at iteration 2
    const runs = [{ restartCount: 0, offset: 0, iteration: 0, host: "a" }, { restartCount: 1, offset: Buffer.byteLength(text), iteration: 2, host: "a" }];
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: bytes.length }), { maxLength: 6 }), (cuts) => {
      const r = new RequeueAwareReports(0);
      r.addRuns(runs);
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      const out: TailOutcome[] = [];
      let at = 0;
      for (const p of [...points, bytes.length]) {
        out.push(...r.push(bytes.subarray(at, p)));
        at = p;
      }
      assert.deepEqual(reportsOf(out), [1, 2, 3, 4, 5]);
      assert.ok(boundary > 0);
    }), { numRuns: 200, seed: 3 });
  });

  it("a last line without its newline at the end of the job is a protocol error, as locally", () => {
    const r = new RequeueAwareReports(0);
    r.addRuns([{ restartCount: 0, offset: 0, iteration: 0, host: "a" }]);
    r.push(Buffer.from('{"result": {"loss": 1}}'));
    assert.equal(r.end()[0]!.kind, "error");
  });
});

describe("batchScript", () => {
  const dir = mkdtempSync(join(tmpdir(), "tunelab-slurm-script-"));
  const trialDir = join(dir, "trial");
  mkdirSync(trialDir);

  /** Runs the script with bash as a compute node would (no Slurm: SLURM_* set by hand). */
  function runScript(name: string, argv: string[], env: Record<string, string>, slurmEnv: Record<string, string> = {}, probe = true) {
    const files = jobFiles(join(dir, name));
    mkdirSync(files.dir, { recursive: true });
    if (probe) writeFileSync(files.probe, "x\n");
    writeFileSync(files.script, batchScript({ trialId: "t_1", argv, cwd: dir, env, trialDir, files, workers: 1, gpus: false }));
    const r = spawnSync("bash", [files.script], { env: { PATH: process.env.PATH!, CUDA_VISIBLE_DEVICES: "0,1", ...slurmEnv }, encoding: "utf8" });
    return { r, files };
  }

  it("is valid bash, and hostile env values and arguments arrive as literal words", () => {
    const canary = join(dir, "pwned");
    const hostile = `$(touch ${canary}) \`touch ${canary}\` '"; touch ${canary}\nnext line`;
    const { r, files } = runScript("hostile", ["node", "-e", "require('fs').writeFileSync(3, JSON.stringify({result:{a:process.argv[1],e:process.env.X,c:process.env.CUDA_VISIBLE_DEVICES}})+'\\n')", hostile], { X: hostile, TUNELAB_ITERATION: "0" });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(readFileSync(files.reports, "utf8")) as { result: { a: string; e: string; c: string } };
    assert.deepEqual(report.result, { a: hostile, e: hostile, c: "" });
    assert.equal(readFileSync(files.exit, "utf8").trim(), "0");
    assert.throws(() => readFileSync(canary));
    execFileSync("bash", ["-n", files.script]);
  });

  it("records the program's exit code in the marker and one runs line per run", () => {
    const { r, files } = runScript("exit3", ["bash", "-c", "exit 3"], { TUNELAB_ITERATION: "0" });
    assert.equal(r.status, 3);
    assert.equal(readFileSync(files.exit, "utf8").trim(), "3");
    assert.match(readFileSync(files.runs, "utf8"), /^0 0 0 \S+ none\n$/);
  });

  it("a requeued run restores the trial dir's highest checkpoint and starts on a fresh report line", () => {
    for (const n of [2, 10]) {
      mkdirSync(join(trialDir, `checkpoint_${String(n).padStart(6, "0")}`), { recursive: true });
    }
    mkdirSync(join(trialDir, "checkpoint_000012.partial"), { recursive: true });
    const files = jobFiles(join(dir, "requeue"));
    mkdirSync(files.dir, { recursive: true });
    writeFileSync(files.reports, '{"result": {"x"'); // a run killed mid-line
    const argv = ["bash", "-c", 'echo "$TUNELAB_ITERATION $TUNELAB_RESTORE" > "$0/seen"', files.dir];
    writeFileSync(files.probe, "x\n");
    writeFileSync(files.script, batchScript({ trialId: "t_1", argv, cwd: dir, env: { TUNELAB_ITERATION: "0" }, trialDir, files, workers: 1, gpus: false }));
    const r = spawnSync("bash", [files.script], { env: { PATH: process.env.PATH!, SLURM_RESTART_COUNT: "1" }, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(files.dir, "seen"), "utf8").trim(), `10 ${join(trialDir, "checkpoint_000010")}`);
    const size = Buffer.byteLength('{"result": {"x"');
    assert.match(readFileSync(files.runs, "utf8"), new RegExp(`^1 ${size} 10 `));
  });

  it("a job that cannot see the runner's probe file stops with a message about the shared filesystem", () => {
    const { r } = runScript("noprobe", ["true"], {}, {}, false);
    assert.equal(r.status, NOT_SHARED_EXIT);
    assert.match(r.stderr, /not visible on .*shared with the compute nodes/);
  });
});

describe("job arrays", () => {
  const opts = (trialId: string, more: Partial<SbatchOptions> = {}): SbatchOptions => ({
    ...base, trialId, stdoutPath: `/e/${trialId}/stdout.log`, stderrPath: `/e/${trialId}/stderr.log`, script: `/e/${trialId}/.slurm/attempt-1/job.sh`, ...more,
  });

  it("trials that differ only in their own files share a key; resources, partition or extra args split them", () => {
    assert.equal(arrayKey(opts("a")), arrayKey(opts("b")));
    assert.notEqual(arrayKey(opts("a")), arrayKey(opts("b", { cpusPerTask: 4 })));
    assert.notEqual(arrayKey(opts("a")), arrayKey(opts("b", { gres: "gpu:1" })));
    assert.notEqual(arrayKey(opts("a")), arrayKey(opts("b", { partition: "gpu" })));
    assert.notEqual(arrayKey(opts("a", { extraArgs: ["--mem=1G"] })), arrayKey(opts("b", { extraArgs: ["--mem=2G"] })));
  });

  it("groups in order of first appearance, splits at the largest array, leaves a lone kind as a single job", () => {
    const items = [opts("a"), opts("g1", { gres: "gpu:1" }), opts("b"), opts("c"), opts("d"), opts("e")];
    assert.deepEqual(groupSubmissions(items, (o) => o, 3).map((g) => g.map((o) => o.trialId)), [["a", "b", "c"], ["d", "e"], ["g1"]]);
  });

  it("an array's sbatch options: shared resources, the first trial's name plus a count, logs by task index", () => {
    const files = arrayFiles("/e/a/.slurm/attempt-1/array");
    const o = arraySbatchOptions([opts("a"), opts("b"), opts("c")], files);
    assert.deepEqual(sbatchArgv(o), [
      "sbatch", "--parsable", "--job-name=tunelab-a+2", "--array=0-2", `--output=${files.dir}/%a.out`, `--error=${files.dir}/%a.err`,
      "--open-mode=append", "--requeue", "--cpus-per-task=2", files.script,
    ]);
    assert.equal(arrayTaskId("812", 2), "812_2");
  });

  it("task i runs trial i's own job script: its exit marker, its runs line naming <array>_<i>, its logs", () => {
    const dir = mkdtempSync(join(tmpdir(), "tunelab-slurm-array-"));
    const tasks = ["t0", "t1"].map((id) => {
      const trialDir = join(dir, id);
      const files = jobFiles(join(trialDir, ".slurm", "attempt-1"));
      mkdirSync(files.dir, { recursive: true });
      writeFileSync(files.probe, "x\n");
      const argv = ["bash", "-c", `echo out-${id}; echo err-${id} >&2; echo '{"result":{"who":"${id}"}}' >&3; exit ${id === "t1" ? 4 : 0}`];
      writeFileSync(files.script, batchScript({ trialId: id, argv, cwd: dir, env: {}, trialDir, files, workers: 1, gpus: false }));
      return { trialDir, files, jobDir: files.dir, stdoutPath: join(trialDir, "stdout.log"), stderrPath: join(trialDir, "stderr.log") };
    });
    const array = arrayFiles(join(tasks[0]!.jobDir, "array"));
    mkdirSync(array.dir);
    writeFileSync(array.script, arrayScript(array.dir));
    for (const [link, target] of arrayLinks(array.dir, tasks)) symlinkSync(target, link);
    execFileSync("bash", ["-n", array.script]);
    // As slurmstepd would: the log links opened for append by the job's own stdout and stderr.
    const r = spawnSync("bash", ["-c", `exec bash "$0" >>"$1" 2>>"$2"`, array.script, join(array.dir, "1.out"), join(array.dir, "1.err")], {
      env: { PATH: process.env.PATH!, SLURM_ARRAY_JOB_ID: "812", SLURM_ARRAY_TASK_ID: "1", SLURM_JOB_ID: "814" }, encoding: "utf8",
    });
    assert.equal(r.status, 4, r.stderr);
    const [t0, t1] = tasks;
    assert.equal(readFileSync(t1!.files.exit, "utf8").trim(), "4");
    assert.match(readFileSync(t1!.files.runs, "utf8"), /^0 0 0 \S+ 812_1\n$/);
    assert.equal(JSON.parse(readFileSync(t1!.files.reports, "utf8")).result.who, "t1");
    assert.equal(readFileSync(t1!.stdoutPath, "utf8"), "out-t1\n");
    assert.equal(readFileSync(t1!.stderrPath, "utf8"), "err-t1\n");
    assert.throws(() => readFileSync(t0!.files.exit), "task 0's trial did not run");
  });

  it("a task whose job script is not visible stops with a message about the shared filesystem", () => {
    const dir = mkdtempSync(join(tmpdir(), "tunelab-slurm-array-"));
    writeFileSync(join(dir, "array.sh"), arrayScript(dir));
    const r = spawnSync("bash", [join(dir, "array.sh")], { env: { PATH: process.env.PATH!, SLURM_ARRAY_TASK_ID: "3" }, encoding: "utf8" });
    assert.equal(r.status, NOT_SHARED_EXIT);
    assert.match(r.stderr, /array task 3: .*not visible on .*shared with the compute nodes/);
  });
});
