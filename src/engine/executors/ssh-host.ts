/**
 * One ssh host as the executor keeps it: its connection, CPU/GPU pool and trials, whether it
 * answers (a host whose oldest unanswered poll is `hostLostMs` old is lost), the trials given
 * up when it was lost, and the round trips that need nothing else of the executor.
 */
import type { SshHostSpec } from "../config.ts";
import { ResourcePool, type Grant } from "../resources.ts";
import type { TrialResources } from "../store/events.ts";
import { shQuote } from "./remote-quote.ts";
import { stopScript } from "./remote-scripts.ts";
import { runProcess, SshConnection, type SshConnectionOptions } from "./ssh-connection.ts";
import { parseSshG } from "./ssh-ranks.ts";
import type { SshTrial, SshTrialHandle } from "./ssh-trial.ts";

export class SshHost {
  readonly conn: SshConnection;
  readonly pool: ResourcePool;
  readonly workdir: string;
  /** Connected and code synced (once; later calls share the first). */
  ready: Promise<void> | undefined;
  /** By local trial dir: the ranks of a distributed trial share one trial id. */
  readonly trials = new Map<string, { trial: SshTrial; grant: Grant; resources: TrialResources }>();
  /** When the oldest unanswered poll was sent; undefined while the host answers. */
  waitingSince: number | undefined;
  lastError = "";
  /** Lost: no trials go there until a probe gets an answer again. */
  down = false;
  /** While `down`: since when it has not answered (its oldest unanswered poll). */
  downSince: number | undefined;
  polling = false;
  probing = false;
  /** Trials given up when the host was lost; killed once it answers, so their late results never count. */
  abandoned: SshTrialHandle[] = [];
  /** Checkpoint dirs that retention dropped while the host was lost (or whose delete failed); deleted once it answers. */
  removals: string[] = [];
  private address: Promise<string> | undefined;

  constructor(readonly spec: SshHostSpec, conn: SshConnectionOptions, private readonly prepareFn: (host: SshHost) => Promise<void>) {
    this.conn = new SshConnection(spec.host, conn);
    this.pool = new ResourcePool(spec.cpus, spec.gpus ?? 0);
    this.workdir = spec.workdir ?? "~/tunelab";
  }

  get name(): string {
    return this.spec.host;
  }

  prepare(): Promise<void> {
    return (this.ready ??= this.prepareFn(this));
  }

  /** Whether the host has not answered for `limitMs` (counted from the oldest unanswered poll). */
  lost(now: number, limitMs: number): boolean {
    return !this.down && this.waitingSince !== undefined && now - this.waitingSince >= limitMs;
  }

  /** Whether a probe has work to do besides asking for a sign of life. */
  get owed(): boolean {
    return this.abandoned.length > 0 || this.removals.length > 0;
  }

  /**
   * Asks the host for a sign of life; the same round trip kills the processes given up there
   * (matched by pid and start time) and deletes the checkpoint dirs owed. True once it answered.
   */
  async probe(timeoutMs: number): Promise<boolean> {
    if (this.probing) return false;
    this.probing = true;
    const kills = this.abandoned.map((h) => `(${stopScript(h.pid, h.startTime, 0)})`);
    const removals = this.removals.splice(0);
    try {
      const r = await this.conn.exec([...kills, ...removals.map((d) => `rm -rf -- ${shQuote(d)}`), "true"].join("\n"), { timeoutMs });
      if (r.code !== 0) {
        this.lastError = r.stderr.trim() || `ssh exit ${r.code}`;
        this.removals.push(...removals);
        return false;
      }
      this.abandoned = [];
      return true;
    } finally {
      this.probing = false;
    }
  }

  /** The host's address as the other hosts reach it: `address` of its spec, else the HostName its ssh alias resolves to. */
  addressForPeers(): Promise<string> {
    if (this.spec.address) return Promise.resolve(this.spec.address);
    this.address ??= runProcess(["ssh", ...this.conn.sshOptions(), "-G", "--", this.name], undefined, 10_000).then((r) => {
      const name = r.code === 0 ? parseSshG(r.stdout.toString("utf8")) : undefined;
      if (!name) {
        this.address = undefined;
        throw new Error(`ssh -G ${this.name} gave no hostname (${r.stderr.trim() || `exit ${r.code}`})`);
      }
      return name;
    });
    return this.address;
  }

  /** A TCP port free on the host now (its Python asks the OS): where rank 0 of `trialId` listens. */
  async freePort(trialId: string): Promise<number> {
    await this.prepare();
    const py = this.spec.python ?? "python3";
    const r = await this.conn.exec(`${shQuote(py)} -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])'`, { timeoutMs: 30_000 });
    const port = Number(r.stdout.toString("utf8").trim());
    if (r.code !== 0 || !Number.isInteger(port) || port <= 0) throw new Error(`could not find a free port on ssh host ${this.name} for trial ${trialId} with ${py} (exit ${r.code}): ${r.stderr.trim()}`);
    return port;
  }
}
