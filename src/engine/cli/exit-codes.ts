/** What `tunelab` exit codes mean (documented in the README). */
export enum ExitCode {
  /** The command did what it was asked; for a run: every trial finished without error. */
  Ok = 0,
  /** The runner itself failed (a bug, an impossible resource request, a failing searcher). */
  RunFailed = 1,
  /** Bad usage or an invalid config: nothing ran. */
  BadInput = 2,
  /** The experiment completed but some trials ended in ERROR. */
  TrialsFailed = 3,
  /** The experiment was interrupted (Ctrl-C, `tunelab stop`); `tunelab resume` continues it. */
  Interrupted = 4,
  /** Asked about something that is not there (no experiment, no result yet). */
  NotFound = 5,
}
