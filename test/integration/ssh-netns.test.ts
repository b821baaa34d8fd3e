/**
 * The network link to an ssh host goes down mid-trial and comes back: the remote trials keep
 * running, the executor's polls resume once the link is up, and every result lands in the journal
 * exactly once, with no trial started twice. The host is a private sshd in its own network
 * namespace behind a veth pair (scripts/sshd/start-local-sshd.sh --netns), with its own state dir
 * and port so the loopback server the other ssh suites use is left alone. Skipped with a message
 * where a namespace cannot be made (not root, no `ip netns`) or the server cannot be started.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { SshExecutor } from "../../src/engine/executors/ssh.ts";
import { DistributedExecutor } from "../../src/engine/executors/distributed.ts";
import type { TrialExit } from "../../src/engine/executors/executor.ts";
import { buildLaunch } from "../../src/engine/trainables/launch.ts";
import type { SshTrialHandle } from "../../src/engine/executors/ssh-trial.ts";
import { sshTestEnv, twoHostConfig, type SshTestEnv } from "../engine/executors/ssh-test-env.ts";
import { BEHAVIOURS, ROOT, eventsOf, isAlive, journal, startCli, stateOf, tempStorage, waitFor, waitForExperiment } from "./helpers.ts";

const ITERS = 40;
/** Longer than the executor's poll (500 ms) and shorter than its hostLostMs (60 s) and than ssh's
 * ServerAlive limit (5 s x 3), so the connection stalls but is never declared dead. */
const OUTAGE_MS = 6_000;
// Its own dir (<= 40 chars: ControlPath limit) and port: the loopback instance at
// /tmp/tunelab-sshd:2222 keeps serving the other suites.
const SSHD_ENV = { ...process.env, TUNELAB_SSHD_DIR: "/tmp/tunelab-sshd-netns", TUNELAB_SSHD_PORT: "2223" };
const SCRIPTS = join(ROOT, "scripts/sshd");

let env: (SshTestEnv & { netns: string; nsLink: string }) | undefined;
let skipReason = "";
let started = false;
let remoteRoot: string;
let storage: string;

/** Why this machine cannot run the namespace test, or "" when it can. */
function unsupported(): string {
  if (process.getuid?.() !== 0) return "needs root to create a network namespace";
  const ip = spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
  if (ip.status !== 0) return `\`ip netns\` is not available (${ip.error?.message ?? ip.stderr.trim()})`;
  // The veth names and addresses are fixed, so only one --netns server can exist; one we did not
  // record in our state dir belongs to someone else, and starting (or stopping) ours would break it.
  const ours = existsSync(join(SSHD_ENV.TUNELAB_SSHD_DIR, "netns"));
  if (!ours && spawnSync("ip", ["link", "show", "tlsshd0"]).status === 0) return "another --netns test sshd already runs (link tlsshd0 exists)";
  return "";
}

before(() => {
  remoteRoot = mkdtempSync(join(tmpdir(), "tunelab-ssh-netns-remote-"));
  storage = tempStorage();
  skipReason = unsupported();
  if (skipReason) return;
  const r = spawnSync("bash", [join(SCRIPTS, "start-local-sshd.sh"), "--netns"], { encoding: "utf8", env: SSHD_ENV, timeout: 300_000 });
  started = true; // even a failed start may have left a namespace behind: after() stops it
  const base = r.status === 0 ? sshTestEnv(SSHD_ENV.TUNELAB_SSHD_DIR) : undefined;
  const get = (k: string): string | undefined => new RegExp(`^export ${k}=(.*)$`, "m").exec(r.stdout)?.[1];
  const netns = get("TUNELAB_SSHD_NETNS");
  const nsLink = get("TUNELAB_SSHD_NS_LINK");
  if (base && netns && nsLink) env = { ...base, netns, nsLink };
  else skipReason = `no netns sshd could be started (scripts/sshd/start-local-sshd.sh --netns exit ${r.status}): ${r.stderr.trim().split("\n").slice(-3).join(" ")}`;
});

after(() => {
  if (started) {
    const r = spawnSync("bash", [join(SCRIPTS, "stop-local-sshd.sh")], { encoding: "utf8", env: SSHD_ENV, timeout: 60_000 });
    if (r.status !== 0) console.error(`stop-local-sshd.sh (netns) exit ${r.status}: ${r.stderr.trim()}`);
  }
  rmSync(remoteRoot, { recursive: true, force: true });
  rmSync(storage, { recursive: true, force: true });
});

const of = eventsOf;

/** Silent drop: the namespace side goes down, so packets vanish (no error comes back). */
function link(state: "up" | "down"): void {
  const r = spawnSync("ip", ["-n", env!.netns, "link", "set", env!.nsLink, state], { encoding: "utf8" });
  assert.equal(r.status, 0, `ip link set ${env!.nsLink} ${state}: ${r.stderr}`);
}

function resultCount(dir: string): number {
  return of(journal(dir), "result").length;
}

test("the link to the ssh host goes down mid-trial and comes back: trials keep running, each result once, none restarted", { timeout: 240_000 }, async (t) => {
  if (!env) return t.skip(skipReason);
  const overrides = {
    samples: 2, concurrency: 2,
    executor: { kind: "ssh", hosts: [{ host: env.host, cpus: 2, workdir: remoteRoot }], sshConfig: env.config },
    space_extra: { iters: ITERS, sleep: 0.25 },
  };
  const { child, done } = startCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], overrides);
  let linkDown = false;
  try {
    const dir = await waitForExperiment(storage, (events) => {
      const ids = of(events, "start").map((s) => s.id);
      return ids.length === 2 && ids.every((id) => of(events, "result", id).length >= 3);
    }, "both trials running with 3 results each", 120_000);

    link("down");
    linkDown = true;
    const cutAt = Date.now();
    // A poll already answered may still be written just after the cut; after that nothing can arrive.
    await new Promise((r) => setTimeout(r, 500));
    const duringOutage = resultCount(dir);
    await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - cutAt)));
    const atLinkUp = resultCount(dir);
    link("up");
    linkDown = false;
    assert.equal(atLinkUp, duringOutage, "no results reached the runner while the link was down (the cut was real)");
    assert.ok(atLinkUp < 2 * ITERS, "the trials were still mid-run when the link came back");

    const run = await done;
    assert.equal(run.code, 0, run.stderr);
    const events = journal(dir);
    const state = stateOf(dir);
    assert.equal(state.trials.length, 2);
    for (const trial of state.trials) {
      const id = trial.id;
      assert.equal(trial.status, "TERMINATED", trial.error);
      assert.equal(of(events, "start", id).length, 1, `${id} was started once (not restarted after the drop)`);
      const iterations = of(events, "result", id).map((e) => e.r.training_iteration);
      assert.deepEqual(iterations, Array.from({ length: ITERS }, (_, i) => i + 1), `${id}: every iteration once, in order`);
    }
  } finally {
    if (linkDown) link("up");
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});

/** How long the executor waits for an answer before it declares a host lost, in the host-lost case. */
const HOST_LOST_MS = 4_000;

/**
 * Three counter trials on two hosts (the netns host, 2 CPUs, and the loopback one, 3 CPUs), the
 * runner started in-process; or why that cannot be set up here.
 */
async function twoHostRun(name: string, seed: number, checkpoints: "lazy" | "eager", keep?: number) {
  const loopback = spawnSync("bash", [join(SCRIPTS, "start-local-sshd.sh")], { encoding: "utf8", timeout: 300_000 });
  const local = loopback.status === 0 ? sshTestEnv() : undefined;
  if (!local) return `no loopback sshd for the second host (start-local-sshd.sh exit ${loopback.status}): ${loopback.stderr.trim().split("\n").slice(-2).join(" ")}`;
  const two = twoHostConfig(remoteRoot, { lost: env!, spare: local });
  const { Runner } = await import("../../src/engine/runner.ts");
  const { checkConfig, createRun } = await import("../../src/engine/experiment.ts");
  const { uniform } = await import("../../src/engine/space/domains.ts");
  const configPath = BEHAVIOURS;
  const hosts = [{ host: two.lost, cpus: 2, workdir: join(remoteRoot, `${name}-lost`) }, { host: two.spare, cpus: 3, workdir: join(remoteRoot, `${name}-spare`) }];
  const prepared = createRun(await checkConfig({
    name, trainable: { python: "trainables:counter" }, metric: "score", mode: "max",
    samples: 3, concurrency: 3, seed, maxFailures: 0, storage,
    space: { x: uniform(0, 1), iters: ITERS, sleep: 0.25, ckpt_every: 4 },
    executor: { kind: "ssh", hosts, sshConfig: two.config },
    ...(keep !== undefined ? { checkpoints: { keep } } : {}),
  }, configPath));
  const executor = new SshExecutor({ hosts, syncRoot: dirname(configPath), sshConfig: two.config, pollMs: 250, hostLostMs: HOST_LOST_MS, checkpoints });
  const runner = new Runner({ config: prepared.config, configPath, expDir: prepared.expDir, seed: prepared.seed, executor, capacity: { cpus: 5, gpus: 0 } });
  const dir = prepared.expDir;
  const handles = (id?: string): SshTrialHandle[] => of(journal(dir), "handle", id).map((e) => e.handle as SshTrialHandle);
  /** The trials that were started on the netns host, in start order. */
  const onLostHost = (): string[] => of(journal(dir), "handle").filter((e) => (e.handle as SshTrialHandle).host === two.lost).map((e) => e.id);
  return { two, executor, runner, dir, run: runner.run(), handles, onLostHost };
}

test("retention while an ssh host is lost: the checkpoints it drops there are deleted once the host answers again", { timeout: 300_000 }, async (t) => {
  if (!env) return t.skip(skipReason);
  const { readRemoteCheckpoint } = await import("../../src/engine/store/checkpoints.ts");
  // keep 1 by recency: the first checkpoint a moved trial makes on the other host drops its last one on the lost host.
  const setup = await twoHostRun("hostlost-retention", 4, "lazy", 1);
  if (typeof setup === "string") return t.skip(setup);
  const { two, executor, runner, dir, run, handles, onLostHost } = setup;
  const newestRef = (id: string) => {
    const ck = of(journal(dir), "checkpoint", id).at(-1);
    return ck && existsSync(join(dir, ck.path)) ? readRemoteCheckpoint(join(dir, ck.path)) : undefined;
  };
  let linkDown = false;
  try {
    await waitFor(() => {
      const onLost = onLostHost();
      return onLost.length === 2 && handles().length === 3 && onLost.every((id) => newestRef(id)?.host === two.lost);
    }, "two trials on the netns host, each with a checkpoint there", 120_000);
    const lostIds = onLostHost();
    link("down");
    linkDown = true;
    const droppedPaths = lostIds.map((id) => newestRef(id)!.path);
    await waitFor(() => lostIds.every((id) => newestRef(id)?.host === two.spare), "both moved trials checkpointed on the other host", 60_000);
    // Retention dropped the lost host's checkpoints while nothing could reach it: they are still there.
    for (const path of droppedPaths) assert.ok(existsSync(path), `${path} cannot have been deleted while its host was unreachable`);
    link("up");
    linkDown = false;
    await waitFor(() => droppedPaths.every((path) => !existsSync(path)), "the dropped checkpoints deleted on the host once it answered", 60_000);
    const summary = await run;
    assert.equal(summary.outcome, "completed", summary.message);
    assertEachIterationOnce(dir);
  } finally {
    if (linkDown) link("up");
    runner.stop("test ended", "stopped", false);
    await run.catch(() => undefined);
    await executor.close(0);
  }
});

/** Every trial TERMINATED with no failure counted, each iteration once in the journal and in result.json; the result.json rows by trial. */
function assertEachIterationOnce(dir: string): Map<string, { training_iteration: number; pid: number }[]> {
  const events = journal(dir);
  const rows = new Map<string, { training_iteration: number; pid: number }[]>();
  for (const trial of stateOf(dir).trials) {
    const id = trial.id;
    assert.equal(trial.status, "TERMINATED", trial.error);
    assert.equal(trial.failures, 0, `${id}: losing the host is not counted against maxFailures`);
    const iterations = of(events, "result", id).map((e) => e.r.training_iteration);
    assert.deepEqual(iterations, Array.from({ length: ITERS }, (_, i) => i + 1), `${id}: every iteration once, in order (journal)`);
    const file = readFileSync(join(dir, id, "result.json"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { training_iteration: number; pid: number });
    assert.deepEqual(file.map((r) => r.training_iteration), iterations, `${id}: result.json holds each iteration once`);
    rows.set(id, file);
  }
  return rows;
}

test("an ssh host lost for longer than hostLostMs: its trials are retried on the other host from their checkpoints, not counted as failures, each iteration once; the abandoned processes are killed when it answers again", { timeout: 300_000 }, async (t) => {
  if (!env) return t.skip(skipReason);
  // Eager: a copy of every checkpoint is here, so the trials can go on elsewhere while their host is gone.
  const setup = await twoHostRun("hostlost", 3, "eager");
  if (typeof setup === "string") return t.skip(setup);
  const { two, executor, runner, dir, run, handles, onLostHost } = setup;
  let linkDown = false;
  try {
    // Both trials on the lost host have a checkpoint (iteration 4) before the cut.
    await waitFor(() => {
      const onLost = handles().filter((h) => h.host === two.lost);
      return onLost.length === 2 && handles().length === 3 && of(journal(dir), "result").filter((r) => onLost.some((h) => h.dir.includes(r.id))).length >= 10
        && of(journal(dir), "checkpoint").filter((c) => onLost.some((h) => h.dir.includes(c.id))).length >= 2;
    }, "two trials on the netns host with a checkpoint each, one on the loopback host", 120_000);
    const abandoned = handles().filter((h) => h.host === two.lost);
    const lostIds = onLostHost();
    link("down");
    linkDown = true;
    const cutAt = Date.now();
    await waitFor(() => lostIds.every((id) => of(journal(dir), "start", id).length === 2 && handles(id).length === 2), "both trials of the lost host restarted on the other host", 60_000);
    const lostAfterMs = Date.now() - cutAt;
    const resultsBeforeRetry = new Map(lostIds.map((id) => [id, of(journal(dir), "result", id).length]));
    link("up");
    linkDown = false;
    // The executor's probe gets through again and kills what it gave up there.
    await waitFor(() => abandoned.every((h) => !isAlive(h.pid)), "the abandoned trial processes on the netns host killed", 60_000);

    const summary = await run;
    assert.equal(summary.outcome, "completed", summary.message);
    const events = journal(dir);
    const state = stateOf(dir);
    assert.equal(state.trials.length, 3);
    assertEachIterationOnce(dir);
    for (const trial of state.trials) {
      const id = trial.id;
      if (!lostIds.includes(id)) {
        assert.equal(of(events, "start", id).length, 1, `${id} ran on the loopback host once`);
        continue;
      }
      const [first, second] = of(events, "start", id);
      const ends = of(events, "end", id);
      assert.equal(ends[0]!.status, "ERROR");
      assert.equal(ends[0]!.retry, true);
      assert.equal(ends[0]!.notCounted, true);
      assert.match(ends[0]!.error ?? "", new RegExp(`ssh host ${two.lost} has not answered`));
      assert.equal(first!.attempt, 1);
      assert.ok(second!.restore?.includes("checkpoint_"), `${id} restarted from its checkpoint, got ${second!.restore}`);
      assert.equal(handles(id)[1]!.host, two.spare, `${id} moved to the other host`);
      assert.match(String(state.trials.find((x) => x.id === id)!.lastResult?.restored_from), /restore$/);
      // The abandoned process went on reporting during the outage; none of that was counted.
      const remote = readFileSync(join(abandoned.find((h) => h.dir.includes(id))!.dir, "report.jsonl"), "utf8").trim().split("\n").length;
      assert.ok(remote > resultsBeforeRetry.get(id)!, `${id}: the abandoned process reported ${remote} lines, the runner took ${resultsBeforeRetry.get(id)}`);
    }
    t.diagnostic(`host declared lost and trials restarted ${lostAfterMs} ms after the cut (hostLostMs ${HOST_LOST_MS})`);
  } finally {
    if (linkDown) link("up");
    runner.stop("test ended", "stopped", false);
    await run.catch(() => undefined);
    await executor.close(0);
  }
});

test("lazy checkpoints on a lost ssh host: its trials restart on the other host from the newest checkpoint still here (else from scratch), say so in their log, and end with each iteration once", { timeout: 300_000 }, async (t) => {
  if (!env) return t.skip(skipReason);
  const { readRemoteCheckpoint } = await import("../../src/engine/store/checkpoints.ts");
  // Lazy (the default): the checkpoints stay on the host that is about to be lost.
  const setup = await twoHostRun("hostlost-lazy", 4, "lazy");
  if (typeof setup === "string") return t.skip(setup);
  const { two, executor, runner, dir, run, handles, onLostHost } = setup;
  let linkDown = false;
  try {
    await waitFor(() => {
      const onLost = onLostHost();
      return onLost.length === 2 && handles().length === 3 && onLost.every((id) => of(journal(dir), "checkpoint", id).length >= 2);
    }, "two trials on the netns host with two checkpoints each, one on the loopback host", 120_000);
    const abandoned = handles().filter((h) => h.host === two.lost);
    const [kept, scratch] = onLostHost() as [string, string];
    // One trial's oldest checkpoint is brought home (as `tunelab checkpoint fetch` would): it survives the host.
    const keptCk = of(journal(dir), "checkpoint", kept)[0]!;
    await executor.materializeCheckpoint(join(dir, keptCk.path));
    assert.equal(readRemoteCheckpoint(join(dir, keptCk.path)), undefined, "the materialized checkpoint's files are here");
    link("down");
    linkDown = true;
    await waitFor(() => [kept, scratch].every((id) => handles(id).length === 2), "both trials of the lost host restarted on the other host", 60_000);
    link("up");
    linkDown = false;
    await waitFor(() => abandoned.every((h) => !isAlive(h.pid)), "the abandoned trial processes on the netns host killed", 60_000);

    const summary = await run;
    assert.equal(summary.outcome, "completed", summary.message);
    const events = journal(dir);
    const state = stateOf(dir);
    const rows = assertEachIterationOnce(dir);
    for (const trial of state.trials) {
      const id = trial.id;
      const file = rows.get(id)!;
      const last = handles(id).at(-1)!;
      assert.equal(file.at(-1)!.pid, last.pid, `${id}: the final result is the last run's`);
      // The newest checkpoint is the last run's, on the host that ran it: nothing points at the lost host's files any more.
      const newest = state.trials.find((x) => x.id === id)!.checkpoints.reduce((a, b) => (b.iteration >= a.iteration ? b : a));
      assert.equal(newest.iteration, ITERS);
      assert.equal(readRemoteCheckpoint(join(dir, newest.path))?.host, last.host);
    }
    const log = (id: string): string => readFileSync(join(dir, id, "stderr.log"), "utf8");
    const keptStart = of(events, "start", kept)[1]!;
    assert.equal(keptStart.restore, keptCk.path, `${kept} restarted from its checkpoint that was here`);
    assert.equal(keptStart.iteration, keptCk.iteration);
    assert.match(log(kept), new RegExp(`tunelab: checkpoint ${kept}/checkpoint_\\d+ is on host ${two.lost} \\(.*\\), which is lost .*; restarting trial ${kept} from checkpoint ${keptCk.path} \\(iteration ${keptCk.iteration}\\) on ${two.spare}`));
    const scratchStart = of(events, "start", scratch)[1]!;
    assert.equal(scratchStart.restore, undefined, `${scratch} restarted from scratch`);
    assert.equal(scratchStart.iteration, 0);
    // The journal keeps why, as well as the trial's log.
    assert.match(keptStart.note ?? "", new RegExp(`which is lost .*; restarting trial ${kept} from checkpoint ${keptCk.path}`));
    assert.match(scratchStart.note ?? "", new RegExp(`which is lost .*; restarting trial ${scratch} from scratch`));
    assert.match(log(scratch), new RegExp(`tunelab: checkpoint ${scratch}/checkpoint_\\d+ is on host ${two.lost} \\(.*\\), which is lost .*; restarting trial ${scratch} from scratch on ${two.spare}`));
    for (const id of [kept, scratch]) assert.equal(handles(id)[1]!.host, two.spare, `${id} moved to the other host`);
  } finally {
    if (linkDown) link("up");
    runner.stop("test ended", "stopped", false);
    await run.catch(() => undefined);
    await executor.close(0);
  }
});

test("a distributed trial spread over two hosts fails as a whole, retryable, when one host is lost; every rank is killed", { timeout: 180_000 }, async (t) => {
  if (!env) return t.skip(skipReason);
  const loopback = spawnSync("bash", [join(SCRIPTS, "start-local-sshd.sh")], { encoding: "utf8", timeout: 300_000 });
  const local = loopback.status === 0 ? sshTestEnv() : undefined;
  if (!local) return t.skip(`no loopback sshd for the second host (start-local-sshd.sh exit ${loopback.status})`);
  const project = mkdtempSync(join(tmpdir(), "tunelab-netns-dist-"));
  writeFileSync(join(project, "tune.config.ts"), "export default {};\n");
  const two = twoHostConfig(remoteRoot, { lost: env, spare: local });
  const work = join(remoteRoot, "dist");
  const ssh = new SshExecutor({
    hosts: [{ host: two.lost, cpus: 1, workdir: join(work, "lost") }, { host: two.spare, cpus: 1, workdir: join(work, "spare") }],
    syncRoot: project, sshConfig: two.config, pollMs: 250, hostLostMs: HOST_LOST_MS,
  });
  const ex = new DistributedExecutor(ssh, { workers: 2, graceMs: 500 });
  const trialDir = join(project, ".tunelab", "exp", "n_00000");
  mkdirSync(trialDir, { recursive: true });
  const launch = buildLaunch({
    trainable: { command: ["python3", "-c", "import os, time\nopen(os.path.join(os.environ['TUNELAB_TRIAL_DIR'], 'pid'), 'w').write(str(os.getpid()) + ' ' + os.environ['MASTER_ADDR'])\ntime.sleep(120)"] },
    configPath: join(project, "tune.config.ts"), expDir: join(project, ".tunelab", "exp"), trialDir, trialId: "n_00000", iteration: 0, resources: { cpu: 1, gpu: 0 }, gpuIds: [],
  });
  let onExit!: (e: TrialExit) => void;
  const exit = new Promise<TrialExit>((r) => (onExit = r));
  ex.start(launch, { onReport: () => undefined, onProtocolError: () => undefined, onExit: (e) => onExit(e) });
  const pidFiles = (): string[] => {
    const found: string[] = [];
    const walk = (d: string): void => {
      for (const e of existsSync(d) ? readdirSync(d, { withFileTypes: true }) : []) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name === "pid") found.push(p);
      }
    };
    walk(work);
    return found;
  };
  let linkDown = false;
  try {
    await waitFor(() => pidFiles().length === 2 && pidFiles().every((f) => readFileSync(f, "utf8").includes(" ")), "both ranks running", 60_000);
    const ranks = pidFiles().map((f) => readFileSync(f, "utf8").split(" "));
    assert.ok(ranks.every(([, addr]) => addr === "10.200.0.2"), `MASTER_ADDR is the netns host's address as the other host reaches it: ${JSON.stringify(ranks)}`);
    link("down");
    linkDown = true;
    const done = await exit;
    assert.equal(done.retryable, true, `the trial is retried elsewhere, not failed: ${done.stderrTail}`);
    assert.match(done.stderrTail, new RegExp(`ssh host ${two.lost} has not answered`));
    link("up");
    linkDown = false;
    await waitFor(() => ranks.every(([pid]) => !isAlive(Number(pid))), "every rank killed, on both hosts", 60_000);
  } finally {
    if (linkDown) link("up");
    await ssh.close(0);
    rmSync(project, { recursive: true, force: true });
  }
});
