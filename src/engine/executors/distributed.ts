/**
 * Distributed trials (`resources.workers: N`): one trial is N processes
 * started through any executor, with the rendezvous environment torchrun sets
 * (MASTER_ADDR, MASTER_PORT, RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE).
 * Only rank 0's reports reach the runner; the trial ends when every rank has
 * ended, and the first rank that fails stops the others.
 */
import { createServer } from "node:net";
import { join } from "node:path";
import type { Executor, ReattachOptions, RunningTrial, TrialEvents, TrialExit, TrialHandle, TrialLaunch } from "./executor.ts";
import type { RemoteCheckpointRef } from "../store/checkpoints.ts";
import type { TrialResources } from "../store/events.ts";

export interface DistributedOptions {
  workers: number;
  /** Rank 0's address as the other ranks see it. Default 127.0.0.1 (every rank on one machine). */
  masterAddr?: string;
  /** Picks MASTER_PORT; default: a free port on this machine. */
  pickPort?: () => Promise<number>;
  /** How long the other ranks get to stop after one failed. Default 2000 ms. */
  graceMs?: number;
}

/** A free TCP port on this machine (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address();
      server.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/** Where one rank runs in a multi-machine trial, as torchrun numbers it. */
export interface RankSlot {
  rank: number;
  world: number;
  /** Index of the rank's machine among the trial's machines (rank 0's is 0). */
  nodeRank: number;
  localRank: number;
  /** Ranks on the same machine. */
  localWorld: number;
}

/** The environment of one rank of a trial spread over machines; `masterAddr` as the other machines reach rank 0's. */
export function nodeRankEnv(slot: RankSlot, masterAddr: string, masterPort: number): Record<string, string> {
  return {
    MASTER_ADDR: masterAddr, MASTER_PORT: String(masterPort), RANK: String(slot.rank), LOCAL_RANK: String(slot.localRank),
    WORLD_SIZE: String(slot.world), LOCAL_WORLD_SIZE: String(slot.localWorld), NODE_RANK: String(slot.nodeRank), GROUP_RANK: String(slot.nodeRank),
  };
}

/**
 * torchrun's numbering of `world` ranks placed as `perNode[i]` ranks on machine i, in order:
 * ranks are contiguous per machine, so rank 0 is on machine 0.
 */
export function rankSlots(perNode: readonly number[]): RankSlot[] {
  const world = perNode.reduce((a, b) => a + b, 0);
  const slots: RankSlot[] = [];
  perNode.forEach((n, nodeRank) => {
    for (let localRank = 0; localRank < n; localRank++) slots.push({ rank: slots.length, world, nodeRank, localRank, localWorld: n });
  });
  return slots;
}

/** The environment of rank `rank` of `world` processes. */
export function rankEnv(rank: number, world: number, masterAddr: string, masterPort: number): Record<string, string> {
  return {
    MASTER_ADDR: masterAddr, MASTER_PORT: String(masterPort), RANK: String(rank), LOCAL_RANK: String(rank),
    WORLD_SIZE: String(world), LOCAL_WORLD_SIZE: String(world), GROUP_RANK: "0",
  };
}

/**
 * GPU ids of one rank: the runner accounts a trial as one worker's share of a pool
 * divided by `workers`, so its grant `g` stands for devices g*workers .. g*workers+workers-1.
 */
export function rankGpuIds(gpuIds: readonly number[], workers: number, rank: number): number[] {
  return gpuIds.map((g) => g * workers + rank);
}

/** Capacity as the runner must see it when each trial is `workers` processes. */
export function perTrialCapacity(capacity: { cpus: number; gpus: number }, workers: number): { cpus: number; gpus: number } {
  return { cpus: capacity.cpus / workers, gpus: Math.floor(capacity.gpus / workers) };
}

/** Where every rank of a distributed trial runs (their executor's handles, by rank), journaled to re-attach. */
export interface DistributedHandle extends TrialHandle {
  kind: "distributed";
  ranks: TrialHandle[];
}

export function isDistributedHandle(h: TrialHandle): h is DistributedHandle {
  return h.kind === "distributed" && Array.isArray(h.ranks) && h.ranks.every((r) => typeof r === "object" && r !== null && typeof (r as TrialHandle).kind === "string");
}

class DistributedTrial implements RunningTrial {
  readonly pid: number | undefined = undefined;
  handle: DistributedHandle | undefined;
  /** Every rank's handle once all started (undefined when one never did, or the executor gives none). */
  readonly started: Promise<DistributedHandle | undefined>;
  /** False when a rank could not be re-attached: the runner starts the trial anew and hears nothing of this one. */
  attached = true;
  private resolveStarted!: (h: DistributedHandle | undefined) => void;
  private readonly ranks: (RunningTrial | undefined)[] = [];
  private readonly exits: (TrialExit | undefined)[];
  private failed: { rank: number; exit: TrialExit } | undefined;
  private stopping = false;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    private readonly inner: Executor, private readonly launch: TrialLaunch, private readonly events: TrialEvents, private readonly opts: DistributedOptions,
    reattach?: { handle: DistributedHandle; reportsSeen: number },
  ) {
    this.exits = Array.from({ length: opts.workers }, () => undefined);
    this.done = new Promise((r) => (this.resolveDone = r));
    this.started = new Promise((r) => (this.resolveStarted = r));
    if (reattach) this.reattach(reattach.handle, reattach.reportsSeen);
    else void this.begin();
  }

  stop(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const r of this.ranks) void r?.stop(graceMs);
    return this.done;
  }

  private async begin(): Promise<void> {
    const { workers } = this.opts;
    if (this.inner.startRanks) return this.beginPlaced();
    let port: number;
    try {
      port = await (this.opts.pickPort ?? freePort)();
    } catch (e) {
      this.resolveStarted(undefined);
      return this.finish({ code: null, signal: null, stderrTail: `tunelab: no free port for trial ${this.launch.trialId}'s rendezvous: ${String(e)}` });
    }
    for (let rank = 0; rank < workers; rank++) {
      const launch = this.rankLaunch(rank, rankEnv(rank, workers, this.opts.masterAddr ?? "127.0.0.1", port));
      this.ranks.push(this.inner.start(launch, this.rankEvents(rank)));
      if (this.stopping) void this.ranks[rank]!.stop(0);
    }
    this.collectHandles();
  }

  /** The executor places the ranks (possibly over several hosts) and sets their rendezvous itself. */
  private beginPlaced(): void {
    const launches: TrialLaunch[] = [];
    const events: TrialEvents[] = [];
    for (let rank = 0; rank < this.opts.workers; rank++) {
      launches.push(this.rankLaunch(rank));
      events.push(this.rankEvents(rank));
    }
    this.ranks.push(...this.inner.startRanks!(launches, events));
    if (this.stopping) for (const r of this.ranks) void r?.stop(0);
    this.collectHandles();
  }

  /**
   * Takes over the ranks a previous runner started: rank 0 skips the `reportsSeen` reports
   * already journaled (the other ranks' reports are not the trial's anyway). When one rank
   * cannot be re-attached, those that were are stopped and the trial is not re-attached.
   */
  private reattach(handle: DistributedHandle, reportsSeen: number): void {
    for (let rank = 0; rank < this.opts.workers; rank++) {
      const r = this.inner.reattach!(this.rankLaunch(rank), handle.ranks[rank]!, this.rankEvents(rank), { reportsSeen: rank === 0 ? reportsSeen : 0 });
      if (!r) {
        this.attached = false;
        this.stopping = true;
        for (const other of this.ranks) void other?.stop(0);
        this.resolveStarted(undefined);
        return;
      }
      this.ranks.push(r);
    }
    this.handle = handle;
    this.resolveStarted(handle);
  }

  /** Rank `rank`'s launch: rank 0 logs where a plain trial does, the others beside it, one dir each. */
  private rankLaunch(rank: number, env?: Record<string, string>): TrialLaunch {
    return {
      ...this.launch,
      ...(env ? { env: { ...this.launch.env, ...env } } : {}),
      trialDir: rank === 0 ? this.launch.trialDir : join(this.launch.trialDir, `rank-${rank}`),
      gpuIds: rankGpuIds(this.launch.gpuIds, this.opts.workers, rank),
    };
  }

  /** The trial's handle once every rank's executor named where it runs (none when one never started). */
  private collectHandles(): void {
    if (!this.inner.reattach) return this.resolveStarted(undefined);
    void Promise.all(this.ranks.map((r) => r?.handle ?? r?.started ?? undefined)).then((hs) => {
      const ranks = hs.filter((h): h is TrialHandle => h !== undefined);
      if (ranks.length !== this.opts.workers) return this.resolveStarted(undefined);
      this.handle = { kind: "distributed", ranks };
      this.resolveStarted(this.handle);
    }, () => this.resolveStarted(undefined));
  }

  private rankEvents(rank: number): TrialEvents {
    return {
      onReport: (m) => rank === 0 && this.events.onReport(m),
      onProtocolError: (m) => rank === 0 && this.events.onProtocolError(m),
      onExit: (e) => this.onRankExit(rank, e),
    };
  }

  private onRankExit(rank: number, exit: TrialExit): void {
    this.exits[rank] = exit;
    const bad = exit.code !== 0 || exit.signal !== null;
    if (bad && !this.failed && !this.stopping) {
      this.failed = { rank, exit };
      for (const r of this.ranks) void r?.stop(this.opts.graceMs ?? 2000);
    }
    if (this.exits.every((e) => e !== undefined)) {
      const f = this.failed;
      // A rank whose host was lost makes the whole trial retryable, even when a peer noticed first.
      const lost = this.exits.some((e) => e?.retryable) ? { retryable: true } : {};
      this.finish(f ? { ...f.exit, ...lost, stderrTail: `rank ${f.rank} of ${this.opts.workers} failed:\n${f.exit.stderrTail}` } : this.exits[0]!);
    }
  }

  private finish(exit: TrialExit): void {
    this.resolveStarted(undefined);
    if (!this.attached) return this.resolveDone();
    this.events.onExit(exit);
    this.resolveDone();
  }
}

/** Runs every trial as `workers` ranks on `inner`. */
export class DistributedExecutor implements Executor {
  readonly kind: string;

  constructor(private readonly inner: Executor, private readonly opts: DistributedOptions) {
    if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new Error(`resources.workers must be a whole number ≥ 1, got ${opts.workers}`);
    this.kind = inner.kind ?? "local";
  }

  start(launch: TrialLaunch, events: TrialEvents): RunningTrial {
    return new DistributedTrial(this.inner, launch, events, this.opts);
  }

  /** Re-attaches every rank through the inner executor (ssh); undefined when it cannot take one of them. */
  reattach(launch: TrialLaunch, handle: TrialHandle, events: TrialEvents, opts: ReattachOptions): RunningTrial | undefined {
    if (!this.inner.reattach || !isDistributedHandle(handle) || handle.ranks.length !== this.opts.workers) return undefined;
    const trial = new DistributedTrial(this.inner, launch, events, this.opts, { handle, reportsSeen: opts.reportsSeen });
    return trial.attached ? trial : undefined;
  }

  /** All ranks must fit at once (over several hosts where the executor spreads them). */
  canPlace(resources: TrialResources): boolean {
    return this.inner.canPlaceRanks?.(resources, this.opts.workers) ?? this.inner.canPlace?.(resources) ?? true;
  }

  close(graceMs: number): Promise<void> {
    return this.inner.close(graceMs);
  }

  /** Rank 0's checkpoints are the trial's: retention deletes them where they are (ssh). */
  removeRemoteCheckpoint(ref: RemoteCheckpointRef): void {
    this.inner.removeRemoteCheckpoint?.(ref);
  }

  /** Rank 0's checkpoints are the trial's: reachable where the inner executor says. */
  unreachableCheckpoint(localDir: string): string | undefined {
    return this.inner.unreachableCheckpoint?.(localDir);
  }

  /** SIGKILLs local ranks now (runner exit hook); remote ranks are left to their executor. */
  killAllSync(): void {
    (this.inner as { killAllSync?: () => void }).killAllSync?.();
  }
}
