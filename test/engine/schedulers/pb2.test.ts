/** Behaviours of PB2: PBT's exploit with a GP-bandit explore inside hyperparamBounds, its policy logs and its validation. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import type { Decision, TrialConfig } from "../../../src/engine/interfaces.ts";
import { createRng } from "../../../src/engine/random.ts";
import { createScheduler, pb2, type PolicyLine } from "../../../src/engine/schedulers/index.ts";
import { applyPoint, flattenBounds, selectPoint, type Pb2Row } from "../../../src/engine/schedulers/pb2-select.ts";
import { validateScheduler } from "../../../src/engine/schedulers/validate.ts";
import { choice, loguniform, randint } from "../../../src/engine/space/domains.ts";
import { curve, population, simulatePopulation } from "./fixtures.ts";
import { decisionTrace, SimTrial, simulate, type Curve, type SimOutcome } from "./simulator.ts";

const clock = { now: () => 0 };

/** Runs PB2 in the simulator, collecting policy lines after every event (as the runner does). */
function runPb2(opts: Record<string, unknown>, configs: TrialConfig[], seed = 4): { out: SimOutcome; lines: PolicyLine[] } {
  return simulatePopulation(pb2({ timeAttr: "training_iteration", perturbationInterval: 4, hyperparamBounds: { lr: [1e-3, 1] }, ...opts }), configs, seed);
}

const exploits = (out: SimOutcome) =>
  out.log.flatMap((e) => (typeof e.decision === "object" && e.decision.kind === "EXPLOIT" ? [{ ...e.decision, trialId: e.trialId }] : []));

test("PB2's bottom-quartile trial copies a top-quartile donor with a checkpoint; the bandit sets lr inside the bounds", () => {
  for (let seed = 1; seed <= 10; seed++) {
    const s = createScheduler(pb2({ timeAttr: "training_iteration", perturbationInterval: 4, hyperparamBounds: { lr: [0.005, 0.5] } }));
    s.setup({ metric: "score", mode: "max", seed, clock });
    const ts = Array.from({ length: 8 }, (_, i) => new SimTrial(`t${i}`, i, { lr: 0.01 * (i + 1), depth: 3 }, { cpu: 1, gpu: 0 }));
    ts.forEach((t) => {
      t.status = "RUNNING";
      s.onTrialAdd(t);
    });
    ts[6]!.checkpoints.set(8, 0);
    ts[7]!.checkpoints.set(8, 0);
    // Two rounds, so every trial has a reward change on record (the first exploit keeps the donor's
    // config); best first, so the weakest reports last and sees everyone ranked.
    let d: Decision = "CONTINUE";
    for (const [it, gain] of [[4, 1], [8, 2]] as const) {
      for (let i = 7; i >= 0; i--) d = s.onTrialResult(ts[i]!, { training_iteration: it, score: i * gain });
    }
    assert.ok(typeof d === "object" && d.kind === "EXPLOIT", `seed ${seed}: ${JSON.stringify(d)}`);
    assert.ok(["t6", "t7"].includes(d.donorId));
    const lr = Number(d.config.lr);
    assert.ok(lr >= 0.005 && lr <= 0.5, `lr ${lr} inside the bounds`);
    assert.equal(d.config.depth, 3, "keys without bounds are copied from the donor");
    assert.match(d.note ?? "", /GP-UCB chose lr=/);
  }
});

test("PB2 keeps the donor's config until the donor has a reward change on record (as Ray does)", () => {
  const s = createScheduler(pb2({ timeAttr: "training_iteration", perturbationInterval: 4, hyperparamBounds: { lr: [0.001, 1] } }));
  s.setup({ metric: "score", mode: "max", seed: 1, clock });
  const ts = Array.from({ length: 4 }, (_, i) => new SimTrial(`t${i}`, i, { lr: 0.1 * (i + 1) }, { cpu: 1, gpu: 0 }));
  ts.forEach((t) => {
    t.status = "RUNNING";
    s.onTrialAdd(t);
  });
  ts[3]!.checkpoints.set(4, 0);
  for (let i = 3; i >= 1; i--) s.onTrialResult(ts[i]!, { training_iteration: 4, score: i });
  const d = s.onTrialResult(ts[0]!, { training_iteration: 4, score: 0 });
  assert.ok(typeof d === "object" && d.kind === "EXPLOIT");
  assert.deepEqual(d.config, ts[3]!.config);
});

test("PB2's explored configs stay inside hyperparamBounds, integers stay integers, nested keys too", () => {
  const configs = population(12).map((c, i) => ({ ...c, layers: 1 + (i % 4), opt: { momentum: 0.5 + 0.04 * i } }));
  const { out } = runPb2({ hyperparamBounds: { lr: loguniform(1e-3, 1), layers: [1, 6], opt: { momentum: [0.5, 0.99] } } }, configs);
  const ex = exploits(out);
  assert.ok(ex.length >= 5, `${ex.length} exploits`);
  for (const e of ex) {
    const lr = Number(e.config.lr);
    const layers = e.config.layers as number;
    const momentum = (e.config.opt as { momentum: number }).momentum;
    assert.ok(lr >= 1e-3 && lr <= 1, `lr ${lr}`);
    assert.ok(Number.isInteger(layers) && layers >= 1 && layers <= 6, `layers ${layers}`);
    assert.ok(momentum >= 0.5 && momentum <= 0.99, `momentum ${momentum}`);
    assert.ok([16, 32, 64].includes(e.config.width as number), "width (no bound) comes from a donor");
  }
  const initial = new Set(population(12).map((c) => c.lr));
  assert.ok(ex.some((e) => !initial.has(e.config.lr as number)), "the bandit proposed new values");
});

test("applyPoint maps any unit point inside the bounds (property)", () => {
  const bounds = flattenBounds({ a: [-3, 7], b: loguniform(1e-5, 1e-1), c: randint(2, 9), n: { d: [0, 1] } });
  fc.assert(fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }), (point) => {
    const c = applyPoint({ a: 1.5, b: 0.01, c: 4, n: { d: 0.5 } }, bounds, point);
    assert.ok((c.a as number) >= -3 && (c.a as number) <= 7);
    assert.ok((c.b as number) >= 1e-5 * (1 - 1e-12) && (c.b as number) <= 1e-1 * (1 + 1e-12));
    assert.ok(Number.isInteger(c.c) && (c.c as number) >= 2 && (c.c as number) <= 8, `randint's upper bound is exclusive: ${String(c.c)}`);
    const d = (c.n as { d: number }).d;
    assert.ok(d >= 0 && d <= 1);
    // [0, 1] bounds are integers, but the value was a float: it is not rounded to 0 or 1.
    if (point[3]! > 0.01 && point[3]! < 0.99) assert.ok(!Number.isInteger(d), `d ${d}`);
  }));
});

/** Rows of trials that ran at fixed x for `steps` intervals, gaining `gain(x)` per interval. */
function rowsAt(xs: readonly number[], steps: number, gain: (x: number) => number): Pb2Row[] {
  return xs.flatMap((x, k) => Array.from({ length: steps }, (_, t) => ({ trial: `t${k}`, time: t + 1, values: [x], reward: (t + 1) * gain(x) })));
}

test("the bandit picks near the config whose reward grows fastest, the same pick for the same seed", () => {
  const bounds = flattenBounds({ x: [0, 1] });
  const rows = rowsAt([0, 1, 2, 3, 4, 5, 6, 7].map((k) => k / 7), 4, (x) => 1 - 4 * (x - 0.7) ** 2);
  const donor = { id: "t5", time: 4, reward: rows.filter((r) => r.trial === "t5").at(-1)!.reward };
  const first = selectPoint(rows, bounds, donor, [], createRng(1)) as number[];
  assert.ok(Math.abs((first[0] as number) - 0.7) < 0.1, `picked ${first[0]}`);
  assert.deepEqual(selectPoint(rows, bounds, donor, [], createRng(1)), first);
});

test("where the GP is unsure, a round's earlier picks push the next one away (Ray's pending configs)", () => {
  const bounds = flattenBounds({ x: [0, 1] });
  // Only x ≤ 0.4 was tried and the gain still rises there: the bandit explores beyond.
  const rows = rowsAt([0.1, 0.2, 0.3, 0.4], 3, (x) => 1 - 4 * (x - 0.7) ** 2);
  const donor = { id: "t3", time: 3, reward: rows.filter((r) => r.trial === "t3").at(-1)!.reward };
  const first = selectPoint(rows, bounds, donor, [], createRng(1)) as number[];
  assert.ok((first[0] as number) > 0.4, `explores beyond the data: ${first[0]}`);
  const second = selectPoint(rows, bounds, donor, [first], createRng(1)) as number[];
  assert.ok(Math.abs((second[0] as number) - (first[0] as number)) > 0.05, `${first[0]} then ${second[0]}`);
});

test("PB2 on a population whose reward grows at a rate set by lr: late picks sit near the best lr", () => {
  // Reward grows by a fixed rate per step that peaks at lr = 0.1 (no saturation, so lr is what the GP can learn).
  const linear: Curve = (config, state) => {
    const next = state + Math.exp(-((Math.log10(Number(config.lr)) + 1) ** 2));
    return { state: next, metric: next };
  };
  const configs = population(16, 5);
  const start = configs.map((c) => Math.abs(Math.log10(Number(c.lr)) + 1));
  const late: number[] = [];
  for (let seed = 1; seed <= 4; seed++) {
    const scheduler = createScheduler(pb2({ timeAttr: "training_iteration", perturbationInterval: 4, hyperparamBounds: { lr: loguniform(1e-3, 1) } }));
    const out = simulate({ scheduler, configs, curve: linear, maxIterations: 40, concurrency: 8, seed });
    const ex = exploits(out).filter((e) => e.note?.includes("GP-UCB"));
    late.push(...ex.slice(Math.floor(ex.length / 2)).map((e) => Math.abs(Math.log10(Number(e.config.lr)) + 1)));
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(late.length >= 10, `${late.length} late exploits`);
  assert.ok(mean(late) < mean(start) / 2, `distance to the best lr in decades: population ${mean(start).toFixed(2)}, late PB2 picks ${mean(late).toFixed(2)}`);
});

test("PB2 writes PBT's policy lines in Ray's format", () => {
  const { lines } = runPb2({}, population(8));
  const global = lines.filter((l) => l.file === "pbt_global.txt");
  assert.ok(global.length >= 2, `${global.length} rows`);
  for (const l of global) {
    const row = JSON.parse(l.line) as unknown[];
    assert.equal(row.length, 6);
    assert.notEqual(row[0], row[1]);
  }
  assert.ok(lines.some((l) => l.file.startsWith("pbt_policy_") && l.copyFrom?.startsWith("pbt_policy_")));
});

test("PB2: save → JSON → restore mid-run and a second run with the same seed give the same decisions", () => {
  const spec = pb2({ timeAttr: "training_iteration", perturbationInterval: 4, hyperparamBounds: { lr: loguniform(1e-3, 1) } });
  const run = (extra = {}) => simulate({ scheduler: createScheduler(spec), configs: population(12), curve, maxIterations: 30, concurrency: 4, seed: 7, ...extra });
  const plain = decisionTrace(run().log);
  assert.ok(plain.some((d) => d.includes("EXPLOIT")));
  assert.deepEqual(decisionTrace(run().log), plain);
  assert.deepEqual(decisionTrace(run({ restoreAfter: 60, fresh: () => createScheduler(spec) }).log), plain);
});

test("PB2 option errors name the option and the key", () => {
  assert.throws(() => createScheduler(pb2({} as never)), /scheduler pb2: give hyperparamBounds/);
  assert.throws(() => createScheduler(pb2({ hyperparamBounds: { lr: [0.1, 0.01] } })), /hyperparamBounds\.lr: lower must be below upper \(got 0\.1 and 0\.01\)/);
  assert.throws(() => createScheduler(pb2({ hyperparamBounds: { opt: { lr: [1] as never } } })), /hyperparamBounds\.opt\.lr must be \[lower, upper\]/);
  assert.throws(() => createScheduler(pb2({ hyperparamBounds: { act: choice(["relu"]) as never } })), /hyperparamBounds\.act: PB2 searches continuous ranges/);
  assert.throws(() => createScheduler({ kind: "pb2", hyperparamBounds: { lr: [0, 1] }, hyperparamMutations: {} }), /unknown option "hyperparamMutations"/);
  const s = createScheduler(pb2({ hyperparamBounds: { lr: [0, 1] } }));
  s.setup({ metric: "score", mode: "max", seed: 1, clock });
  const t = new SimTrial("t0", 0, { lr: 0.5 }, { cpu: 1, gpu: 0 });
  s.onTrialAdd(t);
  assert.throws(() => s.onTrialResult(t, { score: 1 }), /trial t0 reported a result without time attribute "time_total_s"/);
});

const ctx = { metric: "acc", mode: "max", spaceKeys: [["lr"], ["opt"], ["model", "width"]], space: { lr: loguniform(1e-4, 1), opt: choice(["adam", "sgd"]), model: { width: 32 } } };
const RULES: [string, unknown, string | undefined, (string | number)[] | undefined][] = [
  ["a valid PB2", pb2({ hyperparamBounds: { lr: [1e-4, 1], model: { width: [8, 64] } } }), undefined, undefined],
  ["no bounds", { kind: "pb2" }, "pb2-no-bounds", ["scheduler", "hyperparamBounds"]],
  ["reversed bounds", pb2({ hyperparamBounds: { lr: [1, 1e-4] } }), "pb2-bound-order", ["scheduler", "hyperparamBounds", "lr"]],
  ["a bound that is not a pair", pb2({ hyperparamBounds: { lr: [1e-4] as never } }), "pb2-bound-invalid", ["scheduler", "hyperparamBounds", "lr"]],
  ["a bound key not in the space", pb2({ hyperparamBounds: { lrr: [1e-4, 1] } }), "pb2-bound-unknown-key", ["scheduler", "hyperparamBounds", "lrr"]],
  ["a nested key not in the space", pb2({ hyperparamBounds: { model: { depth: [1, 4] } } }), "pb2-bound-unknown-key", ["scheduler", "hyperparamBounds", "model", "depth"]],
  ["a bound on a string choice", pb2({ hyperparamBounds: { opt: [0, 1] } }), "pb2-bound-non-numeric", ["scheduler", "hyperparamBounds", "opt"]],
  ["loguniform from 0", pb2({ hyperparamBounds: { lr: loguniform(0, 1) } }), "pb2-bound-log", ["scheduler", "hyperparamBounds", "lr"]],
  ["quantileFraction above 0.5", pb2({ quantileFraction: 0.7, hyperparamBounds: { lr: [0, 1] } }), "pb2-quantile", ["scheduler", "quantileFraction"]],
  ["perturbationInterval 0", pb2({ perturbationInterval: 0, hyperparamBounds: { lr: [0, 1] } }), "pb2-interval", ["scheduler", "perturbationInterval"]],
  ["PBT's option name", { kind: "pb2", hyperparamBounds: { lr: [0, 1] }, hyperparamMutations: {} }, "scheduler-unknown-option", ["scheduler", "hyperparamMutations"]],
];

for (const [name, spec, code, path] of RULES) {
  test(`pb2 rule: ${name}`, () => {
    const ds = validateScheduler(spec, ctx);
    if (code === undefined) return assert.deepEqual(ds, []);
    const d = ds.find((x) => x.code === code);
    assert.ok(d, `expected ${code}, got ${JSON.stringify(ds)}`);
    assert.deepEqual(d.path, path);
    assert.equal(d.severity, "error");
  });
}
