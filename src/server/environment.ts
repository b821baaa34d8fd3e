/**
 * What the validation rules may know about the machine, mirroring the runner's
 * capacityOf (src/engine/experiment.ts): the executor's cpus/gpus when the
 * config sets them, else this machine's. GPUs are asked of nvidia-smi once,
 * lazily and in the background; until then the GPU rule is skipped.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, isAbsolute, resolve } from "node:path";
import { isDynamic } from "../engine/space/diagnostics.ts";
import type { ValidationEnv } from "../engine/space/validate.ts";
import { isPlainObject } from "../engine/space/variants.ts";

export interface MachineFacts {
  /** GPUs set by the client (the `tunelab.gpus` setting); wins over detection. */
  gpusSetting?: number;
  /** GPUs nvidia-smi reported, once known. */
  gpusDetected?: number;
  cpus: number;
}

export const localMachine = (): MachineFacts => ({ cpus: availableParallelism() });

/** The ValidationEnv for `config` (evaluated, maybe partly DYNAMIC) at `configPath`. */
export function validationEnv(config: unknown, configPath: string | undefined, facts: MachineFacts): ValidationEnv {
  const env: ValidationEnv = {};
  const executor = isPlainObject(config) && !isDynamic(config) ? config.executor : undefined;
  const known = executor === undefined || (isPlainObject(executor) && !isDynamic(executor));
  const exec = isPlainObject(executor) ? executor : {};
  const cpus = exec.cpus === undefined ? facts.cpus : exec.cpus;
  const gpus = exec.gpus === undefined ? facts.gpusSetting ?? facts.gpusDetected : exec.gpus;
  if (known && typeof cpus === "number") env.cpus = cpus;
  if (known && typeof gpus === "number") env.gpus = gpus;
  if (configPath !== undefined) {
    const dir = dirname(configPath);
    env.fileExists = (p) => existsSync(isAbsolute(p) ? p : resolve(dir, p));
  }
  return env;
}
