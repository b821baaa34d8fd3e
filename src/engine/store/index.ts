/** The experiment dir store: journal, replayed state, Ray-compatible trial files, checkpoints. */
export type { EndStatus, ExperimentOutcome, JournalEvent, TrialResources } from "./events.ts";
export { Journal, JournalError, JOURNAL_FILE, parseJournal, readJournal, readJournalSync } from "./journal.ts";
export type { JournalOptions, ParsedJournal } from "./journal.ts";
export { applyEvent, applyEventInPlace, countByStatus, emptyState, getTrial, interruptedTrials, replay } from "./state.ts";
export type { CheckpointRecord, ExperimentState, TrialState } from "./state.ts";
export {
  createTrialDir,
  csvCell,
  ERROR_FILE,
  flattenResult,
  PARAMS_FILE,
  PROGRESS_FILE,
  readResults,
  RESULT_FILE,
  TrialFileWriters,
  TrialResultWriter,
  writeErrorFile,
  writeParams,
} from "./trial-files.ts";
export { checkpointDirName, checkpointsToDelete, persistCheckpoint, removeCheckpoint } from "./checkpoints.ts";
export type { CheckpointEntry } from "./checkpoints.ts";
export {
  createExperimentDir,
  EXPERIMENT_FILE,
  experimentDirName,
  findExperiments,
  readExperimentJson,
  trialDirName,
  writeExperimentJson,
} from "./experiment-dir.ts";
export type { ExperimentSummary } from "./experiment-dir.ts";
