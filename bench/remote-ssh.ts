/**
 * Per-trial overhead of the ssh executor against the private test sshd
 * (scripts/sshd/start-local-sshd.sh): N trials of a no-op trainable that
 * reports once, one at a time, from start() to onExit, with one ControlMaster
 * per host vs a fresh connection for every ssh command. Baseline in the same
 * run: the same trials with the LocalExecutor. Writes bench/results/remote-ssh.json.
 *
 *   node --import tsx bench/remote-ssh.ts [--trials 10]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Executor, TrialExit } from "../src/engine/executors/executor.ts";
import { LocalExecutor } from "../src/engine/executors/local.ts";
import { SshExecutor } from "../src/engine/executors/ssh.ts";
import { buildLaunch } from "../src/engine/trainables/launch.ts";
import { sshTestEnv } from "../test/engine/executors/ssh-test-env.ts";

const i = process.argv.indexOf("--trials");
const TRIALS = i > 0 ? Number(process.argv[i + 1]) : 10;
const root = join(import.meta.dirname, "..");
if (spawnSync("bash", [join(root, "scripts/sshd/start-local-sshd.sh"), "--with-rsync"], { stdio: "ignore" }).status !== 0) {
  throw new Error("bench/remote-ssh: cannot start the private sshd (scripts/sshd/start-local-sshd.sh; needs root)");
}
const env = sshTestEnv()!;
const project = mkdtempSync(join(tmpdir(), "tunelab-bench-ssh-"));
writeFileSync(join(project, "tune.config.ts"), "export default {};\n");
writeFileSync(join(project, "noop.sh"), 'echo \'{"result": {"loss": 1}}\' >&3\n');

async function measure(name: string, make: () => Executor): Promise<{ name: string; meanMs: number; medianMs: number; firstMs: number }> {
  const ex = make();
  const times: number[] = [];
  for (let n = 0; n < TRIALS; n++) {
    const trialDir = join(project, ".tunelab", name, `t${n}`);
    mkdirSync(trialDir, { recursive: true });
    writeFileSync(join(trialDir, "params.json"), "{}");
    const launch = buildLaunch({
      trainable: { command: ["sh", "noop.sh"] }, configPath: join(project, "tune.config.ts"), expDir: join(project, ".tunelab", name),
      trialDir, trialId: `t${n}`, iteration: 0, resources: { cpu: 1, gpu: 0 }, gpuIds: [],
    });
    const t0 = performance.now();
    let reports = 0;
    const exit = await new Promise<TrialExit>((resolve) => ex.start(launch, { onReport: () => (reports += 1), onProtocolError: () => undefined, onExit: resolve }));
    if (exit.code !== 0 || reports !== 1) throw new Error(`${name}: trial ${n} failed: ${exit.stderrTail}`);
    times.push(performance.now() - t0);
  }
  await ex.close(1000);
  const rest = [...times.slice(1)].sort((a, b) => a - b);
  return { name, firstMs: times[0]!, meanMs: rest.reduce((s, x) => s + x, 0) / rest.length, medianMs: rest[Math.floor(rest.length / 2)]! };
}

const ssh = (multiplex: boolean) => (): Executor =>
  new SshExecutor({ hosts: [{ host: env.host, cpus: 1, workdir: join(project, `remote-${String(multiplex)}`) }], syncRoot: project, sshConfig: env.config, pollMs: 50, multiplex });
// env.config sets ControlMaster auto for the alias; close it so "no multiplexing" really starts cold.
spawnSync("ssh", ["-F", env.config, "-O", "exit", env.host], { stdio: "ignore" });
const rows = [
  await measure("local", () => new LocalExecutor()),
  await measure("ssh-controlmaster", ssh(true)),
  await measure("ssh-fresh-connections", ssh(false)),
];
const base = rows[0]!.meanMs;
for (const r of rows) {
  console.log(`${r.name.padEnd(24)} first ${r.firstMs.toFixed(0).padStart(6)} ms (includes connect + sync)  then mean ${r.meanMs.toFixed(0).padStart(5)} ms, median ${r.medianMs.toFixed(0).padStart(5)} ms per trial  (${(r.meanMs / base).toFixed(1)}x local)`);
}
const cm = rows[1]!.meanMs, fresh = rows[2]!.meanMs;
console.log(`ControlMaster saves ${(fresh - cm).toFixed(0)} ms per trial (${(fresh / cm).toFixed(1)}x faster than fresh connections)`);
mkdirSync(join(root, "bench/results"), { recursive: true });
writeFileSync(join(root, "bench/results/remote-ssh.json"), JSON.stringify({ date: new Date().toISOString(), trials: TRIALS, pollMs: 50, rows }, null, 2) + "\n");
rmSync(project, { recursive: true, force: true });
