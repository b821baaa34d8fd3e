/**
 * Distributed trials (`resources.workers`): N real processes find each other
 * through MASTER_ADDR/MASTER_PORT and all-reduce over sockets; only rank 0's
 * reports reach the runner. Locally, and over ssh when the private sshd runs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DistributedExecutor } from "../../src/engine/executors/distributed.ts";
import { LocalExecutor } from "../../src/engine/executors/local.ts";
import { SshExecutor } from "../../src/engine/executors/ssh.ts";
import type { Executor, ReportMessage, TrialExit } from "../../src/engine/executors/executor.ts";
import { buildLaunch } from "../../src/engine/trainables/launch.ts";
import { sshTestEnv } from "../engine/executors/ssh-test-env.ts";
import { ROOT } from "./helpers.ts";

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
