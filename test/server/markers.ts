/**
 * Expected diagnostics written into a fixture as comments:
 *   `//      ^^^^ error code: message` underlines, on the nearest code line above,
 *   the columns its carets stand in; `// @L:C-L:C error code: message` gives a
 *   range by 1-based line and 0-based column (for zero-width or multi-line ones).
 */
import type { Range } from "vscode-languageserver";

export interface Expected { range: Range; severity: "error" | "warning"; code: string; message: string }

const CARETS = /^(\s*\/\/\s*)(\^+)\s+(error|warning)\s+([\w-]+):\s(.*)$/;
const ABSOLUTE = /^\s*\/\/\s*@(\d+):(\d+)-(\d+):(\d+)\s+(error|warning)\s+([\w-]+):\s(.*)$/;

export function parseMarkers(text: string): Expected[] {
  const out: Expected[] = [];
  let codeLine = -1;
  text.split("\n").forEach((line, i) => {
    const caret = CARETS.exec(line);
    if (caret) {
      const [, lead = "", hats = "", severity, code = "", message = ""] = caret;
      if (codeLine < 0) throw new Error(`line ${i + 1}: a caret marker needs a code line above it`);
      out.push({ range: { start: { line: codeLine, character: lead.length }, end: { line: codeLine, character: lead.length + hats.length } }, severity: severity as Expected["severity"], code, message });
      return;
    }
    const abs = ABSOLUTE.exec(line);
    if (abs) {
      const [, l1, c1, l2, c2, severity, code = "", message = ""] = abs;
      out.push({ range: { start: { line: Number(l1) - 1, character: Number(c1) }, end: { line: Number(l2) - 1, character: Number(c2) } }, severity: severity as Expected["severity"], code, message });
      return;
    }
    codeLine = i;
  });
  return out;
}

/** The marker line that would express `e` (single-line ranges as carets). */
export function formatMarker(e: Expected): string {
  const { start, end } = e.range;
  if (start.line === end.line && end.character > start.character && start.character >= 2) {
    return `${"//".padEnd(start.character, " ")}${"^".repeat(end.character - start.character)} ${e.severity} ${e.code}: ${e.message}`;
  }
  return `// @${start.line + 1}:${start.character}-${end.line + 1}:${end.character} ${e.severity} ${e.code}: ${e.message}`;
}
