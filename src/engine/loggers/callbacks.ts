/**
 * User callbacks from `tune.config.ts` (`callbacks: [{ onTrialResult, ... }]`)
 * adapted to the runner's callbacks. A user callback sees frozen copies, so
 * it cannot change the runner's trials or results; what it throws is reported
 * (once per callback and hook) and never stops the experiment. Async
 * callbacks are not awaited: the runner never waits on user code, and a
 * rejected promise is reported like a throw; `settled()` lets the CLI wait
 * for the last ones before it exits.
 */
import type { RunnerCallbacks, RunSummary } from "../runner.ts";
import type { Result, TrialConfig, TrialStatus, TrialView } from "../interfaces.ts";

/** A trial as a user callback sees it: a deep-frozen copy taken when the hook fired. */
export interface TrialSnapshot {
  readonly id: string;
  readonly config: Readonly<TrialConfig>;
  readonly status: TrialStatus;
  readonly iteration: number;
  readonly lastResult: Readonly<Result> | undefined;
  /** 1 for the first run of the trial, 2 for its first retry, ... */
  readonly attempt: number;
  /** Why the trial failed, when it did. */
  readonly error?: string;
}

export interface ExperimentSummary {
  readonly outcome: RunSummary["outcome"];
  readonly message?: string;
  readonly expDir: string;
  readonly errored: number;
  readonly trials: readonly TrialSnapshot[];
}

type MaybePromise = void | Promise<void>;

/** Hooks a config's `callbacks` entries may define; each is optional and may be async. */
export interface TuneCallback {
  /** A trial's process started (again, after a pause or a failure: see `attempt`). */
  onTrialStart?(trial: TrialSnapshot): MaybePromise;
  /** A trial reported a result (with the auto-filled fields such as `training_iteration`). */
  onTrialResult?(trial: TrialSnapshot, result: Readonly<Result>): MaybePromise;
  /** A trial finished: TERMINATED, or ERROR with no retries left. */
  onTrialComplete?(trial: TrialSnapshot): MaybePromise;
  /** A trial failed with no retries left (called before `onTrialComplete`). */
  onTrialError?(trial: TrialSnapshot, error: string): MaybePromise;
  /** The experiment ended (completed, stopped, out of time or in error). */
  onExperimentEnd?(summary: ExperimentSummary): MaybePromise;
}

type Hook = keyof TuneCallback;

/** Runner callbacks that call `callbacks` in order, plus `settled()` for their pending async work. */
export function fromUserCallbacks(
  callbacks: readonly TuneCallback[],
  log: (message: string) => void,
): RunnerCallbacks & { settled(): Promise<void> } {
  const pending = new Set<Promise<unknown>>();
  const failures = new Map<string, number>();

  const report = (index: number, hook: Hook, error: unknown, trialId: string | undefined): void => {
    const key = `${index}.${hook}`;
    const count = (failures.get(key) ?? 0) + 1;
    failures.set(key, count);
    if (count > 1) return;
    const text = error instanceof Error ? error.message : String(error);
    log(`callbacks[${index}].${hook} failed${trialId ? ` on trial ${trialId}` : ""}: ${text} ` +
      `(the experiment goes on; later failures of this hook are counted, not shown)`);
  };

  const call = <H extends Hook>(hook: H, trialId: string | undefined, args: Parameters<NonNullable<TuneCallback[H]>>): void => {
    callbacks.forEach((cb, index) => {
      const fn = cb[hook] as ((...a: unknown[]) => MaybePromise) | undefined;
      if (typeof fn !== "function") return;
      let out: MaybePromise;
      try {
        out = fn.apply(cb, args);
      } catch (error) {
        report(index, hook, error, trialId);
        return;
      }
      if (out && typeof (out as Promise<void>).then === "function") {
        const p = Promise.resolve(out).catch((error: unknown) => report(index, hook, error, trialId));
        pending.add(p);
        void p.finally(() => pending.delete(p));
      }
    });
  };

  const wants = (hook: Hook): boolean => callbacks.some((cb) => typeof cb[hook] === "function");

  return {
    onTrialStart(trial) {
      if (wants("onTrialStart")) call("onTrialStart", trial.id, [snapshot(trial)]);
    },
    onTrialResult(trial, result) {
      // One frozen copy shared by every callback: the runner's result goes on to the journal and the files.
      if (wants("onTrialResult")) call("onTrialResult", trial.id, [snapshot(trial), frozenCopy(result)]);
    },
    onTrialEnd(trial, status, detail) {
      if (status !== "TERMINATED" && status !== "ERROR") return; // PAUSED and RETRY: the trial goes on
      const snap = snapshot(trial, status === "ERROR" ? detail : undefined);
      if (status === "ERROR") call("onTrialError", trial.id, [snap, detail ?? "unknown error"]);
      call("onTrialComplete", trial.id, [snap]);
    },
    onExperimentEnd(summary) {
      if (wants("onExperimentEnd")) {
        call("onExperimentEnd", undefined, [deepFreeze({
          outcome: summary.outcome, expDir: summary.expDir, errored: summary.errored,
          ...(summary.message !== undefined ? { message: summary.message } : {}),
          trials: summary.trials.map((t) => snapshot(t)),
        })]);
      }
      for (const [key, count] of failures) {
        if (count > 1) log(`callbacks[${key.replace(".", "].")} failed ${count} times in all`);
      }
    },
    async settled() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
  };
}

/** A deep-frozen copy of what a user may see of a trial. */
export function snapshot(trial: TrialView, error?: string): TrialSnapshot {
  const attempts = (trial as { attempts?: unknown }).attempts;
  const known = error ?? (trial as { error?: unknown }).error;
  return deepFreeze({
    id: trial.id,
    config: frozenCopy(trial.config),
    status: trial.status,
    iteration: trial.iteration,
    lastResult: trial.lastResult === undefined ? undefined : frozenCopy(trial.lastResult),
    attempt: typeof attempts === "number" ? attempts : 1,
    ...(typeof known === "string" && trial.status === "ERROR" ? { error: known } : {}),
  });
}

/** A deep-frozen copy; values structuredClone refuses (functions in a config) are dropped by a JSON round trip instead of throwing into the runner. */
function frozenCopy<T>(value: T): T {
  let copy: T;
  try {
    copy = structuredClone(value);
  } catch {
    copy = JSON.parse(JSON.stringify(value) ?? "null") as T;
  }
  return deepFreeze(copy);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
