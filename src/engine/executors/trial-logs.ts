/** A trial's stdout.log / stderr.log, shared by every local way of running a trial (processes, workers). */
import { createWriteStream, statSync, type WriteStream } from "node:fs";
import { finished } from "node:stream/promises";

/** Opens a trial log for appending: retries append to the same log, with a separator between attempts. */
export function openTrialLog(path: string, attempt: number | undefined): WriteStream {
  const log = createWriteStream(path, { flags: "a" });
  let size = 0;
  try {
    size = statSync(path).size;
  } catch {
    // Not there yet: first attempt.
  }
  if (size > 0) log.write(`--- attempt ${attempt ?? "(retry)"} at ${new Date().toISOString()} ---\n`);
  // A full disk must not crash the runner; the trial keeps running without its log.
  log.on("error", () => undefined);
  return log;
}

/** Ends a trial log and waits until it is flushed (errors were already reported as lost output). */
export async function endTrialLog(log: WriteStream | undefined): Promise<void> {
  if (!log) return;
  log.end();
  await finished(log).catch(() => undefined);
}
