/**
 * Checkpoints of ssh trials stay on their host (executor.checkpoints "lazy"): the runner keeps
 * placeholders, nothing is copied until a restore needs the files on another host, a restore on
 * the same host reads them in place, and retention deletes them on the host. Two host aliases
 * point at the private loopback sshd (scripts/sshd/start-local-sshd.sh), each with its own workdir.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SshExecutor } from "../../src/engine/executors/ssh.ts";
import type { ReportMessage, TrialExit, TrialLaunch } from "../../src/engine/executors/executor.ts";
import type { SshTrialHandle } from "../../src/engine/executors/ssh-trial.ts";
import { readRemoteCheckpoint } from "../../src/engine/store/checkpoints.ts";
import { buildLaunch } from "../../src/engine/trainables/launch.ts";
import { sshTestEnv, twoHostConfig } from "../engine/executors/ssh-test-env.ts";
import { ROOT, eventsOf, journal, stateOf, waitFor } from "./helpers.ts";

const PY = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
const CKPT_BYTES = 100_000;
let two: ReturnType<typeof twoHostConfig> | undefined;
let skipReason = "";
let project: string;
let remoteRoot: string;

/** Restores from TUNELAB_RESTORE; checkpoints every step (CKPT_BYTES of padding); crashes at crash_at unless restored. */
const TRAINABLE = `import json, os, sys, time
cfg = json.load(open(os.environ["TUNELAB_CONFIG"]))
trial_dir = os.environ["TUNELAB_TRIAL_DIR"]
out = os.fdopen(int(os.environ["TUNELAB_REPORT_FD"]), "w", buffering=1)
restore = os.environ.get("TUNELAB_RESTORE")
start = json.load(open(os.path.join(restore, "state.json")))["step"] if restore else 0
for step in range(start + 1, int(cfg["steps"]) + 1):
    if step == cfg.get("gate_at"):
        while not os.path.exists(os.path.join(trial_dir, "gate")):
            time.sleep(0.05)
    if not restore and step == cfg.get("crash_at"):
        sys.exit("crashing on purpose at step %d" % step)
    time.sleep(cfg.get("sleep", 0))
    ck = os.path.join(trial_dir, ".staging", "ck%d" % step)
    os.makedirs(ck, exist_ok=True)
    json.dump({"step": step}, open(os.path.join(ck, "state.json"), "w"))
    open(os.path.join(ck, "weights.bin"), "wb").write(b"w" * ${CKPT_BYTES})
    out.write(json.dumps({"result": {"step": step, "score": step, "restored_from": restore or ""}, "checkpoint": ck}) + "\\n")
`;

before(() => {
  const r = spawnSync("bash", [join(ROOT, "scripts/sshd/start-local-sshd.sh"), "--with-rsync"], { encoding: "utf8", timeout: 300_000 });
  const env = r.status === 0 ? sshTestEnv() : undefined;
  project = mkdtempSync(join(tmpdir(), "tunelab-ssh-ckpt-project-"));
  remoteRoot = mkdtempSync(join(tmpdir(), "tunelab-ssh-ckpt-remote-"));
  writeFileSync(join(project, "ckpt.py"), TRAINABLE);
  writeFileSync(join(project, "tune.config.ts"), "export default {};\n");
  if (env) two = twoHostConfig(remoteRoot, { lost: env, spare: env });
  else skipReason = `no private sshd could be started (start-local-sshd.sh exit ${r.status}): ${r.stderr.trim().split("\n").slice(-3).join(" ")}`;
});

after(() => {
  rmSync(project, { recursive: true, force: true });
  rmSync(remoteRoot, { recursive: true, force: true });
});

/** Host A is `two.lost`, host B `two.spare`: two names for the loopback sshd, one CPU each. */
function executor(checkpoints: "lazy" | "eager"): SshExecutor {
  return new SshExecutor({
    hosts: [{ host: two!.lost, cpus: 1, workdir: join(remoteRoot, "a") }, { host: two!.spare, cpus: 1, workdir: join(remoteRoot, "b") }],
    syncRoot: project, sshConfig: two!.config, pollMs: 100, checkpoints,
  });
}

let counter = 0;
function launchFor(config: Record<string, unknown>, restore?: string): TrialLaunch {
  const expDir = join(project, ".tunelab", "exp");
  const id = `c_${String(counter++).padStart(5, "0")}`;
  const trialDir = join(expDir, id);
  mkdirSync(trialDir, { recursive: true });
  writeFileSync(join(trialDir, "params.json"), JSON.stringify(config));
  return buildLaunch({
    trainable: { command: [PY, "ckpt.py"] }, configPath: join(project, "tune.config.ts"), expDir, trialDir, trialId: id,
    iteration: 0, resources: { cpu: 1, gpu: 0 }, gpuIds: [], ...(restore ? { restore } : {}),
  });
}

/** Starts a trial; resolves with its handle once known, its reports and its exit. */
function run(ex: SshExecutor, launch: TrialLaunch): { reports: ReportMessage[]; exit: Promise<TrialExit>; handle: Promise<SshTrialHandle | undefined> } {
  const reports: ReportMessage[] = [];
  let onExit!: (e: TrialExit) => void;
  const exit = new Promise<TrialExit>((r) => (onExit = r));
  const trial = ex.start(launch, { onReport: (m) => reports.push(m), onProtocolError: (m) => assert.fail(m), onExit: (e) => onExit(e) });
  return { reports, exit, handle: trial.started!.then((h) => h as SshTrialHandle | undefined) };
}

test("20 checkpoints stay on the host (no bytes move, eager moves them all); a restore on the other host fetches and pushes one; on the same host it reads in place", { timeout: 180_000 }, async (t) => {
  if (!two) return t.skip(skipReason);
  // Eager, for the comparison: every checkpoint comes home as it is reported.
  const eager = executor("eager");
  const e = run(eager, launchFor({ steps: 20 }));
  assert.equal((await e.exit).code, 0);
  await eager.close(0);
  const lazy = executor("lazy");
  // A blocker holds host A, so the trial goes to B.
  const blockA = run(lazy, launchFor({ steps: 1, gate_at: 1 }));
  assert.equal((await blockA.handle)?.host, two.lost);
  const x = run(lazy, launchFor({ steps: 20 }));
  assert.equal((await x.exit).code, 0);
  assert.equal((await x.handle)?.host, two.spare);
  assert.equal(x.reports.length, 20);
  assert.deepEqual(lazy.checkpointTransfers, { fetches: 0, pushes: 0, bytes: 0, ms: 0 }, "nothing moved while the trial checkpointed");
  const last = x.reports[19]!.checkpoint!;
  const ref = readRemoteCheckpoint(last);
  assert.ok(ref, "the runner holds a placeholder");
  assert.equal(ref.host, two.spare);
  assert.match(ref.uri, /^tunelab-remote:\/\/tunelab-spare\//);
  assert.deepEqual(readdirSync(last), [".tunelab-remote-checkpoint.json"]);

  // Same host: B is free, the restore reads the remote dir in place, still nothing moves.
  const same = run(lazy, launchFor({ steps: 22 }, last));
  assert.equal((await same.exit).code, 0);
  assert.equal((await same.handle)?.host, two.spare);
  assert.deepEqual(same.reports.map((r) => r.result.step), [21, 22]);
  assert.equal(same.reports[0]!.result.restored_from, ref.path, "restored from the checkpoint where it lies");
  assert.equal(lazy.checkpointTransfers.bytes, 0);

  // Another host: B is held by a blocker, A frees up; the checkpoint is fetched home and pushed to A.
  const blockB = run(lazy, launchFor({ steps: 1, gate_at: 1 }));
  assert.equal((await blockB.handle)?.host, two.spare);
  const moved = run(lazy, launchFor({ steps: 21 }, last));
  writeFileSync(join((await blockA.handle)!.dir, "gate"), "");
  assert.equal((await moved.exit).code, 0);
  assert.equal((await moved.handle)?.host, two.lost);
  assert.deepEqual(moved.reports.map((r) => r.result.step), [21]);
  assert.match(String(moved.reports[0]!.result.restored_from), /\/restore$/);
  const moves = lazy.checkpointTransfers;
  assert.equal(moves.fetches, 1);
  assert.equal(moves.pushes, 1);
  assert.ok(existsSync(join(last, "weights.bin")) && !existsSync(join(last, ".tunelab-remote-checkpoint.json")), "the fetched files replaced the placeholder");
  writeFileSync(join((await blockB.handle)!.dir, "gate"), "");
  await Promise.all([blockA.exit, blockB.exit]);
  const eagerMoves = eager.checkpointTransfers;
  t.diagnostic(`20 checkpoints of ${CKPT_BYTES} B: eager fetched ${eagerMoves.fetches} (${eagerMoves.bytes} B, ${eagerMoves.ms} ms); lazy moved 0 B while checkpointing, then ${moves.fetches} fetch + ${moves.pushes} push (${moves.bytes} B, ${moves.ms} ms) for the restore elsewhere`);
  assert.equal(eagerMoves.fetches, 20);
  assert.ok(eagerMoves.bytes >= 20 * CKPT_BYTES);
  await lazy.close(0);
});

test("through the runner: a crashed trial retries from its remote checkpoint on the same host with nothing copied, and retention deletes checkpoints on the host", { timeout: 180_000 }, async (t) => {
  if (!two) return t.skip(skipReason);
  const { Runner } = await import("../../src/engine/runner.ts");
  const { checkConfig, createRun } = await import("../../src/engine/experiment.ts");
  const configPath = join(project, "tune.config.ts");
  const hosts = [{ host: two.spare, cpus: 1, workdir: join(remoteRoot, "runner") }];
  const prepared = createRun(await checkConfig({
    name: "lazyckpt", trainable: { command: [PY, "ckpt.py"] }, metric: "score", mode: "max",
    samples: 1, concurrency: 1, seed: 1, maxFailures: 1, storage: join(project, "runs"),
    checkpoints: { keep: 2 }, space: { steps: 16, crash_at: 12, sleep: 0.02 },
    executor: { kind: "ssh", hosts, sshConfig: two.config },
  }, configPath));
  const executor = new SshExecutor({ hosts, syncRoot: project, sshConfig: two.config, pollMs: 100 });
  const runner = new Runner({ config: prepared.config, configPath, expDir: prepared.expDir, seed: prepared.seed, executor, capacity: { cpus: 1, gpus: 0 } });
  const summary = await runner.run();
  await executor.close(0);
  assert.equal(summary.outcome, "completed", summary.message);
  const dir = prepared.expDir;
  const events = journal(dir);
  const trial = stateOf(dir).trials[0]!;
  assert.equal(trial.status, "TERMINATED", trial.error);
  assert.deepEqual(eventsOf(events, "result").map((r) => r.r.step), Array.from({ length: 16 }, (_, i) => i + 1));
  const starts = eventsOf(events, "start");
  assert.equal(starts.length, 2);
  assert.equal(starts[1]!.restore, join(trial.id, "checkpoint_000011"));
  const handles = eventsOf(events, "handle").map((h) => h.handle as SshTrialHandle);
  assert.equal(trial.lastResult?.restored_from, `${handles[0]!.dir}/.staging/ck11`, "the retry read the checkpoint in place on the host");
  assert.deepEqual(executor.checkpointTransfers, { fetches: 0, pushes: 0, bytes: 0, ms: 0 });
  // Kept: the best 2 by score and the latest; everything else is gone from the host too.
  const kept = trial.checkpoints.map((c) => c.iteration).sort((a, b) => a - b);
  assert.deepEqual(kept, [15, 16]);
  const remoteLeft = (i: number): string[] => {
    const staging = join(handles[i]!.dir, ".staging");
    return existsSync(staging) ? readdirSync(staging).sort() : [];
  };
  // Deletion is fire and forget: wait for the last one to land.
  await waitFor(() => remoteLeft(0).length === 0 && remoteLeft(1).join() === "ck15,ck16", "retention's remote deletions", 30_000);
});

test("fetching a checkpoint home later connects to its host but syncs no code there (another run may be using it)", { timeout: 120_000 }, async (t) => {
  if (!two) return t.skip(skipReason);
  const first = executor("lazy");
  const x = run(first, launchFor({ steps: 2 }));
  assert.equal((await x.exit).code, 0);
  const host = (await x.handle)!.host;
  await first.close(0);
  const placeholder = x.reports[1]!.checkpoint!;
  const marker = join(project, "changed-after-the-run.txt");
  writeFileSync(marker, "new code");
  try {
    const later = executor("lazy");
    await later.materializeCheckpoint(placeholder);
    await later.close(0);
    assert.ok(existsSync(join(placeholder, "weights.bin")), "the checkpoint's files are here now");
    const code = join(remoteRoot, host === two.lost ? "a" : "b", "code");
    assert.ok(existsSync(join(code, "ckpt.py")), "the run's code is on the host");
    assert.ok(!existsSync(join(code, "changed-after-the-run.txt")), "the fetch synced today's project over the host's code");
  } finally {
    rmSync(marker, { force: true });
  }
});
