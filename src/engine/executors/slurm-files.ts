/**
 * Reading what a Slurm job left in its files on the shared filesystem: the exit marker, the
 * tail of stderr.log, and which earlier attempts of a trial were submitted but never finished.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { OutputTail } from "./output-tail.ts";

/** Job ids in `<dir>/attempt-*` that were submitted (a `jobid` file) but wrote no exit marker. */
export function unfinishedJobs(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^attempt-\d+$/.test(n));
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    if (existsSync(join(dir, n, "exit"))) return [];
    try {
      const id = readFileSync(join(dir, n, "jobid"), "utf8").trim();
      return /^\d+(_\d+)?$/.test(id) ? [id] : [];
    } catch {
      return [];
    }
  });
}

export function readMarker(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

export function stderrTail(path: string): OutputTail {
  const tail = new OutputTail();
  try {
    const fd = openSync(path, "r");
    try {
      const size = statSync(path).size;
      const len = Math.min(size, 8 * 1024);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, size - len);
      tail.push(buf);
    } finally {
      closeSync(fd);
    }
  } catch {
    // No stderr.log: the job never ran.
  }
  return tail;
}
