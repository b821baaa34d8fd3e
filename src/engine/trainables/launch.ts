/**
 * Turns a trainable spec and one trial's facts into what an executor starts:
 * argv, cwd and the TUNELAB_* environment of the report protocol
 * (docs/protocol.md). Pure except for the random report tag, which can be
 * injected.
 */
import { randomBytes } from "node:crypto";
import { delimiter, dirname, join, resolve } from "node:path";
import type { TrainableSpec } from "../config.ts";
import type { TrialLaunch } from "../executors/executor.ts";
import { pythonPackageDir } from "../paths.ts";
import type { TrialResources } from "../store/events.ts";

/** The fd on which a local trial writes its reports. */
export const REPORT_FD = 3;

export interface LaunchOptions {
  trainable: TrainableSpec;
  /** The path of tune.config.ts; a trainable's `cwd` is relative to its directory. */
  configPath: string;
  trialId: string;
  trialDir: string;
  expDir: string;
  /** The iteration the trial resumes at (0 when fresh). */
  iteration: number;
  /** Checkpoint directory to restore from, when resuming. */
  restore?: string;
  checkpointFrequency?: number;
  checkpointAtEnd?: boolean;
  resources: TrialResources;
  gpuIds: readonly number[];
  /** Which start of this trial this is (1 = first); shown in the logs. */
  attempt?: number;
  /** The environment PYTHONPATH is prepended to. Default: process.env. */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Fixed report tag, for tests. Default: a fresh random one. */
  reportTag?: string;
  /** Where the `tunelab` Python package is. Default: the bundled one. */
  pythonPackageDir?: string;
}

/** A fresh, unguessable stdout tag, so a trial's own output can never be mistaken for a report. */
export function newReportTag(): string {
  return `@tunelab:${randomBytes(5).toString("hex")}:`;
}

/** The file a trial reads its config from (the runner writes it before starting the trial). */
export const paramsPath = (trialDir: string): string => join(trialDir, "params.json");

function isPython(spec: TrainableSpec): spec is Extract<TrainableSpec, { python: string }> {
  return "python" in spec && typeof spec.python === "string";
}

/**
 * Argv for a trainable: a command as given, or the bundled Python runner for `module:attr`.
 * The interpreter is the config's, else TUNELAB_PYTHON (the VS Code extension sets it from the
 * selected Python environment), else `python3`.
 */
export function trainableArgv(spec: TrainableSpec, env: Readonly<Record<string, string | undefined>> = process.env): string[] {
  if (isPython(spec)) return [spec.interpreter ?? (env.TUNELAB_PYTHON || "python3"), "-m", "tunelab.run", spec.python];
  return [...spec.command];
}

/** Everything an executor needs to start one trial process. */
export function buildLaunch(opts: LaunchOptions): TrialLaunch {
  const spec = opts.trainable;
  const env: Record<string, string> = { ...spec.env };
  if (isPython(spec)) {
    const pkg = opts.pythonPackageDir ?? pythonPackageDir();
    const existing = spec.env?.PYTHONPATH ?? (opts.baseEnv ?? process.env).PYTHONPATH;
    env.PYTHONPATH = existing ? `${pkg}${delimiter}${existing}` : pkg;
  }
  // Protocol variables come last: a user's env must not be able to break the protocol.
  Object.assign(env, {
    TUNELAB_TRIAL_ID: opts.trialId,
    TUNELAB_TRIAL_DIR: opts.trialDir,
    TUNELAB_CONFIG: paramsPath(opts.trialDir),
    TUNELAB_ITERATION: String(opts.iteration),
    TUNELAB_EXPERIMENT_DIR: opts.expDir,
    TUNELAB_CHECKPOINT_FREQ: String(opts.checkpointFrequency ?? 0),
    TUNELAB_CHECKPOINT_AT_END: opts.checkpointAtEnd ? "1" : "0",
    TUNELAB_REPORT_TAG: opts.reportTag ?? newReportTag(),
    PYTHONUNBUFFERED: "1",
  });
  if (opts.restore !== undefined) env.TUNELAB_RESTORE = opts.restore;
  return {
    trialId: opts.trialId,
    argv: trainableArgv(spec, opts.baseEnv ?? process.env),
    cwd: resolve(dirname(opts.configPath), spec.cwd ?? "."),
    env,
    trialDir: opts.trialDir,
    resources: opts.resources,
    gpuIds: [...opts.gpuIds],
    ...(opts.attempt !== undefined ? { attempt: opts.attempt } : {}),
  };
}
