/**
 * Checkpoints an ssh experiment kept on its host, after the run: the Tuner's
 * results say where they are and fetch them; `tunelab best` names the host;
 * `tunelab checkpoint fetch|ls|cat` fetch and read them. Real private sshd on
 * 127.0.0.1 (scripts/sshd/start-local-sshd.sh); "remote" is this machine, in a
 * dir of its own, so a fetch really copies.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync as readdir, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readRemoteCheckpoint, REMOTE_CHECKPOINT_FILE } from "../../src/engine/store/checkpoints.ts";
import type { ResultGrid } from "../../src/engine/tuner.ts";
import { sshTestEnv, type SshTestEnv } from "../engine/executors/ssh-test-env.ts";
import { ROOT, runCli } from "./helpers.ts";
import { fetchArgs, listingArgs, parseListing } from "../../src/extension/fs/cli-listing.ts";

const PY = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
let env: SshTestEnv | undefined;
let skipReason = "";
let project: string;
let remoteRoot: string;
let grid: ResultGrid | undefined;

before(async () => {
  const r = spawnSync("bash", [join(ROOT, "scripts/sshd/start-local-sshd.sh"), "--with-rsync"], { encoding: "utf8", timeout: 300_000 });
  env = r.status === 0 ? sshTestEnv() : undefined;
  if (!env) skipReason = `no private sshd could be started (scripts/sshd/start-local-sshd.sh exit ${r.status}): ${r.stderr.trim().split("\n").slice(-3).join(" ")}`;
  project = mkdtempSync(join(tmpdir(), "tunelab-ckpt-project-"));
  remoteRoot = mkdtempSync(join(tmpdir(), "tunelab-ckpt-remote-"));
  copyFileSync(join(ROOT, "test/fixtures/distributed/steps.py"), join(project, "steps.py"));
  writeFileSync(join(project, "tune.config.ts"), "export default {};\n");
  if (!env) return;
  const { Tuner } = await import("../../src/engine/tuner.ts");
  const { grid: gridOf } = await import("../../src/engine/space/domains.ts");
  grid = await new Tuner({
    trainable: { command: [PY, "steps.py"] },
    space: { x: gridOf([1, 2, 3]), steps: 3, checkpoint_at: 2 },
    metric: "loss", mode: "min", storage: join(project, "runs"), resources: { cpu: 1 },
    executor: { kind: "ssh", hosts: [{ host: env.host, cpus: 2, workdir: remoteRoot }], sshConfig: env.config },
  }, { baseDir: project }).fit();
});

after(() => {
  rmSync(project, { recursive: true, force: true });
  rmSync(remoteRoot, { recursive: true, force: true });
});

function need(t: { skip(m: string): void }): ResultGrid | undefined {
  if (!grid) t.skip(skipReason);
  return grid;
}

test("the Tuner's results know their checkpoints stayed on the host, and fetchCheckpoint() brings one home", async (t) => {
  const g = need(t);
  if (!g) return;
  const results = g.results;
  assert.equal(results.length, 3);
  for (const r of results) {
    assert.equal(r.status, "TERMINATED", r.error);
    assert.equal(r.remoteCheckpoint?.host, env!.host, `trial ${r.trialId}'s checkpoint is on the host`);
    assert.ok(r.remoteCheckpoint!.uri.startsWith(`tunelab-remote://${env!.host}/`));
    assert.deepEqual(readdir(r.checkpoint!), [REMOTE_CHECKPOINT_FILE], "locally only the placeholder");
  }
  // The last trial: every loss ties, so the best (for the next test) is the last.
  const last = results[2]!;
  assert.equal(await last.fetchCheckpoint(), last.checkpoint);
  assert.deepEqual(JSON.parse(readFileSync(join(last.checkpoint!, "state.json"), "utf8")), { step: 2 });
  assert.equal(readRemoteCheckpoint(last.checkpoint!), undefined, "the files replaced the placeholder");
  assert.equal(g.results[2]!.remoteCheckpoint, undefined, "a fresh read of the results says it is local now");
  assert.equal(await g.results[2]!.fetchCheckpoint(), last.checkpoint, "fetching a local checkpoint does nothing");
});

test("tunelab best says on which host the best checkpoint lives and how to fetch it", async (t) => {
  const g = need(t);
  if (!g) return;
  const best = g.getBestResult()!;
  assert.ok(best.remoteCheckpoint, "the best trial's checkpoint is still remote");
  const r = await runCli(["best", g.experimentDir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Latest checkpoint: on ssh host ${env!.host} at ${escape(best.remoteCheckpoint.path)}`));
  assert.match(r.stdout, /tunelab checkpoint fetch /);
});

test("tunelab checkpoint ls and cat read a remote checkpoint in place, odd file names included", async (t) => {
  const g = need(t);
  if (!g) return;
  const ref = g.results.find((r) => r.remoteCheckpoint)!.remoteCheckpoint!;
  // "Remote" is this machine: add files with hostile names next to state.json.
  mkdirSync(join(ref.path, "sub dir"));
  writeFileSync(join(ref.path, "it's a $(touch pwned)\nname.txt"), "odd");
  // The very arguments and parser the extension's tunelab-remote: file system uses.
  const ls = await runCli(listingArgs("ls", g.experimentDir, env!.host, ref.path));
  assert.equal(ls.code, 0, ls.stderr);
  const entry = parseListing(ls.stdout, env!.host, ref.path);
  assert.equal(entry.type, "dir");
  assert.deepEqual(entry.entries, [["it's a $(touch pwned)\nname.txt", "file"], ["state.json", "file"], ["sub dir", "dir"]]);
  assert.ok(!existsSync(join(ref.path, "pwned")) && !existsSync(join(ROOT, "pwned")), "nothing in a name ran");
  const file = await runCli(["checkpoint", "ls", g.experimentDir, env!.host, join(ref.path, "state.json"), "--json"]);
  assert.equal((JSON.parse(file.stdout) as { type: string; size: number }).size, readFileSync(join(ref.path, "state.json")).length);
  const cat = await runCli(listingArgs("cat", g.experimentDir, env!.host, join(ref.path, "state.json")));
  assert.equal(cat.code, 0, cat.stderr);
  assert.deepEqual(JSON.parse(cat.stdout), { step: 2 });
  const missing = await runCli(["checkpoint", "ls", g.experimentDir, env!.host, join(ref.path, "nope")]);
  assert.equal(missing.code, 5, "a missing path is NotFound");
  assert.match(missing.stderr, /no such file or dir on the host/);
  const stranger = await runCli(["checkpoint", "cat", g.experimentDir, "gpu-elsewhere", "/etc/hostname"]);
  assert.equal(stranger.code, 1);
  assert.match(stranger.stderr, /gpu-elsewhere, which is not in executor\.hosts \(tunelab-test\)/);
});

test("tunelab checkpoint fetch: --trial, then --all fetch what is still remote; errors name the trial and host", async (t) => {
  const g = need(t);
  if (!g) return;
  const remote = g.results.filter((r) => r.remoteCheckpoint);
  assert.equal(remote.length, 2, "one of three was fetched by the Tuner test");
  const one = remote[0]!;
  const fetched = await runCli(["checkpoint", "fetch", g.experimentDir, "--trial", one.trialId]);
  assert.equal(fetched.code, 0, fetched.stderr);
  assert.match(fetched.stdout, new RegExp(`trial ${one.trialId} checkpoint_000002: fetched from ${env!.host}:${escape(one.remoteCheckpoint!.path)} into `));
  assert.ok(existsSync(join(one.checkpoint!, "state.json")) && !readRemoteCheckpoint(one.checkpoint!));
  const again = await runCli(["checkpoint", "fetch", g.experimentDir, "--trial", one.trialId]);
  assert.match(again.stdout, /already here/);

  const all = await runCli(["checkpoint", "fetch", g.experimentDir, "--all", "--json"]);
  assert.equal(all.code, 0, all.stderr);
  const rows = JSON.parse(all.stdout) as { trial: string; fetched: boolean; host?: string; bytes?: number }[];
  assert.deepEqual(rows.map((r) => r.fetched).sort(), [false, false, true], "only the last placeholder was fetched");
  assert.equal(rows.find((r) => r.fetched)!.host, env!.host);
  for (const r of g.results) assert.equal(r.remoteCheckpoint, undefined, `${r.trialId} is local now`);

  const unknown = await runCli(["checkpoint", "fetch", g.experimentDir, "--trial", "nope"]);
  assert.equal(unknown.code, 5);
  assert.match(unknown.stderr, /no trial nope in /);
  const both = await runCli(["checkpoint", "fetch", g.experimentDir, "--best", "--all"]);
  assert.equal(both.code, 2);

  // A placeholder whose host the experiment does not know: the error names trial, host and config.
  const stray = join(one.path, "checkpoint_stray");
  mkdirSync(stray);
  writeFileSync(join(stray, REMOTE_CHECKPOINT_FILE), JSON.stringify({ host: "gpu9", path: "/x" }));
  // (as the extension's Fetch Checkpoint calls it: one dir, --json)
  const bad = await runCli(fetchArgs(g.experimentDir, stray));
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /checkpoint_stray: checkpoint .* is on ssh host gpu9, which is not in executor\.hosts/);
  assert.ok(existsSync(join(stray, REMOTE_CHECKPOINT_FILE)), "a failed fetch leaves the placeholder");
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
