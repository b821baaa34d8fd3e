/**
 * The per-trial loggers a config asks for (`loggers: ["json", "csv",
 * "tensorboard"]`), behind one object with the shape of the trial-files
 * writers, so the runner opens, appends, flushes and closes them all from
 * the same places.
 */
import { isAbsolute, join } from "node:path";
import type { Result } from "../interfaces.ts";
import { TensorBoardWriters, type TensorBoardOptions, type TrialEnding } from "./tensorboard.ts";

export type LoggerKind = "json" | "csv" | "tensorboard";

export const LOGGER_KINDS: readonly LoggerKind[] = ["json", "csv", "tensorboard"];

/** What a config gets without a `loggers` key: every logger, as Ray Tune's defaults. */
export const DEFAULT_LOGGERS: readonly LoggerKind[] = LOGGER_KINDS;

/** The shape shared by the trial-files writers (store/trial-files.ts) and the loggers here. */
export interface TrialLogger {
  /** `previous`: a resumed trial's journaled results, for writers that rebuild their files from them. */
  open(id: string, trialDir: string, previous?: readonly Result[]): unknown;
  append(id: string, result: Result, json?: string): void;
  flushAll(): void;
  /** `ending` is given once, when the trial is finished (TERMINATED or ERROR). */
  close(id: string, ending?: TrialEnding & { trialDir?: string }): void;
  closeAll(): void;
}

export interface LoggersOptions extends TensorBoardOptions {
  /**
   * The runner's result.json/progress.csv writers: included when "json" or
   * "csv" is asked for. Left out, those kinds are the caller's to write.
   */
  files?: TrialLogger;
  /** Where a logger's write failures are reported. */
  log?: (message: string) => void;
}

/** The loggers of `kinds` as one `TrialLogger`; relative trial dirs are resolved against `expDir`. */
export function createLoggers(kinds: readonly LoggerKind[] = DEFAULT_LOGGERS, expDir: string, options: LoggersOptions = {}): TrialLogger & { readonly kinds: readonly LoggerKind[] } {
  const parts: TrialLogger[] = [];
  if (options.files && (kinds.includes("json") || kinds.includes("csv"))) parts.push(options.files);
  if (kinds.includes("tensorboard")) {
    const { files: _files, log, ...tb } = options;
    parts.push(new TensorBoardWriters(tb, log));
  }
  const dir = (trialDir: string): string => (isAbsolute(trialDir) ? trialDir : join(expDir, trialDir));
  return {
    kinds: [...kinds],
    open(id, trialDir, previous) {
      for (const p of parts) p.open(id, dir(trialDir), previous);
    },
    append(id, result, json) {
      for (const p of parts) p.append(id, result, json);
    },
    flushAll() {
      for (const p of parts) p.flushAll();
    },
    close(id, ending) {
      const resolved = ending?.trialDir !== undefined ? { ...ending, trialDir: dir(ending.trialDir) } : ending;
      for (const p of parts) p.close(id, resolved);
    },
    closeAll() {
      for (const p of parts) p.closeAll();
    },
  };
}

/** Problems with a config's `loggers` value, each naming the key path (for config validation). */
export function validateLoggers(value: unknown, path = "loggers"): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return [`${path}: must be a list of ${LOGGER_KINDS.map((k) => `"${k}"`).join(", ")} (got ${JSON.stringify(value)})`];
  const errors: string[] = [];
  value.forEach((kind, i) => {
    if (!LOGGER_KINDS.includes(kind as LoggerKind)) errors.push(`${path}[${i}]: unknown logger ${JSON.stringify(kind)}; expected one of ${LOGGER_KINDS.map((k) => `"${k}"`).join(", ")}`);
    else if (value.indexOf(kind) !== i) errors.push(`${path}[${i}]: "${kind}" is listed twice`);
  });
  return errors;
}

export { TensorBoardWriter, TensorBoardWriters, type TensorBoardOptions, type TrialEnding } from "./tensorboard.ts";
export { fromUserCallbacks, type TuneCallback, type TrialSnapshot } from "./callbacks.ts";
