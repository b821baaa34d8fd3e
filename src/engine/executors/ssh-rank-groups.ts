/**
 * The distributed trials waiting for room on the ssh hosts: each one's ranks are placed all at
 * once (on one host when one has room, else spread: ssh-ranks.ts), then started with torchrun's
 * variables, meeting at rank 0's host.
 */
import type { Grant } from "../resources.ts";
import type { TrialLaunch } from "./executor.ts";
import { nodeRankEnv, rankSlots } from "./distributed.ts";
import type { SshHost } from "./ssh-host.ts";
import { planRanks } from "./ssh-ranks.ts";
import type { SshTrial } from "./ssh-trial.ts";

/** What the groups need of the executor. */
export interface RankGroupHooks {
  readonly hosts: readonly SshHost[];
  closed(): boolean;
  /** Starts one rank on `host` with the resources it was granted there. */
  launchOn(host: SshHost, p: { trial: SshTrial; launch: TrialLaunch }, grant: Grant): void;
  /** Gives back what `trial` held on `host` (keyed by its local trial dir). */
  release(host: SshHost, key: string, trial: SshTrial): void;
}

/** The ranks of one distributed trial, placed together. */
interface PendingGroup {
  trials: SshTrial[];
  launches: readonly TrialLaunch[];
}

interface PlacedRank {
  host: SshHost;
  grant: Grant;
  slot: ReturnType<typeof rankSlots>[number];
  trial: SshTrial;
  launch: TrialLaunch;
}

export class RankGroups {
  private readonly waiting: PendingGroup[] = [];

  constructor(private readonly hooks: RankGroupHooks) {}

  add(trials: SshTrial[], launches: readonly TrialLaunch[]): void {
    this.waiting.push({ trials, launches });
  }

  /** Ends every group still waiting with `message` (the executor closes). */
  failAll(message: string): void {
    for (const g of this.waiting.splice(0)) g.trials.forEach((t) => t.fail(message, false));
  }

  /** Starts every waiting distributed trial whose ranks all fit now. */
  place(): void {
    const { hosts } = this.hooks;
    for (let i = 0; i < this.waiting.length && !this.hooks.closed(); ) {
      const g = this.waiting[i]!;
      if (g.trials.some((t) => t.stopRequested)) {
        this.waiting.splice(i, 1);
        g.trials.forEach((t) => t.fail("tunelab: stopped before it started", false));
        continue;
      }
      const req = g.launches[0]!.resources;
      const plan = planRanks(hosts.map((h) => (h.down ? undefined : h.pool)), req, g.launches.length);
      if (!plan) {
        i += 1;
        continue;
      }
      this.waiting.splice(i, 1);
      const used = hosts.filter((_, h) => plan[h]! > 0);
      const slots = rankSlots(plan.filter((n) => n > 0));
      const placed = slots.map((slot): PlacedRank => {
        const host = used[slot.nodeRank]!;
        const grant = host.pool.tryAcquire(req)!;
        const trial = g.trials[slot.rank]!;
        host.trials.set(g.launches[slot.rank]!.trialDir, { trial, grant, resources: req });
        return { host, grant, slot, trial, launch: g.launches[slot.rank]! };
      });
      void this.launch(placed);
    }
  }

  /** Finds rank 0's address and a free port on its host, then starts every rank with torchrun's variables. */
  private async launch(placed: PlacedRank[]): Promise<void> {
    const master = placed[0]!.host;
    let addr: string;
    let port: number;
    try {
      // One host: the ranks meet on its loopback; several: at rank 0's host as the others reach it.
      addr = placed.every((p) => p.host === master) ? "127.0.0.1" : await master.addressForPeers();
      port = await master.freePort(placed[0]!.launch.trialId);
    } catch (e) {
      for (const p of placed) {
        this.hooks.release(p.host, p.launch.trialDir, p.trial);
        p.trial.fail(`trial ${p.launch.trialId}: no rendezvous on ssh host ${master.spec.host}: ${e instanceof Error ? e.message : String(e)}`, true);
      }
      return;
    }
    for (const p of placed) {
      const launch = { ...p.launch, env: { ...p.launch.env, ...nodeRankEnv(p.slot, addr, port) } };
      this.hooks.launchOn(p.host, { trial: p.trial, launch }, p.grant);
    }
  }
}
