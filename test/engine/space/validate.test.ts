import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as d from "../../../src/engine/space/domains.ts";
import { DYNAMIC, formatDiagnostic, validateConfig, validateSpace, type Diagnostic } from "../../../src/engine/space/validate.ts";

const base = { trainable: { command: ["python", "train.py"] } };
const brief = (ds: Diagnostic[]): string[] => ds.map((x) => `${x.severity} ${x.code} ${JSON.stringify(x.path)}`);
const space = (s: unknown): Record<string, unknown> => ({ ...base, space: s });

/** [behaviour, config, expected diagnostics as "severity code path"] */
const cases: [string, unknown, string[], object?][] = [
  ["a valid config has no diagnostics", { ...base, metric: "loss", mode: "min", samples: 4, space: { lr: d.loguniform(1e-4, 1e-1), bs: d.choice([16, 32]) } }, []],
  ["a non-object config", 42, ['error config-not-object []']],
  ["reversed bounds", space({ lr: d.uniform(1, 0) }), ['error bounds-reversed ["space","lr"]']],
  ["equal bounds of a continuous range", space({ lr: d.uniform(1, 1) }), ['error bounds-equal ["space","lr"]']],
  ["randint with equal bounds is empty (upper exclusive)", space({ n: d.randint(3, 3) }), ['error bounds-equal ["space","n"]']],
  ["qrandint with equal bounds is a constant", space({ n: d.qrandint(4, 4, 2) }), ['warning bounds-equal ["space","n"]']],
  ["non-finite bounds", space({ x: d.uniform(0, Infinity), y: d.randn(Number.NaN, 1) }), ['error non-finite ["space","x"]', 'error non-finite ["space","y"]']],
  ["a bound that is not a number", space({ x: { __tunelab: "uniform", lower: "0", upper: 1 } }), ['error not-a-number ["space","x"]']],
  ["loguniform with a zero bound", space({ lr: d.loguniform(0, 1) }), ['error log-nonpositive ["space","lr"]']],
  ["lograndint with a negative bound", space({ n: d.lograndint(-1, 10) }), ['error log-nonpositive ["space","n"]']],
  ["log base 1 and negative base", space({ a: d.loguniform(1, 10, 1), b: d.qloguniform(1, 10, 1, -2) }), ['error log-base ["space","a"]', 'error log-base ["space","b"]']],
  ["q <= 0", space({ a: d.quniform(0, 1, 0), b: d.qrandn(0, 1, -1) }), ['error q-nonpositive ["space","a"]', 'error q-nonpositive ["space","b"]']],
  ["q larger than the range", space({ a: d.quniform(0, 1, 5) }), ['warning q-exceeds-range ["space","a"]']],
  ["no multiple of q in the range", space({ a: d.quniform(0.1, 0.2, 0.5) }), ['error q-no-multiple ["space","a"]']],
  ["integer domains with fractional bounds", space({ a: d.randint(0.5, 4), b: d.qrandint(0, 10, 2.5) }), ['error bounds-not-integer ["space","a"]', 'error bounds-not-integer ["space","b"]']],
  ["randn with sd <= 0", space({ a: d.randn(0, 0) }), ['error sd-nonpositive ["space","a"]']],
  ["empty choice and grid", space({ a: d.choice([]), b: [d.grid([])] }), ['error choice-empty ["space","a","categories"]', 'error grid-empty ["space","b",0,"values"]']],
  ["duplicate choice values warn at the repeat", space({ a: d.choice([1, 2, 1]), b: d.grid([{ x: 1 }, { x: 1 }]) }),
    ['warning choice-duplicate ["space","a","categories",2]', 'warning grid-duplicate ["space","b","values",1]']],
  ["domains nested inside grid values are checked", space({ opt: d.grid([{ lr: d.uniform(2, 1) }]) }), ['error bounds-reversed ["space","opt","values",0,"lr"]']],
  ["an unknown distribution tag", space({ a: { __tunelab: "loguniformm", lower: 1, upper: 2 } }), ['error unknown-domain ["space","a"]']],
  ["sampleFrom without a function", space({ a: { __tunelab: "sample_from", fn: 3 } }), ['error sample-from-not-function ["space","a"]']],
  ["unknown top-level key with Ray's name", { ...base, num_samples: 3 }, ['error unknown-key ["num_samples"]']],
  ["unknown keys in resources, checkpoints and executor", { ...base, resources: { gpus: 1 }, checkpoints: { kepe: 2 }, executor: { kind: "local", cpu: 2 } },
    ['error unknown-key ["resources","gpus"]', 'error unknown-key ["checkpoints","kepe"]', 'error unknown-key ["executor","cpu"]']],
  ["trainable missing", {}, ['error trainable-missing ["trainable"]']],
  ["trainable with neither command nor python", { trainable: { cwd: "." } }, ['error trainable-missing ["trainable"]']],
  ["trainable with an empty command", { trainable: { command: [] } }, ['error trainable-command ["trainable","command"]']],
  ["trainable command with a non-string", { trainable: { command: ["python", 3] } }, ['error trainable-command ["trainable","command"]']],
  ["python trainable not in module:attr form", { trainable: { python: "train" } }, ['error trainable-python ["trainable","python"]']],
  ["trainable with both command and python", { trainable: { command: ["x"], python: "m:f" } }, ['error trainable-ambiguous ["trainable"]', 'error unknown-key ["trainable","python"]']],
  ["metric without mode", { ...base, metric: "loss" }, ['error mode-missing ["metric"]']],
  ["mode without metric", { ...base, mode: "max" }, ['error metric-missing ["mode"]']],
  ["mode not min/max", { ...base, metric: "acc", mode: "maximize" }, ['error mode-invalid ["mode"]']],
  ["samples < 1 and fractional", { ...base, samples: 0, concurrency: 1.5 }, ['error samples-invalid ["samples"]', 'error concurrency-invalid ["concurrency"]']],
  ["concurrency < 1", { ...base, concurrency: 0 }, ['error concurrency-invalid ["concurrency"]']],
  ["negative resources", { ...base, resources: { cpu: -1, gpu: -0.5 } }, ['error resources-negative ["resources","cpu"]', 'error resources-negative ["resources","gpu"]']],
  ["fractional GPU above 1", { ...base, resources: { gpu: 1.5 } }, ['error gpu-fraction ["resources","gpu"]']],
  ["more GPUs than the machine has", { ...base, resources: { gpu: 2 } }, ['error gpu-unavailable ["resources","gpu"]'], { gpus: 1 }],
  ["GPU count unchecked when unknown", { ...base, resources: { gpu: 2 } }, []],
  ["checkpoints.keep < 1 and bad scoreOrder", { ...base, checkpoints: { keep: 0, scoreAttr: "acc", scoreOrder: "up" } },
    ['error checkpoints-keep ["checkpoints","keep"]', 'error score-order-invalid ["checkpoints","scoreOrder"]']],
  ["scoreAttr without scoreOrder is fine", { ...base, checkpoints: { keep: 2, scoreAttr: "acc" } }, []],
  ["maxFailures < -1", { ...base, maxFailures: -2 }, ['error max-failures-invalid ["maxFailures"]']],
  ["maxFailures -1 means forever", { ...base, maxFailures: -1 }, []],
  ["timeBudgetS <= 0", { ...base, timeBudgetS: 0 }, ['error time-budget-invalid ["timeBudgetS"]']],
  ["stop dict values that are not numbers", { ...base, stop: [{ training_iteration: "10" }, { __stopper: "max_iter", maxIter: 3 }] }, ['error stop-not-number ["stop",0,"training_iteration"]']],
  ["a grid above 10,000 trials warns with the count", space({ a: d.grid(Array.from({ length: 200 }, (_, i) => i)), b: d.grid(Array.from({ length: 60 }, (_, i) => i)) }),
    ['warning grid-too-large ["space"]']],
  ["a trainable script that does not exist", { trainable: { command: ["python", "nope.py"] } }, ['warning trainable-not-found ["trainable","command",1]'], { fileExists: () => false }],
  ["an unknown search kind", { ...base, search: { kind: "tpee" } }, ['error unknown-search-kind ["search","kind"]']],
  ["an unknown executor kind", { ...base, executor: { kind: "slrum" } }, ['error unknown-executor-kind ["executor","kind"]']],
  ["dynamic values are skipped, not guessed", { ...base, metric: DYNAMIC, mode: "min", samples: DYNAMIC, resources: { gpu: DYNAMIC },
    space: { lr: { __tunelab: "loguniform", lower: DYNAMIC, upper: 1, base: 10 }, g: { __tunelab: "grid", values: DYNAMIC }, all: DYNAMIC } }, []],
  ["a dynamic config is skipped", DYNAMIC, []],
];

void describe("config validation rules", () => {
  for (const [behaviour, config, expected, env] of cases) {
    void it(behaviour, () => assert.deepEqual(brief(validateConfig(config, env)).sort(), [...expected].sort()));
  }

  void it("formats diagnostics with a dotted path and array indexes", () => {
    const [diag] = validateConfig(space({ lr: d.loguniform(0, 1) }));
    assert.equal(formatDiagnostic(diag!), "space.lr: loguniform lower bound must be > 0 (got 0)");
    const [nested] = validateSpace({ layers: [{ units: d.randint(4, 2) }] }, ["space"]);
    assert.match(formatDiagnostic(nested!), /^space\.layers\[0\]\.units: randint lower bound 4 must be below upper bound 2/);
  });

  void it("suggests the intended key in data.suggestion", () => {
    const pick = (c: unknown): string | undefined => validateConfig(c)[0]?.data?.suggestion;
    assert.equal(pick({ ...base, num_samples: 2 }), "samples");
    assert.equal(pick({ ...base, metirc: "loss", mode: "min", metric: "l" }), "metric");
    assert.equal(pick({ ...base, timeBudget: 5 }), "timeBudgetS");
    assert.equal(pick({ ...base, checkpoints: { num_to_keep: 2 } }), "keep");
    assert.equal(pick({ ...base, search: { kind: "basic_varient" } }), "basic_variant");
    assert.equal(pick({ ...base, zzzzzzzz: 1 }), undefined);
  });

  void it("the grid warning names the number of trials", () => {
    const ds = validateConfig({ ...space({ a: d.grid(Array.from({ length: 101 }, (_, i) => i)), b: d.grid(Array.from({ length: 100 }, (_, i) => i)) }), samples: 2 });
    assert.match(ds[0]!.message, /20,200 trials/);
    assert.equal(ds[0]!.data?.count, 20_200);
  });

  void it("bare program names are not looked up as files", () => {
    assert.deepEqual(validateConfig({ trainable: { command: ["train-model", "--fast"] } }, { fileExists: () => false }), []);
    const seen: string[] = [];
    validateConfig({ trainable: { command: ["./run.sh"], cwd: "jobs" } }, { fileExists: (p) => (seen.push(p), true) });
    assert.deepEqual(seen, ["jobs/./run.sh"]);
  });
});
