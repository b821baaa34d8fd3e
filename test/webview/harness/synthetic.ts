/**
 * A seeded synthetic experiment as journal events: trials with a log-uniform
 * lr, a uniform momentum, a categorical batch size and an integer depth, whose
 * loss curves fall with noise; some stopped early, optionally PBT exploit steps,
 * optionally hostile strings in every place a trial can put one.
 */
import type { JournalEvent } from "../../../src/engine/store/events.ts";
import type { ExperimentMeta } from "../../../src/extension/data/dashboard-model.ts";

export interface SyntheticOptions {
  trials: number;
  points: number;
  seed?: number;
  hostile?: boolean;
  pbt?: boolean;
  /** Leave trials RUNNING with this many points (for live deltas). */
  running?: boolean;
  t0?: number;
}

export const HOSTILE = `<img src=x onerror="window.__pwned=(window.__pwned||0)+1">`;

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function syntheticMeta(o: SyntheticOptions): ExperimentMeta {
  const name = o.hostile ? `exp ${HOSTILE}` : "synthetic";
  return {
    name, dir: o.hostile ? `/tmp/${HOSTILE}` : "/tmp/synthetic", source: "tunelab", searcher: "basic_variant", scheduler: o.pbt ? "pbt" : "asha",
    configPath: "/tmp/synthetic/tune.config.ts",
    params: [
      { path: "lr", kind: "loguniform", log: true, lower: 1e-4, upper: 1e-1, base: 10 },
      { path: "momentum", kind: "uniform", log: false, lower: 0.5, upper: 0.99 },
      { path: o.hostile ? HOSTILE : "batch_size", kind: "choice", log: false, categories: o.hostile ? [16, HOSTILE] : [16, 32, 64, 128] },
      { path: "layers", kind: "randint", log: false, lower: 1, upper: 7 },
    ],
  };
}

export interface SyntheticRun {
  events: JournalEvent[];
  /** Appends `n` more results round-robin over the running trials (a live delta). */
  more(n: number): JournalEvent[];
}

export function synthetic(o: SyntheticOptions): SyntheticRun {
  const rand = mulberry32(o.seed ?? 1);
  const t0 = o.t0 ?? 1_700_000_000_000;
  const metric = o.hostile ? `loss ${HOSTILE}` : "val_loss";
  const events: JournalEvent[] = [{ t: "experiment", ts: t0, name: syntheticMeta(o).name, seed: o.seed ?? 1, configPath: "/tmp/synthetic/tune.config.ts", metric, mode: "min" }];
  const curves: { id: string; a: number; b: number; k: number; it: number }[] = [];
  for (let i = 0; i < o.trials; i++) {
    const id = o.hostile && i % 3 === 0 ? `t${i}${HOSTILE}` : `t${String(i).padStart(5, "0")}`;
    const lr = 10 ** (-4 + 3 * rand());
    const config: Record<string, unknown> = {
      lr, momentum: 0.5 + 0.49 * rand(), [o.hostile ? HOSTILE : "batch_size"]: o.hostile ? (i % 2 ? HOSTILE : 16) : [16, 32, 64, 128][Math.floor(rand() * 4)], layers: 1 + Math.floor(rand() * 6),
    };
    events.push({ t: "trial", ts: t0 + i, id, index: i, config, resources: { cpu: 1, gpu: 0 } });
    events.push({ t: "start", ts: t0 + i, id, attempt: 1, iteration: 0 });
    // Loss is lowest near lr = 1e-2.5: a shape the charts and the refine test can check.
    const a = 0.05 + Math.abs(Math.log10(lr) + 2.5) * 0.2 + rand() * 0.05;
    const c = { id, a, b: 1 + rand(), k: 0.03 + rand() * 0.1, it: 0 };
    curves.push(c);
    const stopAt = !o.running && rand() < 0.3 ? Math.max(2, Math.floor(o.points * (0.1 + rand() * 0.3))) : o.points;
    for (let it = 1; it <= stopAt; it++) events.push(result(c, it, rand, metric, t0));
    c.it = stopAt;
    if (o.pbt && i > 0 && i % 4 === 0) {
      const donor = curves[Math.floor(rand() * (curves.length - 1))]!.id;
      events.push({ t: "config", ts: t0 + 1000, id, config: { ...config, lr: lr * 1.2 }, donorId: donor, iteration: Math.floor(stopAt / 2), note: "lr × 1.2" });
    }
    if (!o.running) {
      events.push(stopAt < o.points
        ? { t: "end", ts: t0 + 2000, id, status: "TERMINATED", stoppedBy: "stopped early by the scheduler" }
        : { t: "end", ts: t0 + 2000, id, status: "TERMINATED" });
    }
  }
  if (!o.running) events.push({ t: "finished", ts: t0 + 3000, outcome: "completed" });
  let next = 0;
  return {
    events,
    more(n: number): JournalEvent[] {
      const out: JournalEvent[] = [];
      for (let i = 0; i < n; i++) {
        const c = curves[next++ % curves.length]!;
        c.it++;
        out.push(result(c, c.it, rand, metric, t0));
      }
      return out;
    },
  };
}

function result(c: { id: string; a: number; b: number; k: number }, it: number, rand: () => number, metric: string, t0: number): JournalEvent {
  const loss = c.a + c.b * Math.exp(-c.k * it) + (rand() - 0.5) * 0.02;
  return { t: "result", ts: t0 + it * 1000, id: c.id, r: { [metric]: loss, val_acc: 1 - loss / 3, training_iteration: it, time_total_s: it * 1.5 } };
}
