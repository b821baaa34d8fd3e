/** Where in the source a diagnostic's key path points. */
import type { Diagnostic } from "../engine/space/diagnostics.ts";
import type { KeyPath } from "../engine/space/path.ts";
import { pathKey, type Evaluation, type SourceSpan, type TextSpan } from "./evaluate.ts";

/**
 * The range to underline: the offending value (or the named argument of a
 * helper call, e.g. the `lower` of `loguniform(0, 1)`), the key for unknown
 * keys and for values that span several lines, else the nearest ancestor's key,
 * else the config's anchor (`defineConfig`).
 */
export function locate(d: Pick<Diagnostic, "path" | "code" | "data">, ev: Evaluation): TextSpan {
  const fallback = ev.anchor ?? { start: 0, end: 0 };
  if (d.path.length === 0) return fallback;
  const own = spanAt(ev, d.path);
  if (own) {
    if (d.code === "unknown-key" && own.key) return own.key;
    const field = d.data?.field;
    if (typeof field === "string") {
      const arg = spanAt(ev, [...d.path, field]);
      if (arg) return arg.value;
    }
    return compact(own, ev.source.text);
  }
  for (let n = d.path.length - 1; n > 0; n--) {
    const ancestor = spanAt(ev, d.path.slice(0, n));
    if (ancestor) return ancestor.key ?? compact(ancestor, ev.source.text);
  }
  return fallback;
}

export function spanAt(ev: Evaluation, path: KeyPath): SourceSpan | undefined {
  return ev.spans.get(pathKey(path));
}

/** A multi-line value is underlined at its key: a squiggle over a whole block hides the code. */
function compact(s: SourceSpan, text: string): TextSpan {
  if (s.key && text.slice(s.value.start, s.value.end).includes("\n")) return s.key;
  return s.value;
}
