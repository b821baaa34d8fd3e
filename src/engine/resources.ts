/**
 * CPU/GPU accounting for the local executor: which trials fit now, and which
 * GPUs they get. Fractions of a GPU share one device (Ray Tune's
 * `gpu: 0.5` = two trials per GPU); whole GPUs get whole free devices.
 */
import { availableParallelism } from "node:os";
import { execa } from "execa";
import type { TrialResources } from "./store/events.ts";

// Float error from adding and removing fractions (0.1 + 0.2 ...) must not
// make a request that should fit look one ulp too big.
const EPS = 1e-9;

/** What a trial was given; give it back with `release(request, grant.gpuIds)`. */
export interface Grant {
  cpu: number;
  gpu: number;
  /** The devices used, in order (becomes CUDA_VISIBLE_DEVICES). */
  gpuIds: number[];
}

function snap(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - r) < EPS ? r : x;
}

/** Why a request can never fit this pool, or undefined when it can. */
export function requestProblem(req: TrialResources, cpus: number, gpus: number): string | undefined {
  const { cpu, gpu } = req;
  if (!Number.isFinite(cpu) || cpu < 0) return `resources.cpu must be a number ≥ 0, got ${cpu}`;
  if (!Number.isFinite(gpu) || gpu < 0) return `resources.gpu must be a number ≥ 0, got ${gpu}`;
  if (gpu > 1 + EPS && Math.abs(gpu - Math.round(gpu)) > EPS) {
    return `resources.gpu is ${gpu}: more than one GPU must be a whole number (fractions share a single GPU)`;
  }
  if (cpu > cpus + EPS) return `a trial needs ${cpu} CPUs but the executor has ${cpus}; lower resources.cpu or raise executor.cpus`;
  if (gpu > gpus + EPS) {
    return `a trial needs ${gpu} GPU(s) but the executor has ${gpus}; lower resources.gpu or set executor.gpus (or TUNELAB_GPUS)`;
  }
  return undefined;
}

/** A fixed set of CPUs and GPUs handed out to trials and given back. */
export class ResourcePool {
  private freeCpu: number;
  /** Free capacity of each GPU, 0..1. */
  private readonly freeGpu: number[];

  constructor(
    readonly cpus: number,
    readonly gpus: number,
  ) {
    this.freeCpu = cpus;
    this.freeGpu = Array.from({ length: Math.max(0, Math.floor(gpus)) }, () => 1);
  }

  /** Why `req` can never fit this pool, or undefined. */
  problem(req: TrialResources): string | undefined {
    return requestProblem(req, this.cpus, this.freeGpu.length);
  }

  /** Takes the resources if they are free now; null when they are not (or never can be: see `problem`). */
  tryAcquire(req: TrialResources): Grant | null {
    if (this.problem(req) !== undefined) return null;
    if (req.cpu > this.freeCpu + EPS) return null;
    const gpuIds = this.pickGpus(req.gpu);
    if (!gpuIds) return null;
    this.freeCpu = snap(this.freeCpu - req.cpu);
    const share = req.gpu < 1 - EPS ? req.gpu : 1;
    for (const id of gpuIds) this.freeGpu[id] = snap((this.freeGpu[id] ?? 0) - share);
    return { cpu: req.cpu, gpu: req.gpu, gpuIds };
  }

  /** Gives back what `tryAcquire(req)` granted on `gpuIds`. */
  release(req: TrialResources, gpuIds: readonly number[]): void {
    this.freeCpu = Math.min(this.cpus, snap(this.freeCpu + req.cpu));
    const share = req.gpu < 1 - EPS ? req.gpu : 1;
    for (const id of gpuIds) this.freeGpu[id] = Math.min(1, snap((this.freeGpu[id] ?? 0) + share));
  }

  /** Free CPUs and per-GPU free capacity, for status displays and tests. */
  free(): { cpu: number; gpus: number[] } {
    return { cpu: this.freeCpu, gpus: [...this.freeGpu] };
  }

  private pickGpus(gpu: number): number[] | undefined {
    if (gpu <= EPS) return [];
    if (gpu < 1 - EPS) {
      // First fit: fractions pack onto the lowest GPU with room.
      const id = this.freeGpu.findIndex((free) => free + EPS >= gpu);
      return id === -1 ? undefined : [id];
    }
    const whole = Math.round(gpu);
    const ids: number[] = [];
    this.freeGpu.forEach((free, id) => {
      if (ids.length < whole && free >= 1 - EPS) ids.push(id);
    });
    return ids.length === whole ? ids : undefined;
  }
}

/** This machine's CPU count. */
export const detectCpus = (): number => availableParallelism();

export interface DetectGpuOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** The program to ask; default `nvidia-smi`. */
  nvidiaSmi?: string;
}

/** How many GPUs this machine has: `TUNELAB_GPUS` if set, else what nvidia-smi lists, else 0. */
export async function detectGpus(opts: DetectGpuOptions = {}): Promise<number> {
  const override = (opts.env ?? process.env).TUNELAB_GPUS;
  if (override !== undefined && override.trim() !== "") {
    const n = Number(override);
    if (!Number.isInteger(n) || n < 0) {
      throw new Error(`TUNELAB_GPUS must be a whole number ≥ 0 (how many GPUs to use), got "${override}"`);
    }
    return n;
  }
  try {
    const r = await execa(opts.nvidiaSmi ?? "nvidia-smi", ["--query-gpu=index", "--format=csv,noheader"], {
      reject: false,
      timeout: 10_000,
    });
    if (r.failed || r.exitCode !== 0) return 0;
    return String(r.stdout)
      .split("\n")
      .filter((l) => /^\s*\d+\s*$/.test(l)).length;
  } catch {
    // No driver, no binary, or a hung nvidia-smi: schedule on CPUs only.
    return 0;
  }
}
