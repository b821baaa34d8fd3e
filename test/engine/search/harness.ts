/** Shared drivers for searcher tests: a rich space, an in-space check and a deterministic trial loop. */
import assert from "node:assert/strict";
import type { SearchSpec } from "../../../src/engine/config.ts";
import type { Result, SearchContext, Searcher, Suggestion, TrialConfig } from "../../../src/engine/interfaces.ts";
import * as d from "../../../src/engine/space/domains.ts";
import { isPlainObject } from "../../../src/engine/space/variants.ts";
import { TRIAL_INDEX } from "../../../src/engine/search/index.ts";

/** Every primitive, nesting, arrays, constants, a conditional choice, a grid and a sampleFrom. */
export const richSpace: d.Space = {
  lr: d.loguniform(1e-5, 1e-1),
  momentum: d.uniform(0.5, 0.99),
  dropout: d.quniform(0, 0.5, 0.05),
  wd: d.qloguniform(1e-4, 1e-1, 1e-4),
  noise: d.randn(1, 2),
  qnoise: d.qrandn(0, 1, 0.25),
  layers: d.randint(1, 5),
  units: d.qrandint(32, 256, 32),
  batch: d.lograndint(8, 513),
  act: d.choice(["relu", "tanh", { name: "leaky", slope: 0.1 }]),
  model: d.choice([
    { kind: "mlp", width: d.randint(16, 64), deep: { depth: d.qrandint(2, 8, 2) } },
    { kind: "tree", maxDepth: d.lograndint(2, 64), criterion: d.choice(["gini", "entropy"]) },
    "linear",
  ]),
  opt: d.grid(["adam", "sgd"]),
  stack: [d.uniform(0, 1), 7, { inner: d.choice([1, 2, 3]) }],
  constant: "keep-me",
  nested: { deeper: { value: 3, flag: true, none: null } },
  derived: d.sampleFrom(({ config }) => (config.layers as number) * 2),
};

const multipleOf = (v: number, q: number): boolean => Math.abs(v / q - Math.round(v / q)) < 1e-6;

/** Throws (with the path) unless `value` could have come from `node`. */
export function assertInSpace(node: unknown, value: unknown, path = "config", root: unknown = value): void {
  const fail = (why: string): never => assert.fail(`${path}: ${why} (got ${JSON.stringify(value)})`);
  if (d.isDomain(node)) {
    const num = typeof value === "number" && Number.isFinite(value) ? value : NaN;
    switch (node.__tunelab) {
      case "uniform": case "loguniform":
        if (!(num >= node.lower && num <= node.upper)) fail(`outside [${node.lower}, ${node.upper}]`);
        return;
      case "quniform": case "qloguniform":
        if (!(num >= node.lower - 1e-12 && num <= node.upper + 1e-12) || !multipleOf(num, node.q)) fail(`not a multiple of ${node.q} in bounds`);
        return;
      case "randn":
        if (Number.isNaN(num)) fail("not a finite number");
        return;
      case "qrandn":
        if (Number.isNaN(num) || !multipleOf(num, node.q)) fail(`not a multiple of ${node.q}`);
        return;
      case "randint": case "lograndint":
        if (!Number.isInteger(num) || num < node.lower || num >= node.upper) fail(`not an integer in [${node.lower}, ${node.upper})`);
        return;
      case "qrandint":
        if (!Number.isInteger(num) || num < node.lower || num > node.upper || !multipleOf(num, node.q)) fail(`not a multiple of ${node.q} in [${node.lower}, ${node.upper}]`);
        return;
      case "choice": case "grid": {
        const items = node.__tunelab === "choice" ? node.categories : node.values;
        const ok = items.some((item) => { try { assertInSpace(item, value, path, root); return true; } catch { return false; } });
        if (!ok) fail("not one of the categories");
        return;
      }
      case "sample_from":
        assert.deepEqual(value, node.fn({ config: root as Record<string, unknown> }), `${path}: sampleFrom value`);
        return;
    }
  }
  if (Array.isArray(node)) {
    if (!Array.isArray(value) || value.length !== node.length) fail(`not an array of ${node.length}`);
    node.forEach((n, i) => assertInSpace(n, (value as unknown[])[i], `${path}[${i}]`, root));
    return;
  }
  if (isPlainObject(node)) {
    if (!isPlainObject(value)) fail("not an object");
    const v = value as Record<string, unknown>;
    const extra = Object.keys(v).filter((k) => !(k in node) && !(path === "config" && k === TRIAL_INDEX));
    if (extra.length > 0) fail(`unexpected keys ${extra.join(", ")}`);
    for (const [k, n] of Object.entries(node)) assertInSpace(n, v[k], `${path}.${k}`, root);
    return;
  }
  assert.deepEqual(value, node, `${path}: constant changed`);
}

export const context = (space: d.Space, over: Partial<SearchContext> = {}): SearchContext => ({
  space, metric: "loss", mode: "min", samples: 30, seed: 3, clock: { now: () => 0 }, ...over,
});

/** A number from a config that depends on every numeric leaf (a stand-in objective). */
export function score(config: unknown): number {
  let s = 0;
  const walk = (v: unknown, w: number): void => {
    if (typeof v === "number") s += w * Math.sin(v * 1.7 + w);
    else if (typeof v === "string") s += w * v.length * 0.01;
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, w + i + 1));
    else if (v && typeof v === "object") Object.values(v).forEach((x, i) => walk(x, w + i + 1));
  };
  walk(config, 1);
  return s;
}

export interface Loop {
  searcher: Searcher;
  /** Runs `steps` events: suggestions while fewer than 2 trials run, else the oldest finishes. */
  step(steps: number): Suggestion[];
}

/**
 * A deterministic trial loop with two trials at a time: every 7th trial
 * errors, every 5th finishes without the metric (its intermediate result has it).
 */
export function loop(searcher: Searcher, objective: (c: TrialConfig) => number = score, metric = "loss"): Loop {
  const running: { id: string; config: TrialConfig }[] = [];
  let count = 0;
  return {
    searcher,
    step(steps) {
      const out: Suggestion[] = [];
      for (let s = 0; s < steps; s++) {
        if (running.length < 2) {
          const id = `t${count}`;
          const next = searcher.suggest(id);
          out.push(next);
          if (next !== "wait" && next !== "done") {
            count += 1;
            running.push({ id, config: next });
            continue;
          }
          if (running.length === 0) break;
        }
        const trial = running.shift();
        if (!trial) break;
        const n = Number(trial.id.slice(1));
        const value = objective(trial.config);
        const result: Result = { [metric]: value, training_iteration: 1 };
        searcher.onTrialResult(trial.id, result);
        if (n % 7 === 6) searcher.onTrialComplete(trial.id, undefined, true);
        else if (n % 5 === 4) searcher.onTrialComplete(trial.id, { training_iteration: 1 }, false);
        else searcher.onTrialComplete(trial.id, result, false);
      }
      return out;
    },
  };
}

export type Kind = { name: string; spec: SearchSpec };
