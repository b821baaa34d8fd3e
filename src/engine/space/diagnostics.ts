/**
 * Diagnostics shared by the runner and the language server, and the marker
 * for values the server could not evaluate statically.
 */
import { formatPath, type KeyPath } from "./path.ts";

export interface Diagnostic {
  path: (string | number)[];
  message: string;
  severity: "error" | "warning";
  /** Stable id (e.g. "bounds-reversed") for quick fixes and tests. */
  code: string;
  data?: { suggestion?: string; [key: string]: unknown };
}

/** A value the language server could not evaluate from the syntax tree; rules skip it rather than guess. */
export interface Dynamic {
  readonly __dynamic: true;
}

export const DYNAMIC: Dynamic = Object.freeze({ __dynamic: true });

export function isDynamic(value: unknown): value is Dynamic {
  return typeof value === "object" && value !== null && (value as { __dynamic?: unknown }).__dynamic === true;
}

/** `space.lr: loguniform lower bound must be > 0 (got 0)`. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${formatPath(d.path)}: ${d.message}`;
}

/** Edit distance (insert, delete, substitute), for "did you mean". */
export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

const camel = (s: string): string => s.replace(/[_-]+([a-z0-9])/gi, (_, c: string) => c.toUpperCase());

/** The closest known name, if close enough to be a likely typo (snake_case is compared as camelCase). */
export function didYouMean(name: string, known: readonly string[], aliases: Readonly<Record<string, string>> = {}): string | undefined {
  const alias = aliases[name] ?? aliases[camel(name)];
  if (alias !== undefined) return alias;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = Math.min(levenshtein(name.toLowerCase(), candidate.toLowerCase()), levenshtein(camel(name).toLowerCase(), candidate.toLowerCase()));
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

/** Collects diagnostics with their paths; rules push into one of these. */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];

  error(path: KeyPath, code: string, message: string, data?: Diagnostic["data"]): void {
    this.items.push({ path: [...path], message, severity: "error", code, ...(data ? { data } : {}) });
  }

  warning(path: KeyPath, code: string, message: string, data?: Diagnostic["data"]): void {
    this.items.push({ path: [...path], message, severity: "warning", code, ...(data ? { data } : {}) });
  }
}
