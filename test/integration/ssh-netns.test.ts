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
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sshTestEnv, type SshTestEnv } from "../engine/executors/ssh-test-env.ts";
import { BEHAVIOURS, ROOT, eventsOf, journal, startCli, stateOf, tempStorage, waitForExperiment } from "./helpers.ts";

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
