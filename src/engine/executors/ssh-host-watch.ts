/**
 * Watching an ssh host: ONE poll command reads every trial's liveness, exit code and new
 * report bytes; a host whose oldest unanswered poll is `hostLostMs` old is lost, and its trials
 * fail as retryable (docs/executors.md, "Hosts that go away").
 */
import { parsePollOutput, pollScript, type PollTarget } from "./remote-scripts.ts";
import type { SshHost } from "./ssh-host.ts";
import type { SshTrial } from "./ssh-trial.ts";

/** Gives back what `trial` held on `host` (its entry keyed by local trial dir) and places waiting trials. */
export type Release = (host: SshHost, key: string, trial: SshTrial) => void;

/** One poll of every started trial on `host`; reports and exits go to the trials. */
export async function pollHost(host: SshHost, hostLostMs: number, release: Release): Promise<void> {
  if (host.polling || host.down) return;
  const live = [...host.trials.values()].filter((t) => t.trial.handle && !t.trial.exited);
  if (live.length === 0) {
    host.waitingSince = undefined;
    return;
  }
  host.polling = true;
  host.waitingSince ??= Date.now();
  try {
    const targets: PollTarget[] = live.map(({ trial }, i) => ({ id: String(i), dir: trial.handle!.dir, pid: trial.handle!.pid, startTime: trial.handle!.startTime, offset: trial.offset }));
    const r = await host.conn.exec(pollScript(targets), { timeoutMs: 30_000 });
    // An answer that comes after the host was declared lost belongs to trials already given up.
    if (host.down) return;
    if (r.code !== 0) {
      host.lastError = r.stderr.trim() || `ssh exit ${r.code}`;
      return checkLost(host, hostLostMs, release);
    }
    host.waitingSince = undefined;
    for (const entry of parsePollOutput(r.stdout)) {
      const t = live[Number(entry.id)]?.trial;
      if (!t || t.exited) continue;
      t.onPoll(entry);
      if (t.exited) void t.stop(0).then(() => release(host, t.trialDir, t));
    }
  } finally {
    host.polling = false;
  }
}

/**
 * A host whose oldest unanswered poll is `hostLostMs` old is lost, even while that poll still
 * hangs (a silent network drop stalls ssh for ServerAliveInterval x CountMax before it fails):
 * its trials fail as retryable and no trial goes there until it answers again.
 */
export function checkLost(host: SshHost, hostLostMs: number, release: Release): void {
  const now = Date.now();
  if (!host.lost(now, hostLostMs)) return;
  const since = host.waitingSince!;
  host.down = true;
  host.downSince = since;
  const why = host.lastError || "no answer";
  for (const { trial } of [...host.trials.values()]) {
    if (trial.handle) host.abandoned.push(trial.handle);
    release(host, trial.trialDir, trial);
    trial.fail(`ssh host ${host.spec.host} has not answered for ${Math.round((now - since) / 1000)} s (${why}); trial ${trial.trialId} is marked failed and can be retried elsewhere`, true);
  }
  host.waitingSince = undefined;
}
