/**
 * Where trials run. The runner decides what runs; an executor only starts
 * processes, relays what they report and says when they end.
 *
 * The core (`start`, `close`) is all the local executors implement. Remote
 * executors (ssh, slurm) add the optional members below; the runner checks for
 * them before use, so every addition is backward compatible. See docs/executors.md.
 */
import type { TrialResources } from "../store/events.ts";
import type { RemoteCheckpointRef } from "../store/checkpoints.ts";

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
  /**
   * The trial did not fail by itself: its host went away, its job was
   * preempted or cancelled from outside. A retry elsewhere is the right answer.
   */
  retryable?: boolean;
}

export interface TrialEvents {
  onReport(message: ReportMessage): void;
  /** A report line could not be understood (not JSON, NaN, too long, wrong shape). */
  onProtocolError(message: string): void;
  /** Called exactly once, after every onReport of this process. */
  onExit(exit: TrialExit): void;
}

/**
 * What an executor needs to find a trial again after the runner restarted: a
 * JSON object the runner journals with the trial's `start` event and hands back
 * to `reattach`. Its fields are the executor's business; `kind` says whose.
 */
export interface TrialHandle {
  /** The executor kind that made it ("ssh", "slurm", ...). */
  kind: string;
  [field: string]: unknown;
}

export interface RunningTrial {
  readonly pid: number | undefined;
  /**
   * Set once the trial really started somewhere (may be after `start` returned,
   * e.g. when the remote side answered); journal it to allow `reattach`.
   * Undefined for executors that cannot re-attach (local).
   */
  readonly handle?: TrialHandle | undefined;
  /** Resolves with the handle once known (undefined if the start failed); absent = never has one. */
  readonly started?: Promise<TrialHandle | undefined>;
  /** SIGTERM the trial's whole process group, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs: number): Promise<void>;
}

/** A trial's state as a batched poll sees it. */
export type TrialState =
  | { state: "running" }
  | { state: "exited"; code: number | null; signal: string | null }
  /** Its host or job vanished; nothing more will come. */
  | { state: "lost"; reason: string }
  /** The executor cannot tell now (host unreachable); ask again later. */
  | { state: "unknown"; reason: string };

export interface ReattachOptions {
  /** Report lines of this attempt already delivered (acknowledged) before the restart: they are skipped. */
  reportsSeen: number;
}

/** Where trials can be placed, for a runner that asks (remote executors with several hosts). */
export interface ExecutorCapacity {
  cpus: number;
  gpus: number;
  /** Per host, when the executor places trials on several machines. */
  hosts?: readonly { name: string; cpus: number; gpus: number }[];
}

export interface Executor {
  start(launch: TrialLaunch, events: TrialEvents): RunningTrial;
  /** Stop everything still running. */
  close(graceMs: number): Promise<void>;

  // ---- optional: remote executors -------------------------------------------------
  /** "local", "ssh", "slurm", ... (absent = local). */
  readonly kind?: string;
  /** What this executor can run at once; the runner sizes its ResourcePool from it when present. */
  capacity?(): ExecutorCapacity;
  /**
   * Whether `resources` could be placed right now (a single host must fit it). A runner
   * that asks before `start` never hands over a trial that would wait for a host.
   */
  canPlace?(resources: TrialResources): boolean;
  /**
   * Takes over a trial that a previous runner started (found by its journaled
   * handle): results after `reportsSeen` are delivered, then onExit. Returns
   * undefined when the handle is not this executor's.
   */
  reattach?(launch: TrialLaunch, handle: TrialHandle, events: TrialEvents, opts: ReattachOptions): RunningTrial | undefined;
  /** The state of many trials in one round trip per host (one `squeue`, one ssh command). */
  poll?(handles: readonly TrialHandle[]): Promise<TrialState[]>;
  /** Copies a checkpoint directory the trial wrote where it ran (`path`, as reported) to the local `dest`. */
  fetchCheckpoint?(handle: TrialHandle, path: string, dest: string): Promise<void>;
  /**
   * Deletes a checkpoint that stayed on its host (retention dropped its local placeholder,
   * store/checkpoints.ts). Fire and forget: a host that cannot be reached keeps the files.
   */
  removeRemoteCheckpoint?(ref: RemoteCheckpointRef): void;
  /**
   * Why a restore from the local checkpoint dir `localDir` is impossible now (its files stay on
   * a host that is lost, or not in the config), or undefined when it can be restored. The runner
   * restarts a trial from its newest checkpoint this does not reject (from scratch when none).
   */
  unreachableCheckpoint?(localDir: string): string | undefined;
  /** Copies the trial's stdout.log and stderr.log into `dest` (a local dir). */
  fetchLogs?(handle: TrialHandle, dest: string): Promise<void>;
  /**
   * Starts the ranks of one distributed trial (`launches[r]` is rank r, without the rendezvous
   * variables) all at once or not at all, on one host or spread over several; the executor sets
   * MASTER_ADDR, MASTER_PORT, RANK, LOCAL_RANK, NODE_RANK, WORLD_SIZE as torchrun does.
   * `events[r]` hears rank r; each returned RunningTrial is one rank.
   */
  startRanks?(launches: readonly TrialLaunch[], events: readonly TrialEvents[]): RunningTrial[];
  /** Whether `workers` ranks of `resources` each could be placed right now, over all hosts together. */
  canPlaceRanks?(resources: TrialResources, workers: number): boolean;
  /** Lets go of every connection without stopping remote trials (the runner is exiting to be resumed). */
  detach?(): Promise<void>;
}
