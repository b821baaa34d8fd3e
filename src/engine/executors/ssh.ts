/**
 * The ssh executor: trials run detached on remote hosts (docs/executors.md).
 * Per host: one ControlMaster, code synced once, its own CPU/GPU pool
 * (CUDA_VISIBLE_DEVICES from the host's devices), and one batched poll that
 * reads every trial's liveness, exit code and new report bytes by offset.
 * A dropped connection only delays the next poll; a host unreachable for
 * `hostLostMs` fails its trials as retryable.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { SshHostSpec } from "../config.ts";
import { pythonPackageDir } from "../paths.ts";
import { ResourcePool, type Grant } from "../resources.ts";
import type { TrialResources } from "../store/events.ts";
import type { Executor, ExecutorCapacity, ReattachOptions, RunningTrial, TrialEvents, TrialHandle, TrialLaunch, TrialState } from "./executor.ts";
import { launchScript, parsePollOutput, parseStarted, pollScript, stopScript, tailScript } from "./remote-scripts.ts";
import { checkLost, pollHost } from "./ssh-host-watch.ts";
import { shQuote } from "./remote-quote.ts";
import { appendLog, isSshHandle, SshTrial, type SshTrialHandle } from "./ssh-trial.ts";
import { TAIL_MAX_BYTES } from "./output-tail.ts";
import { RemoteCheckpoints, type CheckpointHost, type CheckpointTransfers } from "./ssh-checkpoints.ts";
import { readRemoteCheckpoint, type RemoteCheckpointRef } from "../store/checkpoints.ts";
import { RankGroups } from "./ssh-rank-groups.ts";
import { remoteArgv, remoteEnv, remotePath } from "./ssh-remote-env.ts";
import { planRanks, ranksEverFit } from "./ssh-ranks.ts";
import { SshHost } from "./ssh-host.ts";
import type { SshConnection } from "./ssh-connection.ts";

export interface SshExecutorOptions {
  hosts: readonly SshHostSpec[];
  /** The local folder synced to `<workdir>/code` on each host (the config's folder). */
  syncRoot: string;
  sync?: { include?: readonly string[]; exclude?: readonly string[] };
  sshConfig?: string;
  /** How often each host is polled. Default 500 ms. */
  pollMs?: number;
  /** A host that answers no poll for this long fails its trials (retryable). Default 60 s. */
  hostLostMs?: number;
  /** Use one ControlMaster per host (default true). */
  multiplex?: boolean;
  controlDir?: string;
  /**
   * "lazy" (default): checkpoints stay on the host that wrote them; the runner keeps a placeholder
   * and the files move only when a restore needs them on another host. "eager": every reported
   * checkpoint is fetched at once (a lost host then loses nothing).
   */
  checkpoints?: "lazy" | "eager";
}

type Host = SshHost;

interface Pending {
  trial: SshTrial;
  launch: TrialLaunch;
  /** Since when it waits for the host that holds its restore checkpoint to answer again. */
  waitingForSource?: number;
}

export class SshExecutor implements Executor {
  readonly kind = "ssh";
  private readonly hosts: Host[];
  private readonly pending: Pending[] = [];
  private readonly groups: RankGroups;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private checkpointCount = 0;
  private readonly checkpoints: RemoteCheckpoints;

  constructor(private readonly opts: SshExecutorOptions) {
    if (opts.hosts.length === 0) throw new Error('the ssh executor needs at least one host in executor.hosts, like [{ host: "gpu1", cpus: 8 }]');
    const conn = {
      ...(opts.sshConfig ? { sshConfig: opts.sshConfig } : {}),
      ...(opts.multiplex !== undefined ? { multiplex: opts.multiplex } : {}),
      ...(opts.controlDir ? { controlDir: opts.controlDir } : {}),
    };
    this.hosts = opts.hosts.map((spec) => new SshHost(spec, conn, (h) => this.prepareHost(h)));
    this.groups = new RankGroups({
      hosts: this.hosts,
      closed: () => this.closed,
      launchOn: (host, p, grant) => void this.launchOn(host, p, grant),
      release: (host, key, trial) => this.release(host, key, trial),
    });
    this.checkpoints = new RemoteCheckpoints((name) => {
      const host = this.hosts.find((h) => h.spec.host === name);
      return host && this.checkpointHost(host);
    });
  }

  /** Checkpoint bytes and time moved between hosts and this machine so far. */
  get checkpointTransfers(): Readonly<CheckpointTransfers> {
    return this.checkpoints.transfers;
  }

  removeRemoteCheckpoint(ref: RemoteCheckpointRef): void {
    this.checkpoints.remove(ref);
  }

  /** Brings the files of a checkpoint placeholder (`localDir`) home, replacing it; a local checkpoint is left as it is. */
  async materializeCheckpoint(localDir: string): Promise<void> {
    const ref = readRemoteCheckpoint(localDir);
    if (ref) await this.checkpoints.bringHome(localDir, ref, basename(dirname(localDir)));
  }

  /**
   * Why the checkpoint at `localDir` cannot be restored now: a placeholder whose host is lost or
   * not in executor.hosts, or one that names no host. Files here, or on a host that answers: undefined.
   */
  unreachableCheckpoint(localDir: string): string | undefined {
    return this.checkpoints.unreachable(localDir);
  }

  capacity(): ExecutorCapacity {
    const hosts = this.hosts.map((h) => ({ name: h.spec.host, cpus: h.spec.cpus, gpus: h.spec.gpus ?? 0 }));
    return { cpus: hosts.reduce((s, h) => s + h.cpus, 0), gpus: hosts.reduce((s, h) => s + h.gpus, 0), hosts };
  }

  canPlace(resources: TrialResources): boolean {
    return this.hosts.some((h) => !h.down && h.pool.problem(resources) === undefined && fits(h.pool, resources));
  }

  /** Queues the trial; it starts on the first host with room. Failures arrive as onExit. */
  start(launch: TrialLaunch, events: TrialEvents): RunningTrial {
    const trial = this.newTrial(launch, events, 0);
    if (!this.hosts.some((h) => h.pool.problem(launch.resources) === undefined)) {
      const sizes = this.hosts.map((h) => `${h.spec.host}: ${h.spec.cpus} CPU / ${h.spec.gpus ?? 0} GPU`).join(", ");
      queueMicrotask(() => trial.fail(`trial ${launch.trialId} needs ${launch.resources.cpu} CPU / ${launch.resources.gpu} GPU, more than any ssh host has (${sizes})`, false));
      return trial;
    }
    this.pending.push({ trial, launch });
    this.place();
    return trial;
  }

  /** A distributed trial's ranks: placed all at once, spread over hosts when no single one has room. */
  startRanks(launches: readonly TrialLaunch[], events: readonly TrialEvents[]): RunningTrial[] {
    const trials = launches.map((l, rank) => this.newTrial(l, events[rank]!, 0));
    const req = launches[0]!.resources;
    const sizes = this.hosts.map((h) => ({ cpus: h.spec.cpus, gpus: h.spec.gpus ?? 0 }));
    if (!ranksEverFit(sizes, req, launches.length)) {
      const all = this.hosts.map((h) => `${h.spec.host}: ${h.spec.cpus} CPU / ${h.spec.gpus ?? 0} GPU`).join(", ");
      const why = `trial ${launches[0]!.trialId} needs ${launches.length} workers of ${req.cpu} CPU / ${req.gpu} GPU, more than all ssh hosts together have (${all})`;
      queueMicrotask(() => trials.forEach((t) => t.fail(why, false)));
      return trials;
    }
    this.groups.add(trials, launches);
    this.place();
    return trials;
  }

  canPlaceRanks(resources: TrialResources, workers: number): boolean {
    return planRanks(this.hosts.map((h) => (h.down ? undefined : h.pool)), resources, workers) !== undefined;
  }

  reattach(launch: TrialLaunch, handle: TrialHandle, events: TrialEvents, opts: ReattachOptions): RunningTrial | undefined {
    if (!isSshHandle(handle)) return undefined;
    const host = this.hosts.find((h) => h.spec.host === handle.host);
    if (!host) return undefined;
    const trial = this.newTrial(launch, events, opts.reportsSeen, host.spec.host);
    // It already holds its resources on the host, whatever the pool says.
    const grant = host.pool.tryAcquire(launch.resources) ?? { cpu: 0, gpu: 0, gpuIds: [] };
    host.trials.set(launch.trialDir, { trial, grant, resources: grant.cpu === 0 && grant.gpu === 0 ? { cpu: 0, gpu: 0 } : launch.resources });
    trial.markStarted(handle);
    host.ready ??= host.conn.connect();
    this.ensurePolling();
    return trial;
  }

  async poll(handles: readonly TrialHandle[]): Promise<TrialState[]> {
    return Promise.all(handles.map(async (h): Promise<TrialState> => {
      if (!isSshHandle(h)) return { state: "unknown", reason: "not an ssh trial handle" };
      const host = this.hosts.find((x) => x.spec.host === h.host);
      if (!host) return { state: "lost", reason: `host ${h.host} is not in executor.hosts` };
      const r = await host.conn.exec(pollScript([{ id: "t", dir: h.dir, pid: h.pid, startTime: h.startTime, offset: 0 }], 0), { timeoutMs: 30_000 });
      if (r.code !== 0) return { state: "unknown", reason: `ssh host ${h.host} did not answer: ${r.stderr.trim()}` };
      const e = parsePollOutput(r.stdout, 0)[0];
      if (!e) return { state: "unknown", reason: `unexpected answer from ${h.host}` };
      if (e.alive) return { state: "running" };
      return { state: "exited", code: e.exitCode ?? null, signal: e.exitCode === undefined ? "SIGKILL" : null };
    }));
  }

  async fetchCheckpoint(handle: TrialHandle, path: string, dest: string): Promise<void> {
    if (!isSshHandle(handle)) throw new Error(`not an ssh trial handle: ${JSON.stringify(handle)}`);
    const host = this.hosts.find((h) => h.spec.host === handle.host);
    if (!host) throw new Error(`host ${handle.host} of the checkpoint ${path} is not in executor.hosts`);
    await this.checkpoints.fetch(this.checkpointHost(host), path, dest);
  }

  async fetchLogs(handle: TrialHandle, dest: string): Promise<void> {
    if (!isSshHandle(handle)) throw new Error(`not an ssh trial handle: ${JSON.stringify(handle)}`);
    const host = this.hosts.find((h) => h.spec.host === handle.host);
    if (!host) throw new Error(`host ${handle.host} is not in executor.hosts`);
    for (const name of ["stdout.log", "stderr.log"]) {
      const r = await host.conn.exec(`cat ${shQuote(`${handle.dir}/${name}`)} 2>/dev/null; true`);
      appendLog(dest, name, r.stdout);
    }
  }

  async close(graceMs: number): Promise<void> {
    for (const p of this.pending.splice(0)) p.trial.fail("tunelab: the experiment stopped before the trial could start", false);
    this.groups.failAll("tunelab: the experiment stopped before the trial could start");
    const all = this.hosts.flatMap((h) => [...h.trials.values()].map((t) => t.trial));
    await Promise.all(all.map((t) => t.stop(graceMs)));
    // A lost host that answers again by now still runs what was given up there, or keeps dropped checkpoints: one short try.
    await Promise.all(this.hosts.filter((h) => h.owed).map((h) => this.probeHost(h, 5_000)));
    await this.detach();
  }

  async detach(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await Promise.all(this.hosts.map((h) => h.conn.closeMaster()));
  }

  /** For tests and the drop benchmark: the connection of `host`. */
  connection(host: string): SshConnection | undefined {
    return this.hosts.find((h) => h.spec.host === host)?.conn;
  }

  private newTrial(launch: TrialLaunch, events: TrialEvents, reportsSeen: number, hostName = ""): SshTrial {
    const trial = new SshTrial(launch.trialId, launch.trialDir, hostName, events, {
      stop: (t, graceMs) => this.stopRemote(t, graceMs),
      finish: (t) => this.finishRemote(t),
      fetchCheckpoint: (t, remote) => this.fetchReported(t, remote),
    }, reportsSeen);
    void trial.started.then(() => undefined);
    return trial;
  }

  private place(): void {
    this.groups.place();
    for (let i = 0; i < this.pending.length && !this.closed; ) {
      const p = this.pending[i]!;
      if (p.trial.stopRequested) {
        this.pending.splice(i, 1);
        p.trial.fail("tunelab: stopped before it started", false);
        continue;
      }
      const host = this.hostFor(p);
      if (host === "failed") continue;
      const grant = host?.pool.tryAcquire(p.launch.resources);
      if (!host || !grant) {
        i += 1;
        continue;
      }
      this.pending.splice(i, 1);
      host.trials.set(p.launch.trialDir, { trial: p.trial, grant, resources: p.launch.resources });
      void this.launchOn(host, p, grant);
    }
  }

  /**
   * Where a queued trial goes: the host that holds its restore checkpoint when that one has
   * room (nothing to copy), else the first host with room. A trial whose checkpoint is on a
   * lost host waits for it, at most `hostLostMs`, then fails as retryable: the runner restarts
   * it from its newest checkpoint that `unreachableCheckpoint` accepts, or from scratch. (The
   * runner asks before it starts a trial, so this wait is for callers that do not.)
   */
  private hostFor(p: Pending): Host | undefined | "failed" {
    const sourceName = this.checkpoints.sourceHost(p.launch.env.TUNELAB_RESTORE);
    const source = sourceName === undefined ? undefined : this.hosts.find((h) => h.spec.host === sourceName);
    if (source?.down) {
      p.waitingForSource ??= Date.now();
      if (Date.now() - p.waitingForSource < this.hostLostMs) return undefined;
      this.pending.splice(this.pending.indexOf(p), 1);
      p.trial.fail(`trial ${p.launch.trialId} cannot restart from ${p.launch.env.TUNELAB_RESTORE}: it is on ssh host ${source.spec.host}, which has not answered for ${Math.round((Date.now() - p.waitingForSource) / 1000)} s (${source.lastError || "no answer"}); the trial is marked failed and restarts from its newest checkpoint that can be reached (executor.checkpoints "eager" keeps a copy of each on this machine)`, true);
      return "failed";
    }
    p.waitingForSource = undefined;
    if (source && fits(source.pool, p.launch.resources)) return source;
    return this.hosts.find((h) => !h.down && fits(h.pool, p.launch.resources));
  }

  private checkpointHost(host: Host): CheckpointHost {
    return {
      name: host.name, conn: host.conn,
      get down() {
        return host.down;
      },
      silence: () => `no answer${host.downSince === undefined ? "" : ` for ${Math.round((Date.now() - host.downSince) / 1000)} s`}${host.lastError ? `: ${host.lastError}` : ""}`,
      prepare: () => host.prepare(),
      connect: () => host.conn.connect(),
      workdir: () => host.conn.absolute(host.workdir),
      removeLater: (dir) => void host.removals.push(dir),
    };
  }

  private async launchOn(host: Host, p: Pending, grant: Grant): Promise<void> {
    const { trial, launch } = p;
    (trial as { host: string }).host = host.spec.host;
    try {
      await host.prepare();
      const workdir = host.conn.absolute(host.workdir);
      const dir = `${workdir}/experiments/${basename(dirname(launch.trialDir))}/${basename(launch.trialDir)}/attempt-${launch.attempt ?? 1}`;
      const restore = launch.env.TUNELAB_RESTORE ? await this.checkpoints.stage(this.checkpointHost(host), launch.env.TUNELAB_RESTORE, `${dir}/restore`, launch.trialId) : undefined;
      const env = remoteEnv(host.spec, launch, workdir, dir, grant, restore);
      // The trial's config, also for the ranks > 0 of a distributed trial (their own dirs have none).
      const paramsFile = launch.env.TUNELAB_CONFIG ?? join(launch.trialDir, "params.json");
      const params = existsSync(paramsFile) ? readFileSync(paramsFile, "utf8") : "{}";
      const script = launchScript({ dir, cwd: remotePath(this.opts.syncRoot, launch.cwd, workdir), argv: remoteArgv(this.opts.syncRoot, host.spec, launch.argv, workdir), env, params });
      const r = await host.conn.exec(script, { timeoutMs: 60_000 });
      const started = parseStarted(r.stdout.toString("utf8"));
      if (!started) {
        const why = r.code === 255 ? `ssh failed: ${r.stderr.trim()}` : r.stderr.trim() || `exit ${r.code}`;
        throw Object.assign(new Error(`trial ${launch.trialId} could not start on ssh host ${host.spec.host}: ${why}`), { retryable: r.code === 255 });
      }
      const handle: SshTrialHandle = { kind: "ssh", host: host.spec.host, pid: started.pid, startTime: started.startTime, dir };
      if (trial.exited) {
        // The host was declared lost while the launch was on its way: nobody reads this process.
        host.abandoned.push(handle);
        return;
      }
      trial.markStarted(handle);
      host.waitingSince = undefined;
      if (trial.stopRequested) void this.stopRemote(trial, 0);
      this.ensurePolling();
    } catch (e) {
      const retryable = (e as { retryable?: boolean }).retryable ?? true;
      this.release(host, launch.trialDir, trial);
      trial.fail(e instanceof Error ? e.message : String(e), retryable);
    }
  }

  private async prepareHost(host: Host): Promise<void> {
    await host.conn.connect();
    const workdir = host.conn.absolute(host.workdir);
    await host.conn.sync(this.opts.syncRoot, `${workdir}/code`, this.opts.sync);
    await host.conn.sync(join(pythonPackageDir(), "tunelab"), `${workdir}/python/tunelab`);
  }

  /**
   * Trials are keyed by their local trial dir: the ranks of a distributed trial share one trial id.
   * With `trial`, only that trial's entry goes (a retry may hold the key by now).
   */
  private readonly releaser = (host: Host, key: string, trial: SshTrial): void => this.release(host, key, trial);

  private get hostLostMs(): number {
    return this.opts.hostLostMs ?? 60_000;
  }

  private release(host: Host, key: string, trial?: SshTrial): void {
    const entry = host.trials.get(key);
    if (!entry || (trial && entry.trial !== trial)) return;
    host.trials.delete(key);
    host.pool.release(entry.resources, entry.grant.gpuIds);
    this.place();
  }

  private ensurePolling(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      // Trials waiting for a host to come back give up after a while, even when nothing else moves.
      if (this.pending.some((p) => p.waitingForSource !== undefined)) this.place();
      for (const h of this.hosts) {
        if (h.down) void this.probeHost(h);
        else {
          // Deletes owed from when it was lost (queued while the probe that found it was in flight) or that failed.
          if (h.removals.length > 0) void h.probe(60_000);
          checkLost(h, this.hostLostMs, this.releaser);
          void pollHost(h, this.hostLostMs, this.releaser);
        }
      }
    }, this.opts.pollMs ?? 500);
  }

  /** A lost host that answers a probe again (which also killed what was given up there) takes trials again. */
  private async probeHost(host: Host, timeoutMs = 15_000): Promise<void> {
    if (!(await host.probe(timeoutMs)) || !host.down) return;
    host.down = false;
    host.downSince = undefined;
    host.waitingSince = undefined;
    this.place();
  }

  private async stopRemote(trial: SshTrial, graceMs: number): Promise<void> {
    const h = trial.handle;
    const host = h && this.hosts.find((x) => x.spec.host === h.host);
    if (!h || !host) return;
    await host.conn.exec(stopScript(h.pid, h.startTime, graceMs), { timeoutMs: graceMs + 30_000 });
  }

  private async finishRemote(trial: SshTrial): Promise<string> {
    const h = trial.handle as SshTrialHandle;
    const host = this.hosts.find((x) => x.spec.host === h.host)!;
    await this.fetchLogs(h, trial.trialDir);
    const r = await host.conn.exec(tailScript(`${h.dir}/stderr.log`, TAIL_MAX_BYTES));
    return r.stdout.toString("utf8").split("\n").slice(-50).join("\n").trimEnd();
  }

  /** A reported checkpoint: a placeholder that points at it on the host, or (eager) a local copy. */
  private async fetchReported(trial: SshTrial, remote: string): Promise<string> {
    const handle = trial.handle as SshTrialHandle;
    const dest = join(trial.trialDir, ".fetched", `${basename(remote)}-${++this.checkpointCount}`);
    if ((this.opts.checkpoints ?? "lazy") === "lazy") return this.checkpoints.placeholder(dest, handle.host, remote, handle.dir);
    await this.fetchCheckpoint(handle, remote, dest);
    return dest;
  }
}

/** Whether `req` fits the pool right now, without taking it. */
function fits(pool: ResourcePool, req: TrialResources): boolean {
  const grant = pool.tryAcquire(req);
  if (!grant) return false;
  pool.release(req, grant.gpuIds);
  return true;
}
