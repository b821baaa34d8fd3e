import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Journal, readJournalSync } from "../../../src/engine/store/journal.ts";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../../..");

/**
 * Runs the crash-writer child, SIGKILLs it once it has acknowledged at least
 * `killAfter` events, and returns the highest acknowledgment it printed.
 */
function runAndKill(dir: string, killAfter: number, batch: number): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", join(here, "fixtures", "crash-writer.ts"), dir, String(batch)], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let acked = 0;
    let pending = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`crash-writer acknowledged only ${acked} events in 20 s; stderr: ${stderr}`));
    }, 20_000);
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines) {
        const m = /^acked (\d+)$/.exec(line);
        if (m) acked = Math.max(acked, Number(m[1]));
      }
      if (acked >= killAfter && !child.killed) child.kill("SIGKILL");
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (signal === "SIGKILL") resolvePromise(acked);
      else reject(new Error(`crash-writer exited on its own (code ${code}); stderr: ${stderr}`));
    });
  });
}

test("a runner killed with -9 keeps every acknowledged event, and the journal stays appendable", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tunelab-crash-"));
  // Several crashes into the same journal: each restart must repair what the last one tore.
  let expected = 0;
  for (const [killAfter, batch] of [[3000, 500], [1500, 1000], [4000, 250]] as const) {
    const acked = await runAndKill(dir, killAfter, batch);
    const { events } = readJournalSync(dir);
    const seqs = events.map((e) => (e.t === "result" ? (e.r as { seq: number }).seq : -1));
    const thisRun = seqs.slice(expected);
    assert.ok(thisRun.length >= acked, `replay holds ${thisRun.length} events of this run but ${acked} were acknowledged`);
    // Nothing lost or reordered before the tear: the run's events are 0, 1, 2, ... in order.
    thisRun.forEach((seq, i) => assert.equal(seq, i, `event ${expected + i} has seq ${seq}, expected ${i}`));
    expected = events.length;
    // Opening for append cuts a torn tail; the file must then parse with nothing torn.
    Journal.open(dir).close();
    const reread = readJournalSync(dir);
    assert.equal(reread.torn, false);
    assert.equal(reread.events.length, expected);
  }
});
