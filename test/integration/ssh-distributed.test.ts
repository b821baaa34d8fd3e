/**
 * Distributed trials (`resources.workers`): N real processes find each other
 * through MASTER_ADDR/MASTER_PORT and all-reduce over sockets; only rank 0's
 * reports reach the runner. Locally, and over ssh when the private sshd runs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DistributedExecutor } from "../../src/engine/executors/distributed.ts";
import { LocalExecutor } from "../../src/engine/executors/local.ts";
import { SshExecutor } from "../../src/engine/executors/ssh.ts";
import type { Executor, ReportMessage, TrialExit } from "../../src/engine/executors/executor.ts";
import { buildLaunch } from "../../src/engine/trainables/launch.ts";
import { sshTestEnv, twoHostConfig } from "../engine/executors/ssh-test-env.ts";
import { ROOT, isAlive, waitFor } from "./helpers.ts";

const PY = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

async function runAllReduce(inner: Executor, project: string, workers: number): Promise<{ reports: ReportMessage[]; exit: TrialExit }> {
  copyFileSync(join(ROOT, "test/fixtures/distributed/allreduce.py"), join(project, "allreduce.py"));
  const trialDir = join(project, ".tunelab", "exp", "d_00000");
  mkdirSync(trialDir, { recursive: true });
  writeFileSync(join(trialDir, "params.json"), "{}");
  const launch = buildLaunch({
    trainable: { command: [PY, "allreduce.py"] }, configPath: join(project, "tune.config.ts"), expDir: join(project, ".tunelab", "exp"),
    trialDir, trialId: "d_00000", iteration: 0, resources: { cpu: 0.5, gpu: 0 }, gpuIds: [],
  });
  const ex = new DistributedExecutor(inner, { workers });
  const reports: ReportMessage[] = [];
  const exit = await new Promise<TrialExit>((resolve) => {
    ex.start(launch, { onReport: (m) => reports.push(m), onProtocolError: (m) => assert.fail(m), onExit: resolve });
  });
  await ex.close(1000);
  return { reports, exit };
}

test("a 3-worker trial on this machine: every rank joins the all-reduce, only rank 0 reports", async () => {
  const project = mkdtempSync(join(tmpdir(), "tunelab-dist-"));
  const { reports, exit } = await runAllReduce(new LocalExecutor(), project, 3);
  assert.equal(exit.code, 0, exit.stderrTail);
  assert.deepEqual(reports.map((r) => r.result), [{ world: 3, sum: 3, ranks: [0, 1, 2], rank: 0 }]);
});

test("a 2-worker trial over ssh: ranks start on the host and meet there", async (t) => {
  const env = sshTestEnv();
  if (!env) return t.skip("no private sshd running (test/integration/ssh.test.ts starts it with scripts/sshd/start-local-sshd.sh)");
  const project = mkdtempSync(join(tmpdir(), "tunelab-dist-ssh-"));
  writeFileSync(join(project, "tune.config.ts"), "export default {};\n");
  const remote = mkdtempSync(join(tmpdir(), "tunelab-dist-remote-"));
  const ssh = new SshExecutor({ hosts: [{ host: env.host, cpus: 2, workdir: remote }], syncRoot: project, sshConfig: env.config, pollMs: 100 });
  const { reports, exit } = await runAllReduce(ssh, project, 2);
  assert.equal(exit.code, 0, exit.stderrTail);
  assert.deepEqual(reports.map((r) => r.result), [{ world: 2, sum: 1, ranks: [0, 1], rank: 0 }]);
});

test("when one rank fails, the others are stopped and the trial fails naming the rank", async () => {
  const project = mkdtempSync(join(tmpdir(), "tunelab-dist-fail-"));
  copyFileSync(join(ROOT, "test/fixtures/distributed/allreduce.py"), join(project, "allreduce.py"));
  const trialDir = join(project, "t");
  mkdirSync(trialDir, { recursive: true });
  const launch = buildLaunch({
    trainable: { command: [PY, "-c", "import os,sys,time\nif os.environ['RANK']=='1': sys.exit('rank one breaks')\ntime.sleep(60)"] },
    configPath: join(project, "tune.config.ts"), expDir: project, trialDir, trialId: "f_00000", iteration: 0, resources: { cpu: 0.5, gpu: 0 }, gpuIds: [],
  });
  const ex = new DistributedExecutor(new LocalExecutor(), { workers: 2, graceMs: 200 });
  const exit = await new Promise<TrialExit>((resolve) => ex.start(launch, { onReport: () => undefined, onProtocolError: () => undefined, onExit: resolve }));
  assert.equal(exit.code, 1);
  assert.match(exit.stderrTail, /rank 1 of 2 failed:[\s\S]*rank one breaks/);
});

/** Two names for the loopback sshd, one CPU each, own workdirs: a 2-worker trial fits only spread over both. */
function twoHosts(): { ssh: SshExecutor; project: string; remote: string } | undefined {
  const env = sshTestEnv();
  if (!env) return undefined;
  const project = mkdtempSync(join(tmpdir(), "tunelab-dist-2h-"));
  writeFileSync(join(project, "tune.config.ts"), "export default {};\n");
  copyFileSync(join(ROOT, "test/fixtures/distributed/allreduce.py"), join(project, "allreduce.py"));
  copyFileSync(join(ROOT, "test/fixtures/distributed/steps.py"), join(project, "steps.py"));
  const remote = mkdtempSync(join(tmpdir(), "tunelab-dist-2h-remote-"));
  const two = twoHostConfig(remote, { lost: env, spare: env });
  const ssh = new SshExecutor({
    hosts: [{ host: two.lost, cpus: 1, workdir: join(remote, "a") }, { host: two.spare, cpus: 1, workdir: join(remote, "b") }],
    syncRoot: project, sshConfig: two.config, pollMs: 100,
  });
  return { ssh, project, remote };
}

/** Prints torchrun's variables and where it runs, then runs `script` (the all-reduce by default). */
const showEnv = (script = "runpy.run_path('allreduce.py', run_name='__main__')"): string[] => [PY, "-c",
  "import os, runpy, time\n" +
  "open(os.path.join(os.environ['TUNELAB_TRIAL_DIR'], 'pid'), 'w').write(str(os.getpid()))\n" +
  "print('ENV', *[os.environ[k] for k in ('RANK', 'LOCAL_RANK', 'NODE_RANK', 'WORLD_SIZE', 'LOCAL_WORLD_SIZE', 'MASTER_ADDR')], os.getcwd(), flush=True)\n" +
  script];

function distLaunch(project: string, id: string, argv: string[]) {
  const trialDir = join(project, ".tunelab", "exp", id);
  mkdirSync(trialDir, { recursive: true });
  writeFileSync(join(trialDir, "params.json"), JSON.stringify({ steps: 2, gate_at: 2 }));
  return buildLaunch({
    trainable: { command: argv }, configPath: join(project, "tune.config.ts"), expDir: join(project, ".tunelab", "exp"),
    trialDir, trialId: id, iteration: 0, resources: { cpu: 1, gpu: 0 }, gpuIds: [],
  });
}

/** Remote attempt dirs of trial `id` (any rank) under both hosts' workdirs. */
function rankDirs(remote: string, id: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of existsSync(d) ? readdirSync(d, { withFileTypes: true }) : []) {
      if (!e.isDirectory()) continue;
      const p = join(d, e.name);
      if (e.name.startsWith("attempt-") && p.includes(`/${id}`)) out.push(p);
      else if (e.name !== "code" && e.name !== "python") walk(p);
    }
  };
  walk(remote);
  return out;
}

test("a 2-worker trial waits while only one host has room (no rank starts), then runs spread over two hosts with torchrun's variables", async (t) => {
  const setup = twoHosts();
  if (!setup) return t.skip("no private sshd running (test/integration/ssh.test.ts starts it with scripts/sshd/start-local-sshd.sh)");
  const { ssh, project, remote } = setup;
  // A one-rank trial holds host A until its gate opens.
  const blockerReports: ReportMessage[] = [];
  const blocker = ssh.start(distLaunch(project, "b_00000", [PY, "steps.py"]), { onReport: (m) => blockerReports.push(m), onProtocolError: () => undefined, onExit: () => undefined });
  const blockerHandle = (await blocker.started!) as { dir: string } | undefined;
  assert.ok(blockerHandle);
  const ex = new DistributedExecutor(ssh, { workers: 2 });
  assert.equal(ex.canPlace({ cpu: 1, gpu: 0 }), false, "two ranks do not fit while A is held");
  const reports: ReportMessage[] = [];
  const exit = new Promise<TrialExit>((resolve) => ex.start(distLaunch(project, "d_00001", showEnv()), { onReport: (m) => reports.push(m), onProtocolError: (m) => assert.fail(m), onExit: resolve }));
  await waitFor(() => blockerReports.length >= 1, "the blocker's first report (polls and placements ran meanwhile)");
  assert.deepEqual(rankDirs(remote, "d_00001"), [], "all or nothing: no rank started on the free host alone");
  writeFileSync(join(blockerHandle.dir, "gate"), "");
  const done = await exit;
  assert.equal(done.code, 0, done.stderrTail);
  assert.deepEqual(reports.map((r) => r.result), [{ world: 2, sum: 1, ranks: [0, 1], rank: 0 }]);
  const envLine = (dir: string): string[] => /^ENV (.*)$/m.exec(readFileSync(join(dir, "stdout.log"), "utf8"))![1]!.split(" ");
  const trialDir = join(project, ".tunelab", "exp", "d_00001");
  const [r0, r1] = [envLine(trialDir), envLine(join(trialDir, "rank-1"))];
  // RANK LOCAL_RANK NODE_RANK WORLD_SIZE LOCAL_WORLD_SIZE MASTER_ADDR cwd
  assert.deepEqual(r0.slice(0, 6), ["0", "0", "0", "2", "1", "127.0.0.1"]);
  assert.deepEqual(r1.slice(0, 6), ["1", "0", "1", "2", "1", "127.0.0.1"]);
  assert.notEqual(r0[6]!.split("/code")[0], r1[6]!.split("/code")[0], "the ranks ran in two hosts' workdirs");
  await ssh.close(1000);
});

test("stopping a distributed trial spread over two hosts kills every rank", async (t) => {
  const setup = twoHosts();
  if (!setup) return t.skip("no private sshd running (test/integration/ssh.test.ts starts it with scripts/sshd/start-local-sshd.sh)");
  const { ssh, project, remote } = setup;
  const ex = new DistributedExecutor(ssh, { workers: 2 });
  let onExit!: (e: TrialExit) => void;
  const exit = new Promise<TrialExit>((r) => (onExit = r));
  const trial = ex.start(distLaunch(project, "s_00000", showEnv("time.sleep(120)")), { onReport: () => undefined, onProtocolError: () => undefined, onExit: (e) => onExit(e) });
  await waitFor(() => rankDirs(remote, "s_00000").filter((d) => existsSync(join(d, "pid"))).length === 2, "both ranks running", 60_000);
  const pids = rankDirs(remote, "s_00000").map((d) => Number(readFileSync(join(d, "pid"), "utf8")));
  await trial.stop(500);
  const done = await exit;
  assert.notEqual(done.code, 0);
  for (const pid of pids) assert.equal(isAlive(pid), false, `rank process ${pid} is gone`);
  await ssh.close(1000);
});
