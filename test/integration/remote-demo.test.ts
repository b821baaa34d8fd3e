/**
 * The demo experiment (examples/digits: its tune.config.ts, train.py and data) run remotely
 * through the CLI: over ssh against the private test sshd, and on the single-node Slurm
 * cluster. A config in a temp copy of the project imports the demo's own config and shortens
 * it (2 samples × the grid of 2, 8 epochs) so each run stays well under a minute here. Each
 * remote is skipped, saying why, only where it cannot be started (not root, no sshd).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { sshTestEnv, type SshTestEnv } from "../engine/executors/ssh-test-env.ts";
import { ROOT, eventsOf, experimentDir, journal, startCli, stateOf, tempStorage } from "./helpers.ts";
import { startCluster, stopCluster } from "./slurm-cluster.ts";

const DEMO = join(ROOT, "examples/digits");
const EPOCHS = 8;
const cleanup: string[] = [];
const children: ChildProcess[] = [];
let ssh: SshTestEnv | string = "";

// Starting the sshd may wait for another suite's start (a lock) or install packages: not the runs' time.
before(() => {
  const r = spawnSync("bash", [join(ROOT, "scripts/sshd/start-local-sshd.sh"), "--with-rsync"], { encoding: "utf8", timeout: 300_000 });
  ssh = (r.status === 0 ? sshTestEnv() : undefined) ??
    `no private sshd could be started (scripts/sshd/start-local-sshd.sh exit ${r.status}): ${(r.stderr ?? "").trim().split("\n").slice(-3).join(" ")}`;
}, { timeout: 310_000 });

after(() => {
  // A run the test gave up on must not go on writing into dirs removed under it.
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the demo project (what an ssh host gets synced) whose config extends the demo's. */
function demoProject(executor: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), "tunelab-remote-demo-"));
  cleanup.push(dir);
  cpSync(join(DEMO, "train.py"), join(dir, "train.py"));
  cpSync(join(DEMO, "data"), join(dir, "data"), { recursive: true });
  const config = join(dir, "tune.config.ts");
  writeFileSync(config, [
    `import demo from ${JSON.stringify(join(DEMO, "tune.config.ts"))};`,
    "export default {",
    "  ...demo,",
    `  samples: 2, space: { ...demo.space, epochs: ${EPOCHS} }, stop: { training_iteration: ${EPOCHS} },`,
    `  executor: ${JSON.stringify(executor)},`,
    "};",
    "",
  ].join("\n"));
  return config;
}

/** Runs the demo with `executor` and checks what the README promises of it. */
async function runDemo(executor: Record<string, unknown>): Promise<void> {
  const storage = tempStorage();
  cleanup.push(storage);
  const started = Date.now();
  const { child, done } = startCli(["run", demoProject(executor), "--storage", storage, "--quiet"]);
  children.push(child);
  const run = await done;
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  const dir = experimentDir(storage);
  const state = stateOf(dir);
  const events = journal(dir);
  assert.equal(state.trials.length, 4, "2 samples × the hidden grid of 2");
  for (const t of state.trials) {
    assert.equal(t.status, "TERMINATED", t.error);
    const iterations = eventsOf(events, "result", t.id).map((e) => e.r.training_iteration);
    assert.deepEqual(iterations, Array.from({ length: EPOCHS }, (_, i) => i + 1), `${t.id}: every epoch reported once`);
    const acc = Number(t.lastResult?.val_acc);
    assert.ok(acc >= 0 && acc <= 1, `${t.id} reported val_acc (${String(t.lastResult?.val_acc)})`);
    assert.ok(t.checkpoints.length >= 1, `${t.id} kept a checkpoint`);
  }
  const best = Math.max(...state.trials.map((t) => Number(t.lastResult?.val_acc)));
  assert.ok(best > 0.8, `the best trial learned the digits: val_acc ${best}`);
  process.stderr.write(`# ${String(executor.kind)}: demo of 4 trials × ${EPOCHS} epochs in ${((Date.now() - started) / 1000).toFixed(1)} s, best val_acc ${best.toFixed(3)}\n`);
}

test("the digits demo over ssh: every trial TERMINATED with val_acc, the best above 0.8", { timeout: 120_000 }, async (t) => {
  if (typeof ssh === "string") return t.skip(ssh);
  const env = ssh;
  const workdir = mkdtempSync(join(tmpdir(), "tunelab-remote-demo-host-"));
  cleanup.push(workdir);
  await runDemo({ kind: "ssh", hosts: [{ host: env.host, cpus: 2, workdir }], sshConfig: env.config });
});

test("the digits demo on Slurm: every trial TERMINATED with val_acc, the best above 0.8", { timeout: 120_000 }, async (t) => {
  const cluster = startCluster();
  if (typeof cluster === "string") return t.skip(`Slurm is not available here: ${cluster}`);
  try {
    // The CLI's sbatch/squeue find the test cluster through SLURM_CONF (startCli passes process.env).
    Object.assign(process.env, cluster.env);
    await runDemo({ kind: "slurm" });
  } finally {
    stopCluster(cluster);
  }
});
