/**
 * How the extension reads files on an experiment's ssh hosts: through the
 * bundled CLI (`tunelab checkpoint ls|cat`), which reaches each host with the
 * experiment's own executor config and quotes every remote word. This module
 * is the pure half (argument vectors, parsing, errors); cli-source.ts runs it.
 */

/** What `tunelab checkpoint ls --json` prints. */
export interface ListedEntry {
  type: "file" | "dir";
  size: number;
  mtime: number;
  entries?: [string, "file" | "dir"][];
}

/** The CLI's arguments (after the script) to list or read `path` on `host` for the experiment in `expDir`. */
export function listingArgs(op: "ls" | "cat", expDir: string, host: string, path: string): string[] {
  return op === "ls" ? ["checkpoint", "ls", expDir, host, path, "--json"] : ["checkpoint", "cat", expDir, host, path];
}

/** The CLI's arguments to fetch the checkpoint whose placeholder is `localDir` into its place. */
export function fetchArgs(expDir: string, localDir: string): string[] {
  return ["checkpoint", "fetch", expDir, localDir, "--json"];
}

/** Parses `ls --json` output; throws a message naming the host and path when it is not what the CLI prints. */
export function parseListing(stdout: string, host: string, path: string): ListedEntry {
  let v: unknown;
  try {
    v = JSON.parse(stdout);
  } catch {
    throw new Error(`Tunelab: listing ${host}:${path} printed no JSON: ${stdout.slice(0, 200)}`);
  }
  const e = v as Partial<ListedEntry>;
  if ((e.type !== "file" && e.type !== "dir") || typeof e.size !== "number") throw new Error(`Tunelab: listing ${host}:${path} printed ${stdout.slice(0, 200)}`);
  return { type: e.type, size: e.size, mtime: e.mtime ?? 0, ...(e.entries ? { entries: e.entries } : {}) };
}

/** The CLI's exit code 5 means "not there" (cli/exit-codes.ts NotFound): the editor should see FileNotFound. */
export function isNotFound(exitCode: number | null | undefined): boolean {
  return exitCode === 5;
}

/** The last line the CLI wrote to stderr, without its `tunelab: ` prefix: the message a person reads. */
export function cliMessage(stderr: string, fallback: string): string {
  const line = stderr.trim().split("\n").filter(Boolean).at(-1);
  return line ? line.replace(/^tunelab: /, "") : fallback;
}

/**
 * Results of a few seconds' age are reused: the editor stats a path before every read and
 * listing, and each CLI call is a process and an ssh round trip. Concurrent asks share one call.
 */
export class ListingCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();

  constructor(private readonly ttlMs: number, private readonly now: () => number = Date.now) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.value;
    const value = load();
    this.entries.set(key, { at: this.now(), value });
    // A failure is not remembered: the next ask tries again (the host may be back).
    void value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  /** Forgets everything under `prefix` (a fetched checkpoint). */
  forget(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }
}
