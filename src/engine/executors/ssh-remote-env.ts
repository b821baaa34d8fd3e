/**
 * A local launch (argv, cwd, env) as it runs on an ssh host: paths under the synced folder
 * point into `<workdir>/code`, the bundled tunelab package into `<workdir>/python`, and the
 * trial's dirs and GPUs are the host's.
 */
import { dirname, relative } from "node:path";
import type { SshHostSpec } from "../config.ts";
import { pythonPackageDir } from "../paths.ts";
import type { Grant } from "../resources.ts";
import type { TrialLaunch } from "./executor.ts";

/** A local path under the synced folder `syncRoot`, as it is on the host. Throws (not retryable) for a path outside it. */
export function remotePath(syncRoot: string, local: string, workdir: string): string {
  const rel = relative(syncRoot, local);
  if (rel.startsWith("..")) throw Object.assign(new Error(`${local} is outside the folder synced to the ssh hosts (${syncRoot}); keep trainable.cwd inside the config's folder`), { retryable: false });
  return rel === "" ? `${workdir}/code` : `${workdir}/code/${rel}`;
}

/** The argv on the host: synced paths moved, and `python` replaced by the host's interpreter when it names one. */
export function remoteArgv(syncRoot: string, spec: SshHostSpec, argv: readonly string[], workdir: string): string[] {
  const out = argv.map((a) => (a.startsWith(`${syncRoot}/`) ? remotePath(syncRoot, a, workdir) : a));
  if (spec.python && /^python[\d.]*$/.test(out[0] ?? "")) out[0] = spec.python;
  return out;
}

/** The trial's environment on the host: its attempt dir `dir`, its restore dir there, the host's GPU ids. */
export function remoteEnv(spec: SshHostSpec, launch: TrialLaunch, workdir: string, dir: string, grant: Grant, restore: string | undefined): Record<string, string> {
  const localPy = pythonPackageDir();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(launch.env)) env[k] = v.split(":").map((part) => (part === localPy ? `${workdir}/python` : part)).join(":");
  Object.assign(env, {
    TUNELAB_TRIAL_DIR: dir,
    TUNELAB_CONFIG: `${dir}/params.json`,
    TUNELAB_EXPERIMENT_DIR: dirname(dirname(dir)),
    TUNELAB_REPORT_FD: "3",
  });
  if (restore) env.TUNELAB_RESTORE = restore;
  if (grant.gpuIds.length > 0) env.CUDA_VISIBLE_DEVICES = grant.gpuIds.join(",");
  else if ((spec.gpus ?? 0) > 0) env.CUDA_VISIBLE_DEVICES = "";
  return env;
}
