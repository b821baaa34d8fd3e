/**
 * One ssh host: the system `ssh` with the user's ssh_config (aliases,
 * ProxyJump, keys) and ONE ControlMaster per host, so every command after the
 * first rides an open connection. Code sync with rsync, else tar over ssh.
 */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { shQuote } from "./remote-quote.ts";

export interface SshResult {
  /** ssh's exit code: the remote command's, or 255 when ssh itself failed. */
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface SshConnectionOptions {
  /** An ssh_config file (`ssh -F`); default: ~/.ssh/config. */
  sshConfig?: string;
  /** Multiplex over one ControlMaster (default true; false is for the benchmark's baseline). */
  multiplex?: boolean;
  /** Where ControlMaster sockets live (short: unix sockets are limited to ~104 bytes). */
  controlDir?: string;
}

/** The default ControlMaster socket dir: short and per user. */
export function defaultControlDir(): string {
  let user = "u";
  try {
    user = String(userInfo().uid);
  } catch {
    // No passwd entry: one shared name is fine, sockets are per host hash.
  }
  return join(tmpdir(), `tunelab-cm-${user}`);
}

/** Runs a program to its end, capturing stdout as bytes; `input` goes to its stdin. */
export function runProcess(argv: readonly string[], input?: Buffer | string, timeoutMs = 60_000): Promise<SshResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => err.push(c));
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: 255, stdout: Buffer.alloc(0), stderr: `cannot run ${argv[0]}: ${e.message}` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString("utf8") + (signal ? `\n(${argv[0]} killed by ${signal}${signal === "SIGKILL" ? ` after ${timeoutMs} ms` : ""})` : "");
      resolve({ code: code ?? 255, stdout: Buffer.concat(out), stderr });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(input ?? "");
  });
}

export class SshConnection {
  readonly controlDir: string;
  private home: string | undefined;

  constructor(
    /** The ssh destination (alias or user@host). */
    readonly host: string,
    private readonly opts: SshConnectionOptions = {},
  ) {
    this.controlDir = opts.controlDir ?? defaultControlDir();
  }

  /** ssh's options, without the destination. */
  sshOptions(): string[] {
    const o: string[] = [];
    if (this.opts.sshConfig) o.push("-F", this.opts.sshConfig);
    o.push("-o", "BatchMode=yes", "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3");
    if (this.opts.multiplex ?? true) {
      mkdirSync(this.controlDir, { recursive: true, mode: 0o700 });
      o.push("-o", "ControlMaster=auto", "-o", `ControlPath=${join(this.controlDir, "%C")}`, "-o", "ControlPersist=120");
    } else {
      o.push("-o", "ControlMaster=no", "-o", "ControlPath=none");
    }
    return o;
  }

  /** Runs a POSIX shell script on the host (built with remote-quote.ts). */
  exec(script: string, opts: { input?: Buffer | string; timeoutMs?: number } = {}): Promise<SshResult> {
    // `--` ends ssh's options: a host can never be read as one.
    return runProcess(["ssh", ...this.sshOptions(), "--", this.host, script], opts.input, opts.timeoutMs);
  }

  /** Opens (or checks) the ControlMaster and learns the remote home; throws a message naming the host. */
  async connect(): Promise<void> {
    const r = await this.exec(`printf '%s' "$HOME"`, { timeoutMs: 30_000 });
    if (r.code !== 0) throw new Error(`cannot reach ssh host ${this.host} (ssh exit ${r.code}): ${r.stderr.trim() || "no message"}`);
    this.home = r.stdout.toString("utf8").trim() || "/";
  }

  /** A remote path with a leading `~/` made absolute (connect() first). */
  absolute(path: string): string {
    if (path === "~" || path.startsWith("~/")) {
      if (this.home === undefined) throw new Error(`ssh host ${this.host}: connect() before resolving ${path}`);
      return path === "~" ? this.home : `${this.home.replace(/\/$/, "")}/${path.slice(2)}`;
    }
    return path;
  }

  /** Closes this host's ControlMaster (remote trials keep running: they are detached). */
  async closeMaster(): Promise<void> {
    if (!(this.opts.multiplex ?? true)) return;
    await runProcess(["ssh", ...this.sshOptions(), "-O", "exit", "--", this.host], undefined, 10_000);
  }

  /** Copies local dir `src` to remote absolute `dest` (contents, not the dir itself): rsync if both sides have it, else tar. */
  async sync(src: string, dest: string, filter: { include?: readonly string[]; exclude?: readonly string[] } = {}): Promise<"rsync" | "tar"> {
    const excludes = ["/.tunelab/", "/.git/", "node_modules/", "__pycache__/", ...(filter.exclude ?? [])];
    const remoteHasRsync = (await this.exec("command -v rsync >/dev/null", { timeoutMs: 30_000 })).code === 0;
    const localRsync = remoteHasRsync ? (await runProcess(["rsync", "--version"], undefined, 10_000)).code === 0 : false;
    if (localRsync) {
      const mk = await this.exec(`mkdir -p ${shQuote(dest)}`);
      if (mk.code !== 0) throw new Error(`ssh host ${this.host}: cannot create ${dest}: ${mk.stderr.trim()}`);
      const e = ["ssh", ...this.sshOptions()].map((w) => shQuote(w)).join(" ");
      const args = ["rsync", "-a", "--delete", "-s", "-e", e];
      for (const inc of filter.include ?? []) args.push(`--include=${inc}`);
      for (const exc of excludes) args.push(`--exclude=${exc}`);
      args.push(`${src.replace(/\/$/, "")}/`, `${this.host}:${dest}/`);
      const r = await runProcess(args, undefined, 600_000);
      if (r.code !== 0) throw new Error(`rsync of ${src} to ${this.host}:${dest} failed (exit ${r.code}): ${r.stderr.trim()}`);
      return "rsync";
    }
    const tarArgs = ["tar", "-C", src, "-cf", "-"];
    for (const exc of excludes) tarArgs.push(`--exclude=./${exc.replace(/^\//, "").replace(/\/$/, "")}`);
    tarArgs.push(".");
    const tar = await runProcess(tarArgs, undefined, 600_000);
    if (tar.code !== 0) throw new Error(`tar of ${src} failed: ${tar.stderr.trim()}`);
    const r = await this.exec(`mkdir -p ${shQuote(dest)} && tar -C ${shQuote(dest)} -xf -`, { input: tar.stdout, timeoutMs: 600_000 });
    if (r.code !== 0) throw new Error(`copying ${src} to ${this.host}:${dest} with tar failed (exit ${r.code}): ${r.stderr.trim()}`);
    return "tar";
  }

  /** Copies remote dir `src` (absolute) into local `dest` (created); resolves with the bytes that came over. */
  async fetchDir(src: string, dest: string): Promise<number> {
    mkdirSync(dest, { recursive: true });
    const r = await this.exec(`tar -C ${shQuote(src)} -cf - .`, { timeoutMs: 600_000 });
    if (r.code !== 0) throw new Error(`cannot fetch ${this.host}:${src}: ${r.stderr.trim() || `ssh exit ${r.code}`}`);
    const x = await runProcess(["tar", "-C", dest, "-xf", "-"], r.stdout, 600_000);
    if (x.code !== 0) throw new Error(`cannot unpack ${this.host}:${src} into ${dest}: ${x.stderr.trim()}`);
    return r.stdout.length;
  }
}
