/**
 * The ssh executor against a real private sshd on 127.0.0.1 (started here by
 * scripts/sshd/start-local-sshd.sh; skipped with a message only when it cannot
 * be started, e.g. not root and no sshd installed).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SshExecutor } from "../../src/engine/executors/ssh.ts";
import type { ReportMessage, TrialEvents, TrialExit, TrialLaunch } from "../../src/engine/executors/executor.ts";
import type { SshTrialHandle } from "../../src/engine/executors/ssh-trial.ts";
import { buildLaunch } from "../../src/engine/trainables/launch.ts";
import { readRemoteCheckpoint } from "../../src/engine/store/checkpoints.ts";
import { sshTestEnv, type SshTestEnv } from "../engine/executors/ssh-test-env.ts";
import { ROOT } from "./helpers.ts";

const PY = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
let env: SshTestEnv | undefined;
let skipReason = "";
let project: string;
let remoteRoot: string;

before(() => {
  const r = spawnSync("bash", [join(ROOT, "scripts/sshd/start-local-sshd.sh"), "--with-rsync"], { encoding: "utf8", timeout: 300_000 });
  env = r.status === 0 ? sshTestEnv() : undefined;
  if (!env) skipReason = `no private sshd could be started (scripts/sshd/start-local-sshd.sh exit ${r.status}): ${r.stderr.trim().split("\n").slice(-3).join(" ")}`;
  project = mkdtempSync(join(tmpdir(), "tunelab-ssh-project-"));
  copyFileSync(join(ROOT, "test/fixtures/distributed/steps.py"), join(project, "steps.py"));
  writeFileSync(join(project, "tune.config.ts"), "export default {};\n");
  // "Remote" is this machine: a distinct dir, so the sync really copies.
  remoteRoot = mkdtempSync(join(tmpdir(), "tunelab-ssh-remote-"));
});

after(() => {
  rmSync(project, { recursive: true, force: true });
  rmSync(remoteRoot, { recursive: true, force: true });
});

function executor(opts: { hostLostMs?: number; checkpoints?: "lazy" | "eager" } = {}): SshExecutor {
  return new SshExecutor({
    hosts: [{ host: env!.host, cpus: 2, gpus: 2, workdir: remoteRoot }],
    syncRoot: project, sshConfig: env!.config, pollMs: 100, ...opts,
  });
}

let counter = 0;
function launchFor(config: Record<string, unknown>, attempt = 1): TrialLaunch {
  const expDir = join(project, ".tunelab", "exp");
  const id = `t_${String(counter++).padStart(5, "0")}`;
  const trialDir = join(expDir, id);
  mkdirSync(trialDir, { recursive: true });
  writeFileSync(join(trialDir, "params.json"), JSON.stringify(config));
  return buildLaunch({
    trainable: { command: [PY, "steps.py"] }, configPath: join(project, "tune.config.ts"), expDir, trialDir, trialId: id,
    iteration: 0, resources: { cpu: 1, gpu: 1 }, gpuIds: [0], attempt,
  });
}

interface Collected {
  events: TrialEvents;
  reports: ReportMessage[];
  errors: string[];
  exit: Promise<TrialExit>;
  /** Resolves once `n` reports arrived. */
  waitReports(n: number): Promise<void>;
}

function collect(): Collected {
  const reports: ReportMessage[] = [];
  const errors: string[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let onExit!: (e: TrialExit) => void;
  const exit = new Promise<TrialExit>((r) => (onExit = r));
  return {
    reports, errors, exit,
    events: {
      onReport: (m) => {
        reports.push(m);
        for (const w of waiters.filter((w) => reports.length >= w.n)) w.resolve();
      },
      onProtocolError: (m) => errors.push(m),
      onExit: (e) => onExit(e),
    },
    waitReports: (n) => (reports.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}

const steps = (c: Collected): number[] => c.reports.map((r) => r.result.step as number);

test("a trial runs on the ssh host: code synced, reports in order, logs and (eager) checkpoint fetched, GPU per host", async (t) => {
  if (!env) return t.skip(skipReason);
  const ex = executor({ checkpoints: "eager" });
  const c = collect();
  const launch = launchFor({ steps: 4, x: "a b $(touch /tmp/pwned) 'q'", checkpoint_at: 2 });
  const trial = ex.start(launch, c.events);
  const exit = await c.exit;
  assert.equal(exit.code, 0, exit.stderrTail);
  assert.deepEqual(steps(c), [1, 2, 3, 4]);
  assert.equal(c.reports[0]!.result.x, "a b $(touch /tmp/pwned) 'q'");
  assert.deepEqual(c.errors, []);
  const ck = c.reports[1]!.checkpoint!;
  assert.ok(ck.startsWith(launch.trialDir), `checkpoint fetched into the local trial dir, got ${ck}`);
  assert.deepEqual(JSON.parse(readFileSync(join(ck, "state.json"), "utf8")), { step: 2 });
  const handle = trial.handle as SshTrialHandle;
  assert.ok(handle.dir.startsWith(remoteRoot));
  assert.ok(existsSync(join(remoteRoot, "code", "steps.py")), "code synced to the host's workdir");
  const stdout = readFileSync(join(launch.trialDir, "stdout.log"), "utf8");
  assert.match(stdout, new RegExp(`cwd ${remoteRoot}/code cuda 0`));
  await ex.close(1000);
});

test("a failing trial's exit code and stderr come back", async (t) => {
  if (!env) return t.skip(skipReason);
  const ex = executor();
  const c = collect();
  ex.start(launchFor({ steps: 1, fail: "bad lr" }), c.events);
  const exit = await c.exit;
  assert.equal(exit.code, 1);
  assert.match(exit.stderrTail, /failing on purpose: bad lr/);
  await ex.close(1000);
});

test("killing the ControlMaster mid-trial: the trial keeps running, results complete, no duplicates", async (t) => {
  if (!env) return t.skip(skipReason);
  const ex = executor();
  const c = collect();
  const trial = ex.start(launchFor({ steps: 6, gate_at: 4 }), c.events);
  await c.waitReports(3);
  const handle = trial.handle as SshTrialHandle;
  // Drop every connection to the host: the master's socket goes away with it.
  const r = spawnSync("ssh", ["-F", env.config, "-o", `ControlPath=${ex.connection(env.host)!.controlDir}/%C`, "-O", "exit", env.host], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  writeFileSync(join(handle.dir, "gate"), "");
  const exit = await c.exit;
  assert.equal(exit.code, 0, exit.stderrTail);
  assert.deepEqual(steps(c), [1, 2, 3, 4, 5, 6]);
  await ex.close(1000);
});

test("a new executor re-attaches to a still-running remote trial by its handle, skipping what was delivered", async (t) => {
  if (!env) return t.skip(skipReason);
  const first = executor();
  const c1 = collect();
  const launch = launchFor({ steps: 5, gate_at: 3 });
  const trial = first.start(launch, c1.events);
  await c1.waitReports(2);
  const handle = JSON.parse(JSON.stringify(trial.handle)) as SshTrialHandle; // as journaled
  await first.detach(); // the runner goes away; the trial does not
  const second = executor();
  const c2 = collect();
  const again = second.reattach(launch, handle, c2.events, { reportsSeen: 2 });
  assert.ok(again);
  writeFileSync(join(handle.dir, "gate"), "");
  const exit = await c2.exit;
  assert.equal(exit.code, 0, exit.stderrTail);
  assert.deepEqual(steps(c2), [3, 4, 5]);
  assert.deepEqual(steps(c1), [1, 2]);
  await second.close(1000);
});

test("stop() ends the remote process group", async (t) => {
  if (!env) return t.skip(skipReason);
  const ex = executor();
  const c = collect();
  const trial = ex.start(launchFor({ steps: 3, gate_at: 2 }), c.events);
  await c.waitReports(1);
  const pid = (trial.handle as SshTrialHandle).pid;
  await trial.stop(500);
  const exit = await c.exit;
  assert.equal(exit.signal, "SIGTERM");
  const states = await ex.poll([trial.handle!]);
  assert.equal(states[0]!.state, "exited");
  // Zombies may linger until PID 1 reaps them; only a live member would be a leak.
  const live = spawnSync("sh", ["-c", `ps -o stat= -g ${pid} | grep -v '^Z'`], { encoding: "utf8" }).stdout.trim();
  assert.equal(live, "", "no live process left in the trial's group");
  await ex.close(1000);
});

test("a small experiment runs over ssh through the Tuner: every trial's results, checkpoints kept on the host behind local placeholders", async (t) => {
  if (!env) return t.skip(skipReason);
  const { Tuner } = await import("../../src/engine/tuner.ts");
  const { grid } = await import("../../src/engine/space/domains.ts");
  const tuner = new Tuner({
    trainable: { command: [PY, "steps.py"] },
    space: { x: grid([1, 2, 3]), steps: 3, checkpoint_at: 3 },
    metric: "loss", mode: "min", storage: join(project, "runs"),
    resources: { cpu: 1 },
    executor: { kind: "ssh", hosts: [{ host: env.host, cpus: 2, workdir: join(remoteRoot, "tuner") }], sshConfig: env.config },
  }, { baseDir: project });
  const results = await tuner.fit();
  const trials = results.results;
  const materialize = new SshExecutor({ hosts: [{ host: env.host, cpus: 2, workdir: join(remoteRoot, "tuner") }], syncRoot: project, sshConfig: env.config });
  assert.equal(trials.length, 3);
  for (const trial of trials) {
    assert.equal(trial.status, "TERMINATED", trial.error);
    assert.equal(trial.metrics?.step, 3);
    const ref = trial.checkpoint ? readRemoteCheckpoint(trial.checkpoint) : undefined;
    assert.equal(ref?.host, env.host, `checkpoint of ${trial.trialId} is a placeholder for the host's`);
    assert.ok(existsSync(join(ref.path, "state.json")), `${ref.path} is on the host ("remote" is this machine)`);
    await materialize.materializeCheckpoint(trial.checkpoint!);
    assert.ok(existsSync(join(trial.checkpoint!, "state.json")) && !readRemoteCheckpoint(trial.checkpoint!), "fetched on demand into the placeholder's place");
    const lines = readFileSync(join(trial.path, "result.json"), "utf8").trim().split("\n");
    assert.equal(lines.length, 3, "no duplicated or lost results");
  }
  assert.deepEqual(trials.map((x) => x.config.x).sort(), [1, 2, 3]);
  await materialize.close(0);
});
