import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, it } from "node:test";
import type { ReportMessage, TrialEvents, TrialExit, TrialLaunch } from "../../../src/engine/executors/executor.ts";
import { LocalExecutor } from "../../../src/engine/executors/local.ts";

const FIXTURES = resolve(import.meta.dirname, "../../fixtures/trainables");
const TRIAL = join(FIXTURES, "trial.mjs");
const root = mkdtempSync(join(tmpdir(), "tunelab-local-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** Records a trial's events and lets a test wait for one, with a timeout instead of a sleep. */
class Recorder implements TrialEvents {
  reports: ReportMessage[] = [];
  errors: string[] = [];
  exits: TrialExit[] = [];
  private waiters: (() => void)[] = [];
  onReport = (m: ReportMessage): void => this.push(() => this.reports.push(m));
  onProtocolError = (m: string): void => this.push(() => this.errors.push(m));
  onExit = (e: TrialExit): void => this.push(() => this.exits.push(e));
  private push(f: () => void): void {
    f();
    for (const w of this.waiters) w();
  }
  async until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (ok()) return;
    await new Promise<void>((resolveWait, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.waiters.push(() => {
        if (ok()) {
          clearTimeout(timer);
          resolveWait();
        }
      });
    });
  }
  exited(timeoutMs?: number): Promise<TrialExit> {
    return this.until("exit", () => this.exits.length > 0, timeoutMs).then(() => this.exits[0]!);
  }
}

let n = 0;
function launch(argv: string[], extra: Partial<TrialLaunch> = {}): TrialLaunch {
  const trialDir = join(root, `trial_${n++}`);
  return { trialId: `t${n}`, argv, cwd: FIXTURES, env: { TUNELAB_REPORT_TAG: `@tunelab:test${n}:` }, trialDir, resources: { cpu: 1, gpu: 0 }, gpuIds: [], ...extra };
}

/** Alive and not a zombie waiting to be reaped by an init that may never reap it. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function waitDead(pid: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) assert.fail(`process ${pid} is still alive`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

void describe("LocalExecutor", () => {
  const ex = new LocalExecutor();
  after(() => ex.close(100));

  void it("delivers fd 3 reports in order, then onExit exactly once, and writes the logs", async () => {
    const rec = new Recorder();
    const l = launch(["node", TRIAL, "fd3"]);
    ex.start(l, rec);
    const exit = await rec.exited();
    assert.deepEqual(exit.code, 0);
    assert.deepEqual(rec.reports.map((r) => r.result.step), [1, 2, 3, 4, 5]);
    assert.equal(rec.reports[0]!.result.name, "ünïcødé");
    assert.equal(rec.reports[2]!.checkpoint, "/tmp/ckpt_3");
    assert.deepEqual(rec.errors, []);
    assert.equal(rec.exits.length, 1);
    assert.match(readFileSync(join(l.trialDir, "stdout.log"), "utf8"), /training step 5\n/);
    assert.equal(readFileSync(join(l.trialDir, "stderr.log"), "utf8"), "a warning on stderr\n");
    assert.equal(exit.stderrTail, "a warning on stderr");
  });

  void it("reads tagged stdout lines as reports and keeps everything else, only, in stdout.log", async () => {
    const rec = new Recorder();
    const l = launch(["node", TRIAL, "tagged"]);
    ex.start(l, rec);
    await rec.exited();
    assert.deepEqual(rec.reports, [{ result: { step: 1 } }, { result: { step: 2 }, checkpoint: "/tmp/ck" }]);
    assert.deepEqual(rec.errors, []);
    const out = readFileSync(join(l.trialDir, "stdout.log"), "utf8");
    assert.equal(out, "plain line before\nnoise mentioning @tunelab: but not the tag\nno newline at the end");
  });

  void it("turns garbage, NaN, a 2 MiB line and a cut-off line on fd 3 into protocol errors without stopping", async () => {
    const rec = new Recorder();
    ex.start(launch(["node", TRIAL, "garbage"]), rec);
    const exit = await rec.exited();
    assert.equal(exit.code, 0);
    assert.deepEqual(rec.reports, [{ result: { step: 1 } }]);
    assert.equal(rec.errors.length, 5, rec.errors.join("\n"));
    assert.match(rec.errors[0]!, /not valid JSON.*this is not json/);
    assert.match(rec.errors[1]!, /metric "loss" is NaN.*NaN\/Infinity are not valid JSON/);
    assert.match(rec.errors[2]!, /report line longer than 1 MiB \(2097\d+ bytes\)/);
    assert.match(rec.errors[3]!, /must be a JSON object.*got an array/);
    assert.match(rec.errors[4]!, /ended in the middle of a line/);
  });

  void it("reports a crash's exit code with a bounded stderr tail", async () => {
    const rec = new Recorder();
    ex.start(launch(["node", TRIAL, "crash"]), rec);
    const exit = await rec.exited();
    assert.equal(exit.code, 3);
    assert.equal(rec.reports.length, 1);
    const lines = exit.stderrTail.split("\n");
    assert.ok(lines.length <= 50);
    assert.equal(lines.at(-1), "Traceback: ValueError: learning rate must be positive");
  });

  void it("turns a missing program into onExit with a clear message, never an exception", async () => {
    const rec = new Recorder();
    const l = launch(["no-such-trainable-xyz", "--lr", "0.1"]);
    const handle = ex.start(l, rec);
    assert.equal(handle.pid, undefined);
    const exit = await rec.exited();
    assert.equal(exit.code, null);
    assert.match(exit.stderrTail, /cannot start `no-such-trainable-xyz`: not found \(cwd .*fixtures\/trainables\)/);
    assert.match(readFileSync(join(l.trialDir, "stderr.log"), "utf8"), /cannot start/);
    await handle.stop(100); // stopping a trial that never started resolves
  });

  void it("names a missing working directory", async () => {
    const rec = new Recorder();
    ex.start(launch(["node", TRIAL, "fd3"], { cwd: join(root, "nope") }), rec);
    assert.match((await rec.exited()).stderrTail, /working directory .*nope does not exist/);
  });

  void it("sets the protocol env vars and CUDA_VISIBLE_DEVICES from gpuIds", async () => {
    const gpuEx = new LocalExecutor({ machineGpus: 4 });
    const withGpus = new Recorder();
    gpuEx.start(launch(["node", TRIAL, "env"], { gpuIds: [1, 3], env: { TUNELAB_TRIAL_ID: "abc", TUNELAB_REPORT_TAG: "@tunelab:x:" } }), withGpus);
    await withGpus.exited();
    const env = withGpus.reports[0]!.result.env as Record<string, string>;
    assert.equal(env.CUDA_VISIBLE_DEVICES, "1,3");
    assert.equal(env.TUNELAB_REPORT_FD, "3");
    assert.equal(env.TUNELAB_TRIAL_ID, "abc");
    assert.equal(env.TUNELAB_REPORT_TAG, "@tunelab:x:");
    assert.equal(withGpus.reports[0]!.result.cwd, FIXTURES);

    const noGpu = new Recorder();
    gpuEx.start(launch(["node", TRIAL, "env"]), noGpu);
    await noGpu.exited();
    assert.equal((noGpu.reports[0]!.result.env as Record<string, string>).CUDA_VISIBLE_DEVICES, "");
  });

  void it("stop() kills the whole process group, background grandchildren included", async () => {
    const rec = new Recorder();
    const handle = ex.start(launch([join(FIXTURES, "grandchild.sh")]), rec);
    await rec.until("the grandchild's pid", () => rec.reports.length > 0);
    const grandchild = rec.reports[0]!.result.grandchild as number;
    assert.ok(isAlive(grandchild));
    await handle.stop(2000);
    assert.equal(rec.exits.length, 1);
    assert.equal(rec.exits[0]!.signal, "SIGTERM");
    await waitDead(grandchild);
    await handle.stop(2000); // idempotent
    assert.equal(rec.exits.length, 1);
  });

  void it("ends promptly when a trial exits leaving a background process on its pipes, and kills that process", async () => {
    const rec = new Recorder();
    const script = 'sleep 1000 & echo "{\\"result\\": {\\"grandchild\\": $!}}" >&3; exit 0';
    ex.start(launch(["bash", "-c", script]), rec);
    const exit = await rec.exited(3000);
    assert.equal(exit.code, 0);
    await waitDead(rec.reports[0]!.result.grandchild as number);
  });

  void it("SIGKILLs a trial that ignores SIGTERM once the grace period is over", async () => {
    const rec = new Recorder();
    const l = launch(["node", TRIAL, "ignore-term"]);
    const handle = ex.start(l, rec);
    await rec.until("ready", () => rec.reports.length > 0);
    await handle.stop(300);
    assert.equal(rec.exits[0]!.signal, "SIGKILL");
    assert.match(readFileSync(join(l.trialDir, "stdout.log"), "utf8"), /ignoring SIGTERM/);
  });

  void it("close() stops every trial and killAllSync() kills groups at once", async () => {
    const local = new LocalExecutor();
    const a = new Recorder();
    const b = new Recorder();
    local.start(launch(["node", TRIAL, "wait"]), a);
    const hb = local.start(launch(["node", TRIAL, "ignore-term"]), b);
    await a.until("a ready", () => a.reports.length > 0);
    await b.until("b ready", () => b.reports.length > 0);
    local.killAllSync();
    await b.exited();
    assert.equal(b.exits[0]!.signal, "SIGKILL");
    await waitDead(hb.pid!);
    await local.close(100);
    assert.equal(a.exits.length, 1);
    assert.equal(local.size, 0);
  });

  void it("appends retries to the same logs with an attempt separator", async () => {
    const l = launch(["node", TRIAL, "crash"]);
    for (const attempt of [1, 2]) {
      const rec = new Recorder();
      ex.start({ ...l, attempt }, rec);
      await rec.exited();
    }
    const err = readFileSync(join(l.trialDir, "stderr.log"), "utf8");
    assert.equal(err.match(/learning rate must be positive/g)?.length, 2);
    assert.match(err, /\n--- attempt 2 at .* ---\n/);
  });
});
