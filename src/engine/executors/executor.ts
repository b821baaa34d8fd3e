/**
 * Where trials run. The runner decides what runs; an executor only starts
 * processes, relays what they report and says when they end.
 */
import type { TrialResources } from "../store/events.ts";

export interface TrialLaunch {
  trialId: string;
  /** Program and arguments; never a shell string. */
  argv: readonly string[];
  cwd: string;
  /** Added over the runner's own environment. */
  env: Readonly<Record<string, string>>;
  /** stdout.log and stderr.log go here. */
  trialDir: string;
  resources: TrialResources;
  /** GPU indices given to this trial (becomes CUDA_VISIBLE_DEVICES). */
  gpuIds: readonly number[];
  /** Which start of this trial this is (1 = first); marks retries in the logs. */
  attempt?: number;
}

/** One message a trial sent on its report channel (docs/protocol.md). */
export interface ReportMessage {
  result: Record<string, unknown>;
  /** A directory the trial wrote; the runner moves it into the trial dir. */
  checkpoint?: string;
}

export interface TrialExit {
  code: number | null;
  signal: string | null;
  /** The last lines of stderr, for error.txt and the user's error message. */
  stderrTail: string;
}

export interface TrialEvents {
  onReport(message: ReportMessage): void;
  /** A report line could not be understood (not JSON, NaN, too long, wrong shape). */
  onProtocolError(message: string): void;
  /** Called exactly once, after every onReport of this process. */
  onExit(exit: TrialExit): void;
}

export interface RunningTrial {
  readonly pid: number | undefined;
  /** SIGTERM the trial's whole process group, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs: number): Promise<void>;
}

export interface Executor {
  start(launch: TrialLaunch, events: TrialEvents): RunningTrial;
  /** Stop everything still running. */
  close(graceMs: number): Promise<void>;
}
