/**
 * Finds Python tracebacks in trial logs (stderr.log, error.txt, the runner's
 * output) and names the file and line each one points at. Pure, so it is
 * unit-tested without VS Code.
 */

export interface TracebackFrame {
  file: string;
  /** 1-based, as Python prints it. */
  line: number;
  func: string;
}

export interface PythonTraceback {
  frames: TracebackFrame[];
  /** The final `ValueError: ...` line. */
  message: string;
  /** The innermost frame that is not inside the Python library or Tunelab's own package: where the user's bug is. */
  culprit?: TracebackFrame;
}

const FRAME = /^\s*File "([^"]+)", line (\d+)(?:, in (.+))?$/;
const LIBRARY = /(^<|[\\/]lib[\\/]python\d|[\\/]site-packages[\\/]|[\\/]dist-packages[\\/]|[\\/]python[\\/]tunelab[\\/])/;

/** Every traceback in `text`, in order of appearance. */
export function parseTracebacks(text: string): PythonTraceback[] {
  const lines = text.split(/\r?\n/);
  const out: PythonTraceback[] = [];
  for (let i = 0; i < lines.length; i++) {
    // Tunelab prefixes log lines with a trial id ("[abc_00001] "): strip any such tag.
    if (!stripTag(lines[i]!).startsWith("Traceback (most recent call last):")) continue;
    const frames: TracebackFrame[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = stripTag(lines[j]!);
      const m = FRAME.exec(line);
      if (m) frames.push({ file: m[1]!, line: Number(m[2]), func: m[3] ?? "" });
      else if (!/^\s/.test(line) || line.trim() === "") break; // the exception line, unindented
    }
    const message = stripTag(lines[j] ?? "").trim();
    if (frames.length === 0) continue;
    const culprit = [...frames].reverse().find((f) => !LIBRARY.test(f.file)) ?? frames[frames.length - 1];
    out.push(culprit ? { frames, message, culprit } : { frames, message });
    i = j;
  }
  return out;
}

function stripTag(line: string): string {
  return line.replace(/^\[[\w.-]+\]\s?/, "");
}
