/**
 * `trainable.python: "train:train_fn"` runs with the trainable's cwd first on
 * sys.path (python/tunelab/run.py). A module missing there is usually a typo
 * or a wrong cwd; it may still be installed for the interpreter, hence a warning.
 */
import { DiagnosticSink, isDynamic, type Diagnostic } from "./diagnostics.ts";
import { isPlainObject } from "./variants.ts";

/** Resolves a path relative to the config file's folder. */
export type FileExists = (path: string) => boolean;

/** A warning when a python trainable's top-level module is neither `<m>.py` nor `<m>/__init__.py` in its cwd. */
export function validatePythonModule(config: unknown, fileExists: FileExists | undefined): Diagnostic[] {
  const sink = new DiagnosticSink();
  if (!fileExists || !isPlainObject(config) || isDynamic(config)) return sink.items;
  const t = config.trainable;
  if (!isPlainObject(t) || isDynamic(t) || typeof t.python !== "string" || "command" in t) return sink.items;
  if (t.cwd !== undefined && typeof t.cwd !== "string") return sink.items;
  const modulePath = t.python.split(":")[0] ?? "";
  if (!/^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/.test(modulePath)) return sink.items; // malformed: validateConfig reports it
  const top = modulePath.split(".")[0] ?? "";
  const dir = typeof t.cwd === "string" && t.cwd !== "" && t.cwd !== "." ? `${t.cwd.replace(/\/+$/, "")}/` : "";
  const candidates = [`${dir}${top}.py`, `${dir}${top}/__init__.py`, `${dir}${top}`];
  if (candidates.some((p) => fileExists(p))) return sink.items;
  sink.warning(["trainable", "python"], "trainable-module-not-found",
    `module "${top}" not found: neither ${dir}${top}.py nor ${dir}${top}/ is next to the config${dir ? " (in cwd)" : ""}; fine only if it is installed for the interpreter`,
    { module: top, file: `${dir}${top}.py` });
  return sink.items;
}
