/**
 * The control file (`<expDir>/control.json`): where the runner listens and the
 * token that lets a client in. It is the only secret of the control API, so it
 * is created 0600 from the first byte and replaced atomically.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";

export const CONTROL_FILE = "control.json";

export interface ControlFile {
  url: string;
  port: number;
  token: string;
  pid: number;
}

export function newToken(): string {
  return randomBytes(32).toString("hex");
}

/** Compares a presented token with the real one in constant time, whatever their lengths. */
export function tokenMatches(presented: string, token: string): boolean {
  // Hashing first gives equal-length inputs, so the time taken says nothing about the length either.
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(token).digest();
  return timingSafeEqual(a, b);
}

/** The token from an `Authorization: Bearer <token>` header, or undefined. */
export function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1];
}

/** control.json of `expDir`, or undefined when there is none; throws when it exists but is unreadable or malformed. */
export function readControlFile(expDir: string): ControlFile | undefined {
  const path = join(expDir, CONTROL_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new Error(`cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not valid JSON; delete it if no runner is running`);
  }
  const f = parsed as Partial<ControlFile>;
  if (typeof f.url !== "string" || typeof f.token !== "string" || typeof f.port !== "number" || typeof f.pid !== "number") {
    throw new Error(`${path} lacks url, port, token or pid; delete it if no runner is running`);
  }
  return f as ControlFile;
}

/**
 * Writes control.json for this process. Refuses when another live runner owns
 * the dir (two runners would corrupt the journal); a file left by a dead one is replaced.
 */
export function writeControlFile(expDir: string, file: ControlFile): void {
  const path = join(expDir, CONTROL_FILE);
  let existing: ControlFile | undefined;
  try {
    existing = readControlFile(expDir);
  } catch {
    existing = undefined; // malformed: nobody can use it, so it is safe to replace
  }
  if (existing && existing.pid !== file.pid && isAlive(existing.pid)) {
    throw new Error(`another runner (pid ${existing.pid}) is already controlling ${expDir}; stop it with \`tunelab stop ${expDir}\` first`);
  }
  // Created 0600 by open() itself (never chmod'ed later), then renamed so readers never see half a file.
  const tmp = `${path}.${process.pid}.tmp`;
  try { unlinkSync(tmp); } catch { /* the usual case: no leftover from a crash */ }
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeSync(fd, `${JSON.stringify(file, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Removes control.json if it is still ours (a newer runner's file is left alone). */
export function removeControlFile(expDir: string, token: string): void {
  try {
    if (readControlFile(expDir)?.token !== token) return;
    unlinkSync(join(expDir, CONTROL_FILE));
  } catch {
    // Already gone or unreadable: nothing of ours is left to remove.
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
