/**
 * Starts the bundled CLI (`tunelab run|resume`) as a detached process whose
 * output goes to a log file, so closing or reloading the window never stops
 * an experiment. Resolves once the runner says which experiment dir it uses.
 */
import { mkdirSync, openSync, closeSync, readFileSync, symlinkSync, existsSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { delimiter, dirname, join } from "node:path";

export interface LaunchOptions {
  /** The bundled CLI, `<extension>/dist/cli.mjs`. */
  cli: string;
  args: string[];
  cwd: string;
  /** The runner's stdout and stderr go here. */
  logFile: string;
  /** The Python for trials; "python3" keeps PATH's. */
  python: string;
  /** Where the python3 shim dirs live (the extension's global storage). */
  shimRoot: string;
  /** How long to wait for the runner to name its experiment dir. */
  timeoutMs?: number;
}

export interface Launched {
  pid: number;
  expDir: string;
}

/** The error of a runner that exited before starting, with its log: the user sees the config diagnostics. */
export class LaunchError extends Error {
  override readonly name = "LaunchError";
  constructor(message: string, readonly log: string, readonly exitCode?: number) {
    super(message);
  }
}

/** `Running digits in /x/.tunelab/digits-…` or `Resuming …`: the runner's first line. */
export function parseExperimentDir(log: string): string | undefined {
  return /^(?:Running|Resuming) .*? in (.+)$/m.exec(log)?.[1]?.trim();
}

/**
 * A dir holding `python3` and `python` links to `python`, put first on PATH:
 * the runner and every trial it starts then use the chosen interpreter.
 */
export function pythonShim(python: string, shimRoot: string): string | undefined {
  if (python === "python3") return undefined;
  const dir = join(shimRoot, createHash("sha256").update(python).digest("hex").slice(0, 12));
  if (!existsSync(join(dir, "python3"))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    symlinkSync(python, join(dir, "python3"));
    symlinkSync(python, join(dir, "python"));
  }
  return dir;
}

export async function launchRunner(o: LaunchOptions): Promise<Launched> {
  mkdirSync(dirname(o.logFile), { recursive: true });
  const fd = openSync(o.logFile, "a");
  const shim = pythonShim(o.python, o.shimRoot);
  const env: Record<string, string> = {
    // VS Code's execPath is Electron (a plain node in code-server): this makes it behave as node.
    ELECTRON_RUN_AS_NODE: "1",
    TUNELAB_PYTHON: o.python,
    ...(shim ? { PATH: `${shim}${delimiter}${process.env.PATH ?? ""}` } : {}),
  };
  // The runner writes straight into the log file (no pipe through this process), so it outlives the window.
  // execa's types accept only literal fd numbers; at run time any open fd works.
  const logFd = fd as 3;
  // Loaded on first use: execa is most of the bundle, and activation must stay cheap.
  const { execa } = await import("execa");
  const child = execa(process.execPath, [o.cli, ...o.args], {
    cwd: o.cwd, env, detached: true, cleanup: false, reject: false, stdio: ["ignore", logFd, logFd],
  });
  closeSync(fd);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new LaunchError(`Tunelab: could not start ${process.execPath} ${o.cli}`, "");
  let exited: { code?: number } | undefined;
  void child.then((r) => (exited = { ...(r.exitCode !== undefined ? { code: r.exitCode } : {}) }));
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  for (;;) {
    const log = safeRead(o.logFile);
    const dir = parseExperimentDir(log);
    if (dir) return { pid, expDir: dir };
    if (exited) {
      const first = log.trim().split("\n").slice(0, 5).join("\n");
      throw new LaunchError(`Tunelab: the runner exited (code ${exited.code ?? "?"}) before starting:\n${first}`, log, exited.code);
    }
    if (Date.now() > deadline) throw new LaunchError(`Tunelab: the runner (pid ${pid}) did not start an experiment within ${Math.round((o.timeoutMs ?? 60_000) / 1000)} s; see ${o.logFile}`, log);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
