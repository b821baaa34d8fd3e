/**
 * Metric names this config's past runs reported, for completion: read from
 * the tail of each experiment's journal (`<storage>/<exp>/events.jsonl`),
 * cached by the journal's size and mtime so a keystroke costs a few stats.
 */
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { isAbsolute, join, normalize, resolve } from "node:path";
import { AUTO_RESULT_FIELDS } from "./docs.ts";

/** How much of each journal's end is read: enough for the last few hundred results. */
const TAIL_BYTES = 256 * 1024;
const HEAD_BYTES = 4096;

interface Entry { size: number; mtimeMs: number; configPath?: string; metrics: string[] }

export interface PastMetric { name: string; /** One of Ray's auto-filled fields rather than the trainable's own. */ auto: boolean }

export class PastMetrics {
  private readonly journals = new Map<string, Entry>();

  /** Numeric result keys reported by experiments of `configPath` under `storageDir`, the trainable's own first. */
  names(configPath: string, storageDir: string): PastMetric[] {
    let dirs: string[];
    try {
      dirs = readdirSync(storageDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(storageDir, e.name));
    } catch {
      return [];
    }
    const found = new Set<string>();
    for (const dir of dirs) {
      const entry = this.read(join(dir, "events.jsonl"));
      if (!entry || !sameConfig(entry.configPath, configPath)) continue;
      for (const m of entry.metrics) found.add(m);
    }
    const auto = new Set(AUTO_RESULT_FIELDS);
    return [...found].map((name) => ({ name, auto: auto.has(name) }))
      .sort((a, b) => Number(a.auto) - Number(b.auto) || a.name.localeCompare(b.name));
  }

  private read(file: string): Entry | undefined {
    let st;
    try {
      st = statSync(file);
    } catch {
      return undefined;
    }
    const cached = this.journals.get(file);
    if (cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs) return cached;
    const entry: Entry = { size: st.size, mtimeMs: st.mtimeMs, metrics: [] };
    try {
      const fd = openSync(file, "r");
      try {
        const head = readAt(fd, 0, Math.min(HEAD_BYTES, st.size)).split("\n")[0] ?? "";
        const first = parse(head);
        if (first?.t === "experiment" && typeof first.configPath === "string") entry.configPath = first.configPath;
        const start = Math.max(0, st.size - TAIL_BYTES);
        const lines = readAt(fd, start, st.size - start).split("\n");
        if (start > 0) lines.shift(); // torn first line
        const names = new Set<string>();
        for (const line of lines) {
          if (!line.includes('"result"')) continue;
          const ev = parse(line);
          const r = ev?.t === "result" ? ev.r : undefined;
          if (typeof r !== "object" || r === null) continue;
          for (const [k, v] of Object.entries(r)) if (typeof v === "number") names.add(k);
        }
        entry.metrics = [...names];
      } finally {
        closeSync(fd);
      }
    } catch {
      // Unreadable journal: no suggestions from it, and no error either (completion is best effort).
    }
    this.journals.set(file, entry);
    return entry;
  }
}

function readAt(fd: number, position: number, length: number): string {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, position);
  return buf.toString("utf8", 0, n);
}

function parse(line: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(line) as unknown;
    return typeof v === "object" && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The journal records the config path as given to the CLI: absolute, or relative to where it ran. */
function sameConfig(recorded: string | undefined, configPath: string): boolean {
  if (recorded === undefined) return true;
  if (isAbsolute(recorded)) return resolve(recorded) === resolve(configPath);
  const rel = normalize(recorded).replace(/^(\.\/)+/, "");
  return normalize(configPath).endsWith(`/${rel}`) || normalize(configPath) === rel;
}
