/**
 * Placement of a distributed trial's ranks over ssh hosts: all at once or not at all, on one
 * host when one has room (no network between ranks), else spread over hosts in their order.
 */
import { ResourcePool, type Grant } from "../resources.ts";
import type { TrialResources } from "../store/events.ts";

/** How many ranks of `req` the pool could take right now, up to `max` (nothing is kept). */
export function roomFor(pool: ResourcePool, req: TrialResources, max: number): number {
  const grants: Grant[] = [];
  while (grants.length < max) {
    const g = pool.tryAcquire(req);
    if (!g) break;
    grants.push(g);
  }
  for (const g of grants) pool.release(req, g.gpuIds);
  return grants.length;
}

/**
 * Ranks per pool (aligned with `pools`; undefined = unusable, e.g. a lost host) for `workers`
 * ranks of `req`, or undefined when they do not all fit now.
 */
export function planRanks(pools: readonly (ResourcePool | undefined)[], req: TrialResources, workers: number): number[] | undefined {
  const room = pools.map((p) => (p ? roomFor(p, req, workers) : 0));
  const whole = room.findIndex((n) => n >= workers);
  if (whole >= 0) return room.map((_, i) => (i === whole ? workers : 0));
  let left = workers;
  const plan = room.map((n) => {
    const take = Math.min(n, left);
    left -= take;
    return take;
  });
  return left === 0 ? plan : undefined;
}

/** Whether `workers` ranks of `req` could ever fit on these hosts together (each empty). */
export function ranksEverFit(sizes: readonly { cpus: number; gpus: number }[], req: TrialResources, workers: number): boolean {
  return planRanks(sizes.map((s) => new ResourcePool(s.cpus, s.gpus)), req, workers) !== undefined;
}

/** The `hostname` ssh resolves an alias to (`ssh -G` output), or undefined. */
export function parseSshG(output: string): string | undefined {
  return /^hostname (\S+)$/m.exec(output)?.[1];
}
