import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { ReportMessage, TrialEvents, TrialExit, TrialLaunch } from "../../../src/engine/executors/executor.ts";
import { PythonWorkerPool, pythonTrainableTarget, workerKey, workerSpecFor } from "../../../src/engine/executors/python-workers.ts";
import { RoutingExecutor } from "../../../src/engine/executors/routing.ts";
import type { WorkerTrial } from "../../../src/engine/executors/worker-trial.ts";
import { buildLaunch } from "../../../src/engine/trainables/launch.ts";

const root = mkdtempSync(join(tmpdir(), "tunelab-workers-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** The trainables these tests run; the module counts its imports in a file next to it. */
const MODULE = `
import os, sys, subprocess, tunelab
HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "imports.txt"), "a") as f:
    f.write("x")
GLOBAL = {"touched": False}

def train(config):
    print("out", config["name"], flush=True)
    tunelab.report({"name": config["name"], "trial": tunelab.get_trial_id(), "touched": GLOBAL["touched"],
                    "x": os.environ.get("X_FROM_A_TRIAL"), "cwd": os.getcwd(), "ckpt": tunelab.checkpoint_dir()})
    GLOBAL["touched"] = True
    os.environ["X_FROM_A_TRIAL"] = "leaked?"
    os.chdir("/")
    return {"last": config["name"]}

def slow(config):
    if config.get("quick"):
        return {"quick": True}
    tunelab.report({"name": config["name"], "step": 1})
    sys.stdin.read() if config.get("block_stdin") else None
    import select; select.select([], [], [], 30)

def crash(config):
    if config["how"] == "raise": raise ValueError("bad lr " + str(config.get("lr")))
    if config["how"] == "exit": sys.exit(3)
    if config["how"] == "os_exit": os._exit(9)
    if config["how"] == "garbage":
        os.write(3, b"not json\\n")
        import select; select.select([], [], [], 30)
    if config["how"] == "spawn":
        child = subprocess.Popen(["sleep", "300"])
        tunelab.report({"child": child.pid})

class Counter(tunelab.Trainable):
    def setup(self, config):
        self.n = 0
    def step(self):
        self.n += 1
        import select; select.select([], [], [], 0.05)
        return {"n": self.n}
    def save_checkpoint(self, d):
        open(os.path.join(d, "n"), "w").write(str(self.n))
    def load_checkpoint(self, d):
        self.n = int(open(os.path.join(d, "n")).read())
`;
const project = join(root, "project");
mkdirSync(project);
writeFileSync(join(project, "mod.py"), MODULE);
const configPath = join(project, "tune.config.ts");

let n = 0;
function launch(attr: string, config: Record<string, unknown>, extra: Partial<Parameters<typeof buildLaunch>[0]> = {}): TrialLaunch {
  n += 1;
  const trialId = `t${n}`;
  const trialDir = join(root, "exp", trialId);
  mkdirSync(trialDir, { recursive: true });
  writeFileSync(join(trialDir, "params.json"), JSON.stringify(config));
  return buildLaunch({
    trainable: { python: `mod:${attr}` }, configPath, trialId, trialDir, expDir: join(root, "exp"), iteration: 0,
    resources: { cpu: 1, gpu: 0 }, gpuIds: [], ...extra,
  });
}

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
  async until(what: string, ok: () => boolean, timeoutMs = 15_000): Promise<void> {
    if (ok()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.waiters.push(() => {
        if (ok()) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }
  exited(): Promise<TrialExit> {
    return this.until("exit", () => this.exits.length > 0).then(() => this.exits[0]!);
  }
}

async function runToEnd(ex: PythonWorkerPool | RoutingExecutor, l: TrialLaunch): Promise<{ rec: Recorder; exit: TrialExit; pid: number | undefined }> {
  const rec = new Recorder();
  const handle = ex.start(l, rec);
  const exit = await rec.exited();
  return { rec, exit, pid: handle.pid };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function waitDead(pid: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // A SIGKILL is delivered, not awaited, by kill(2): poll /proc briefly, as local.test.ts does.
  while (isAlive(pid)) {
    if (Date.now() > deadline) assert.fail(`process ${pid} is still alive`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("recognising Python trainables", () => {
  it("takes the argv buildLaunch makes for { python } and nothing else", () => {
    assert.deepEqual(pythonTrainableTarget(["python3", "-m", "tunelab.run", "train:fn"]), { interpreter: "python3", target: "train:fn" });
    assert.equal(pythonTrainableTarget(["python3", "train.py"]), undefined);
    assert.equal(pythonTrainableTarget(["python3", "-m", "tunelab.run", "train:fn", "--config", "{}"]), undefined);
    assert.equal(pythonTrainableTarget(["python3", "-m", "tunelab.run", "train"]), undefined);
  });

  it("keys workers by everything but the per-trial variables", () => {
    const a = workerSpecFor(launch("train", {}))!;
    const b = workerSpecFor(launch("train", {}, { gpuIds: [1], restore: "/ckpt" }))!;
    assert.equal(workerKey(a), workerKey(b));
    assert.equal(a.env.TUNELAB_TRIAL_ID, undefined);
    assert.notEqual(workerKey(a), workerKey({ ...a, env: { ...a.env, OMP_NUM_THREADS: "1" } }));
  });
});

describe("PythonWorkerPool", () => {
  it("runs trials in sequence on one worker that imported the module once, with nothing leaking between them", async () => {
    const pool = new PythonWorkerPool();
    try {
      const pids = new Set<number | undefined>();
      for (const name of ["a", "b", "c"]) {
        const l = launch("train", { name });
        const { rec, exit, pid } = await runToEnd(pool, l);
        pids.add(pid);
        assert.deepEqual(exit, { code: 0, signal: null, stderrTail: "" });
        assert.equal(rec.reports.length, 2);
        const first = rec.reports[0]!.result;
        assert.deepEqual({ ...first, ckpt: undefined }, { name, trial: l.trialId, touched: false, x: null, cwd: project, ckpt: undefined });
        assert.equal(first.ckpt, join(l.trialDir, ".staging", "ckpt-1"));
        assert.deepEqual(rec.reports[1]!.result, { last: name });
        assert.equal(readFileSync(join(l.trialDir, "stdout.log"), "utf8"), `out ${name}\n`);
      }
      assert.equal(pids.size, 1, "one worker ran all three");
      assert.equal(pool.spawned, 1);
      assert.equal(readFileSync(join(project, "imports.txt"), "utf8"), "x");
    } finally {
      await pool.close(1000);
    }
  });

  it("routes each trial's results to its own events with two trials at once", async () => {
    const pool = new PythonWorkerPool();
    try {
      // Two lanes of two trials each, as concurrency: 2 runs them.
      const lanes = [["p", "q"], ["r", "s"]];
      await Promise.all(lanes.map(async (lane) => {
        for (const name of lane) {
          const l = launch("train", { name });
          const { rec, exit } = await runToEnd(pool, l);
          assert.equal(exit.code, 0);
          assert.deepEqual([rec.reports[0]!.result.name, rec.reports[0]!.result.trial], [name, l.trialId]);
          assert.equal(readFileSync(join(l.trialDir, "stdout.log"), "utf8"), `out ${name}\n`);
        }
      }));
      assert.equal(pool.spawned, 2);
    } finally {
      await pool.close(1000);
    }
  });

  it("ends a crashed trial with its code and traceback, and the worker runs the next one", async () => {
    const pool = new PythonWorkerPool();
    try {
      const raised = await runToEnd(pool, launch("crash", { how: "raise", lr: 0.5 }));
      assert.equal(raised.exit.code, 1);
      assert.match(raised.exit.stderrTail, /ValueError: bad lr 0\.5/);
      assert.equal((await runToEnd(pool, launch("crash", { how: "exit" }))).exit.code, 3);
      assert.equal((await runToEnd(pool, launch("crash", { how: "os_exit" }))).exit.code, 9);
      const ok = await runToEnd(pool, launch("crash", { how: "not at all" }));
      assert.equal(ok.exit.code, 0);
      assert.equal(ok.pid, raised.pid, "sys.exit and os._exit end the trial, not the worker");
      assert.equal(pool.spawned, 1);
    } finally {
      await pool.close(1000);
    }
  });

  it("stops a trial with SIGTERM (exit 0), and a class trainable saves its checkpoint at the end", async () => {
    const pool = new PythonWorkerPool();
    try {
      const rec = new Recorder();
      const trial = pool.start(launch("slow", { name: "s" }), rec);
      await rec.until("first report", () => rec.reports.length === 1);
      await trial.stop(5000);
      assert.deepEqual(rec.exits, [{ code: 0, signal: null, stderrTail: "" }]);

      const counting = new Recorder();
      const counter = pool.start(launch("Counter", {}, { checkpointAtEnd: true }), counting);
      await counting.until("two steps", () => counting.reports.length >= 2);
      await counter.stop(5000);
      assert.equal(counting.exits[0]!.code, 0);
      const last = counting.reports.at(-1)!;
      assert.ok(last.checkpoint, "the last result carries the checkpoint saved at the stop");
      assert.equal(readFileSync(join(last.checkpoint, "n"), "utf8"), String(last.result.n));
      assert.equal(pool.spawned, 2, "one worker per trainable");
    } finally {
      await pool.close(1000);
    }
  });

  it("kills a trial that ignores SIGTERM after the grace period and keeps the worker", async () => {
    const pool = new PythonWorkerPool();
    try {
      const rec = new Recorder();
      const l = launch("slow", { name: "stubborn" });
      const trial = pool.start(l, rec);
      await rec.until("first report", () => rec.reports.length === 1);
      const forked = (trial as WorkerTrial).trialPid!;
      process.kill(forked, "SIGSTOP"); // stands for a trial stuck in native code: SIGTERM does nothing
      await trial.stop(200);
      assert.equal(rec.exits[0]!.signal, "SIGKILL");
      await waitDead(forked);
      assert.equal((await runToEnd(pool, launch("slow", { quick: true }))).exit.code, 0);
      assert.equal(pool.spawned, 1);
    } finally {
      await pool.close(1000);
    }
  });

  it("fails a trial that writes garbage on its report channel with a protocol error", async () => {
    const pool = new PythonWorkerPool();
    try {
      const rec = new Recorder();
      const trial = pool.start(launch("crash", { how: "garbage" }), rec);
      await rec.until("protocol error", () => rec.errors.length === 1);
      assert.match(rec.errors[0]!, /not valid JSON/);
      await trial.stop(1000);
    } finally {
      await pool.close(1000);
    }
  });

  it("kills what a trial spawned when the trial ends", async () => {
    const pool = new PythonWorkerPool();
    try {
      const { rec, exit } = await runToEnd(pool, launch("crash", { how: "spawn" }));
      assert.equal(exit.code, 0);
      const child = rec.reports[0]!.result.child as number;
      await waitDead(child);
    } finally {
      await pool.close(1000);
    }
  });

  it("restores a class trainable from TUNELAB_RESTORE", async () => {
    const ckpt = join(root, "ckpt-restore");
    mkdirSync(ckpt, { recursive: true });
    writeFileSync(join(ckpt, "n"), "41");
    const pool = new PythonWorkerPool();
    try {
      const rec = new Recorder();
      const trial = pool.start(launch("Counter", {}, { restore: ckpt, iteration: 41 }), rec);
      await rec.until("a report", () => rec.reports.length >= 1);
      assert.equal(rec.reports[0]!.result.n, 42);
      await trial.stop(5000);
    } finally {
      await pool.close(1000);
    }
  });

  it("replaces a worker that died while idle, and close() leaves no worker behind", async () => {
    const pool = new PythonWorkerPool();
    const first = await runToEnd(pool, launch("train", { name: "one" }));
    // Whether or not the pool has seen the death yet, the next trial must not pay for it.
    process.kill(first.pid!, "SIGKILL");
    const second = await runToEnd(pool, launch("train", { name: "two" }));
    assert.equal(second.exit.code, 0);
    assert.notEqual(second.pid, first.pid);
    await pool.close(1000);
    await waitDead(second.pid!);
    assert.equal(pool.idleCount, 0);
  });

  it("fails a trial whose module cannot be imported with the traceback, like tunelab.run", async () => {
    const pool = new PythonWorkerPool();
    try {
      const bad = await runToEnd(pool, buildLaunch({
        trainable: { python: "no_such_module:train" }, configPath, trialId: "imp", trialDir: join(root, "exp", "imp"),
        expDir: join(root, "exp"), iteration: 0, resources: { cpu: 1, gpu: 0 }, gpuIds: [],
      }));
      assert.equal(bad.exit.code, 2);
      assert.match(bad.exit.stderrTail, /no module named 'no_such_module'/);
    } finally {
      await pool.close(1000);
    }
  });
});

describe("RoutingExecutor", () => {
  it("sends Python trainables to workers and commands to processes", async () => {
    const ex = new RoutingExecutor({ idleTimeoutMs: 60_000 });
    try {
      const py = await runToEnd(ex, launch("train", { name: "py" }));
      assert.equal(py.exit.code, 0);
      assert.equal(ex.workers!.spawned, 1);
      const cmdDir = join(root, "exp", "cmd");
      const cmd = await runToEnd(ex, buildLaunch({
        trainable: { command: ["sh", "-c", 'echo \'{"result": {"ok": 1}}\' >&3'] }, configPath, trialId: "cmd",
        trialDir: cmdDir, expDir: join(root, "exp"), iteration: 0, resources: { cpu: 1, gpu: 0 }, gpuIds: [],
      }));
      assert.equal(cmd.exit.code, 0);
      assert.deepEqual(cmd.rec.reports, [{ result: { ok: 1 } }]);
      assert.equal(ex.workers!.spawned, 1);
    } finally {
      await ex.close(1000);
    }
  });

  it("runs Python trainables as cold processes when reuseWorkers is false", async () => {
    const ex = new RoutingExecutor({ reuseWorkers: false });
    try {
      const { exit, rec } = await runToEnd(ex, launch("train", { name: "cold" }));
      assert.equal(exit.code, 0);
      assert.equal(rec.reports[0]!.result.name, "cold");
      assert.equal(ex.workers, undefined);
    } finally {
      await ex.close(1000);
    }
  });
});
