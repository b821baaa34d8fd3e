/** Behaviours of PBT (exploit, explore, policy logs) and of its replay. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { TrialConfig } from "../../../src/engine/interfaces.ts";
import { createRng } from "../../../src/engine/random.ts";
import { loguniform, randint, uniform, qrandint } from "../../../src/engine/space/domains.ts";
import { createScheduler, parsePolicy, pbt, type PolicyLine } from "../../../src/engine/schedulers/index.ts";
import { explore, fitToDomain } from "../../../src/engine/schedulers/pbt-explore.ts";
import { PbtReplayScheduler } from "../../../src/engine/schedulers/pbt-replay.ts";
import { curve, population, simulatePopulation } from "./fixtures.ts";
import { SimTrial, simulate, type SimOutcome } from "./simulator.ts";

const clock = { now: () => 0 };

/** Writes policy lines the way the runner must: copy the donor's file first when asked, then append. */
function materialize(lines: readonly PolicyLine[]): Map<string, string[]> {
  const files = new Map<string, string[]>();
  for (const l of lines) {
    if (l.copyFrom !== undefined && files.has(l.copyFrom)) files.set(l.file, [...(files.get(l.copyFrom) as string[])]);
    files.set(l.file, [...(files.get(l.file) ?? []), l.line]);
  }
  return files;
}

/** Runs PBT in the simulator, collecting policy lines after every event (as the runner does). */
function runPbt(opts: Record<string, unknown>, configs: TrialConfig[], seed = 4): { out: SimOutcome; lines: PolicyLine[] } {
  return simulatePopulation(pbt({ timeAttr: "training_iteration", perturbationInterval: 4, ...opts }), configs, seed);
}

test("PBT's bottom-quartile trial copies a top-quartile donor that has a checkpoint", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const s = createScheduler(pbt({ timeAttr: "training_iteration", perturbationInterval: 4, hyperparamMutations: { lr: loguniform(1e-4, 10) }, resampleProbability: 0 }));
    s.setup({ metric: "score", mode: "max", seed, clock });
    const ts = Array.from({ length: 8 }, (_, i) => new SimTrial(`t${i}`, i, { lr: 0.01 * (i + 1) }, { cpu: 1, gpu: 0 }));
    ts.forEach((t) => {
      t.status = "RUNNING";
      s.onTrialAdd(t);
    });
    ts[6]!.checkpoints.set(4, 0);
    ts[7]!.checkpoints.set(4, 0);
    // Best first, so the weakest reports last and sees everyone ranked.
    for (let i = 7; i >= 1; i--) s.onTrialResult(ts[i]!, { training_iteration: 4, score: i });
    const d = s.onTrialResult(ts[0]!, { training_iteration: 4, score: 0 });
    assert.ok(typeof d === "object" && d.kind === "EXPLOIT", `seed ${seed}: ${JSON.stringify(d)}`);
    assert.ok(["t6", "t7"].includes(d.donorId));
    const donorLr = Number(ts.find((t) => t.id === d.donorId)!.config.lr);
    const ratio = Number(d.config.lr) / donorLr;
    assert.ok([0.8, 1.2].some((f) => Math.abs(ratio - f) < 1e-9), `perturbed by ${ratio}`);
  }
});

test("PBT never picks a donor without a checkpoint", () => {
  const { out } = runPbt({ hyperparamMutations: { lr: loguniform(1e-3, 1) } }, population(8));
  assert.ok(out.log.some((e) => typeof e.decision === "object"), "some exploits happened");
  const noCkpt = simulate({
    scheduler: createScheduler(pbt({ timeAttr: "training_iteration", perturbationInterval: 4, hyperparamMutations: { lr: loguniform(1e-3, 1) } })),
    configs: population(8), curve, maxIterations: 40, concurrency: 4, checkpointEvery: 1000,
  });
  assert.deepEqual(noCkpt.violations, []);
  assert.ok(!noCkpt.log.some((e) => typeof e.decision === "object"));
});

test("PBT copies a top-quartile donor and perturbs by 0.8 or 1.2 (policy log)", () => {
  const { lines } = runPbt({ hyperparamMutations: { lr: loguniform(1e-6, 100) }, resampleProbability: 0 }, population(12));
  const rows = lines.filter((l) => l.file === "pbt_global.txt").map((l) => JSON.parse(l.line) as unknown[]);
  assert.ok(rows.length >= 5, `${rows.length} exploits`);
  for (const [target, donor, , , oldConf, newConf] of rows as [string, string, number, number, TrialConfig, TrialConfig][]) {
    assert.notEqual(target, donor);
    const ratio = Number(newConf.lr) / Number(oldConf.lr);
    assert.ok([0.8, 1.2].some((f) => Math.abs(ratio - f) < 1e-9), `ratio ${ratio}`);
    assert.equal(newConf.q, oldConf.q, "keys without a mutation are copied from the donor");
  }
});

test("PBT shifts list values to a neighbour and keeps explored values inside the domain", () => {
  const widths = [8, 16, 32, 64];
  fc.assert(fc.property(fc.integer({ min: 0, max: 3 }), fc.integer(), fc.double({ min: 0.001, max: 0.9, noNaN: true }), (at, seed, lr) => {
    const rng = createRng(seed);
    const { config } = explore({ width: widths[at], lr, depth: 3, w: 0.5 }, {
      width: widths, lr: loguniform(0.001, 0.9), depth: randint(1, 4), w: uniform(0, 0.55),
    }, rng, { resampleProbability: 0, perturbationFactors: [1.2, 0.8] });
    assert.ok(Math.abs(widths.indexOf(config.width as number) - at) <= 1);
    assert.ok(Number(config.lr) >= 0.001 && Number(config.lr) <= 0.9);
    assert.ok(Number.isInteger(config.depth) && Number(config.depth) >= 1 && Number(config.depth) <= 3);
    assert.ok(Number(config.w) <= 0.55);
  }));
  assert.equal(fitToDomain(37 * 1.2, 37, qrandint(0, 100, 5)), 45);
  assert.equal(fitToDomain(7 * 1.2, 7, undefined), 8, "an integer without a domain stays an integer (Ray's int())");
});

test("PBT policy lines follow Ray's format and inherit the donor's history", () => {
  const { lines } = runPbt({ hyperparamMutations: { lr: loguniform(1e-3, 1) } }, population(8));
  const files = materialize(lines);
  const perTrial = [...files.keys()].filter((f) => f.startsWith("pbt_policy_"));
  assert.ok(perTrial.length > 0);
  for (const l of lines) {
    const row = JSON.parse(l.line) as unknown[];
    assert.equal(row.length, 6);
    assert.ok(typeof row[0] === "string" && typeof row[1] === "string" && typeof row[2] === "number" && typeof row[3] === "number");
  }
  assert.equal(files.get("pbt_global.txt")?.length, lines.length / 2);
});

test("replay reproduces the policy's config changes at the logged steps and the trial's final score", () => {
  const { out, lines } = runPbt({ hyperparamMutations: { lr: loguniform(1e-3, 1) }, resampleProbability: 0.3 }, population(16, 9));
  const files = materialize(lines);
  const candidates = out.trials.filter((t) => files.has(`pbt_policy_${t.id}.txt`));
  assert.ok(candidates.length >= 3, "several trials exploited");
  assert.ok(candidates.some((t) => (files.get(`pbt_policy_${t.id}.txt`) as string[]).length >= 2), "some schedule has several changes");
  for (const target of candidates) {
    const policy = parsePolicy((files.get(`pbt_policy_${target.id}.txt`) as string[]).join("\n"));
    const replay = simulate({ scheduler: new PbtReplayScheduler(policy), configs: [{}], curve, maxIterations: 40, concurrency: 1 });
    const t = replay.trials[0] as SimTrial;
    const changes = replay.log.filter((e) => typeof e.decision === "object" && e.via === "result");
    assert.deepEqual(changes.map((e) => e.iteration), [...new Set(policy.changes.map((c) => c.step))]);
    assert.deepEqual(t.config, target.config);
    assert.equal(t.lastResult?.score, target.lastResult?.score, `trial ${target.id}`);
  }
});

test("the policy parser keeps only the last lineage and reads 8-field rows", () => {
  const row = (a: string, b: string, s: number, d: number, from: number, to: number): string => JSON.stringify([a, b, s, d, { lr: from }, { lr: to }]);
  const text = [row("z", "w", 2, 2, 7, 8), row("x", "y", 4, 4, 1, 2), row("z", "x", 12, 12, 5, 6)].join("\n");
  // The last row's donor x brings its own history (x ← y); z's first row is a lineage it left behind.
  assert.deepEqual(parsePolicy(text), { initialConfig: { lr: 1 }, changes: [{ step: 4, config: { lr: 2 } }, { step: 12, config: { lr: 6 } }] });
  const eight = JSON.stringify(["a", "b", "a_id", "b_id", 3, 5, { lr: 1 }, { lr: 2 }]);
  assert.deepEqual(parsePolicy(eight), { initialConfig: { lr: 1 }, changes: [{ step: 5, config: { lr: 2 } }] });
  assert.throws(() => parsePolicy("not json"), /line 1 of policy file is not JSON/);
});

test("PBT names the missing time attribute when requireAttrs is set", () => {
  const s = createScheduler(pbt({ hyperparamMutations: { lr: [0.1, 0.01] } }));
  s.setup({ metric: "score", mode: "max", seed: 1, clock });
  const t = new SimTrial("t0", 0, {}, { cpu: 1, gpu: 0 });
  s.onTrialAdd(t);
  assert.throws(() => s.onTrialResult(t, { score: 1 }), /trial t0 reported a result without time attribute "time_total_s"/);
});
