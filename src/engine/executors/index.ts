/**
 * Picks the executor from `config.executor.kind`, and the capacity the runner
 * should schedule with. The CLI and the library API both start runs through here.
 */
import { dirname, isAbsolute, resolve } from "node:path";
import type { TuneConfig } from "../config.ts";
import type { Executor } from "./executor.ts";
import { DistributedExecutor, perTrialCapacity } from "./distributed.ts";
import { RoutingExecutor } from "./routing.ts";
import { SshExecutor } from "./ssh.ts";
import { SLURM_CAPACITY, slurmExecutorFromSpec } from "./slurm.ts";

export interface CreatedExecutor {
  executor: Executor & { killAllSync(): void };
  /** What the runner's ResourcePool should hold (remote hosts summed; divided by resources.workers). */
  capacity: { cpus: number; gpus: number };
}

export interface CreateExecutorOptions {
  /** tune.config.ts: its folder is what the ssh executor syncs to each host. */
  configPath?: string;
}

/** The executor for this config; `capacity` is the local machine's (prepared.capacity). */
export function createExecutor(config: TuneConfig, capacity: { cpus: number; gpus: number }, opts: CreateExecutorOptions = {}): CreatedExecutor {
  const spec = config.executor;
  let executor: Executor & { killAllSync(): void };
  let cap = capacity;
  if (spec?.kind === "ssh") {
    const configDir = dirname(opts.configPath ?? `${process.cwd()}/tune.config.ts`);
    const ssh = new SshExecutor({
      hosts: spec.hosts, syncRoot: configDir,
      ...(spec.sync ? { sync: spec.sync } : {}), ...(spec.sshConfig ? { sshConfig: sshConfigPath(spec.sshConfig, configDir) } : {}),
      ...(spec.hostLostMs !== undefined ? { hostLostMs: spec.hostLostMs } : {}),
      ...(spec.checkpoints ? { checkpoints: spec.checkpoints } : {}),
    });
    // Remote trials are detached on their hosts: nothing to kill synchronously at exit.
    executor = Object.assign(ssh, { killAllSync: () => undefined });
    const c = ssh.capacity();
    cap = { cpus: c.cpus, gpus: c.gpus };
  } else if (spec?.kind === "slurm") {
    const slurm = slurmExecutorFromSpec(spec, dirname(opts.configPath ?? `${process.cwd()}/tune.config.ts`),
      config.resources?.workers ? { workers: config.resources.workers } : {});
    // Jobs live on the cluster: nothing to kill synchronously when the runner exits.
    executor = Object.assign(slurm, { killAllSync: () => undefined });
    cap = { cpus: SLURM_CAPACITY.cpus, gpus: SLURM_CAPACITY.gpus };
  } else {
    executor = new RoutingExecutor({ machineGpus: capacity.gpus, reuseWorkers: config.reuseWorkers ?? true });
  }
  const workers = config.resources?.workers ?? 1;
  // Slurm starts a distributed trial's workers itself (srun --ntasks).
  if (workers > 1 && spec?.kind !== "slurm") {
    executor = new DistributedExecutor(executor, { workers });
    cap = perTrialCapacity(cap, workers);
  }
  return { executor, capacity: cap };
}

/** `executor.sshConfig` as ssh -F gets it: a relative path is from the config's folder (as `storage` and `sharedDir` are), `~/` stays for ssh. */
export function sshConfigPath(sshConfig: string, configDir: string): string {
  return isAbsolute(sshConfig) || sshConfig.startsWith("~") ? sshConfig : resolve(configDir, sshConfig);
}
