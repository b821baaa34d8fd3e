/**
 * CLI commands that steer a running experiment through its control API:
 * trials, add, stop (experiment or one trial), pause, resume-trial, events.
 * Output goes to the given streams so tests can read it.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ControlClient, ControlError, type StreamEvent } from "../control/client.ts";
import { formatDiagnostic } from "../space/diagnostics.ts";
import { ExitCode } from "./exit-codes.ts";
import { trialTable } from "./progress.ts";

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const stdio: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/** The exit code for a control failure, with its message (and diagnostics) printed. */
export function reportControlError(e: unknown, io: Io = stdio): ExitCode {
  if (!(e instanceof ControlError)) throw e;
  io.err(`tunelab: ${e.message}\n`);
  for (const d of e.diagnostics) io.err(`  ${d.severity}: ${formatDiagnostic(d)}\n`);
  if (e.kind !== "refused") return ExitCode.NotFound;
  if (e.status === 404) return ExitCode.NotFound;
  if (e.status === 400 || e.status === 409) return ExitCode.BadInput;
  return ExitCode.RunFailed;
}

async function withClient(dir: string, io: Io, act: (client: ControlClient) => Promise<ExitCode>): Promise<ExitCode> {
  try {
    return await act(ControlClient.fromExperimentDir(dir));
  } catch (e) {
    return reportControlError(e, io);
  }
}

/** `tunelab trials <dir> [--json]`: the live trial list from the runner. */
export function trialsCommand(dir: string, json: boolean, io: Io = stdio): Promise<ExitCode> {
  return withClient(dir, io, async (client) => {
    const [experiment, trials] = await Promise.all([client.experiment(), client.trials()]);
    if (json) io.out(`${JSON.stringify(trials, null, 2)}\n`);
    else {
      const counts = Object.entries(experiment.counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s.toLowerCase()}`).join(", ");
      io.out(`${experiment.name}: ${experiment.status}${counts ? ` (${counts})` : ""}\n${trialTable(trials, experiment.metric)}\n`);
    }
    return ExitCode.Ok;
  });
}

/** `tunelab add <dir> --config '<json>' | --config-file f.json`: queue a trial with exactly this config. */
export function addCommand(dir: string, o: { config?: string; configFile?: string }, io: Io = stdio): Promise<ExitCode> {
  if ((o.config === undefined) === (o.configFile === undefined)) {
    io.err("tunelab: give the trial's config with exactly one of --config '<json>' or --config-file <file>\n");
    return Promise.resolve(ExitCode.BadInput);
  }
  let config: unknown;
  const source = o.config !== undefined ? "--config" : resolve(o.configFile ?? "");
  try {
    config = JSON.parse(o.config ?? readFileSync(source, "utf8"));
  } catch (e) {
    io.err(`tunelab: ${source} is not valid JSON: ${(e as Error).message}\n`);
    return Promise.resolve(ExitCode.BadInput);
  }
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    io.err(`tunelab: ${source} must be a JSON object of parameters, e.g. {"lr": 0.01}\n`);
    return Promise.resolve(ExitCode.BadInput);
  }
  return withClient(dir, io, async (client) => {
    const { id } = await client.addTrial(config as Record<string, unknown>);
    io.out(`added trial ${id}; it runs when a slot is free\n`);
    return ExitCode.Ok;
  });
}

/**
 * Asks the runner to stop the experiment (or one trial) through the API.
 * "no-control" means there is no control.json, so the caller may fall back to
 * signalling the runner's pid (runners started before the control API).
 */
export async function stopViaControl(dir: string, trial: string | undefined, io: Io = stdio): Promise<ExitCode | "no-control"> {
  let client: ControlClient;
  try {
    client = ControlClient.fromExperimentDir(dir);
  } catch (e) {
    if (e instanceof ControlError && e.kind === "no-control-file" && trial === undefined) return "no-control";
    return reportControlError(e, io);
  }
  try {
    if (trial === undefined) {
      await client.stopExperiment();
      io.out(`asked the runner to stop; its trials can be resumed with \`tunelab resume ${client.expDir}\`\n`);
    } else {
      await client.stopTrial(trial);
      io.out(`stopped trial ${trial}\n`);
    }
    return ExitCode.Ok;
  } catch (e) {
    return reportControlError(e, io);
  }
}

/** `tunelab pause <dir> --trial ID`. */
export function pauseCommand(dir: string, trial: string, io: Io = stdio): Promise<ExitCode> {
  return withClient(dir, io, async (client) => {
    await client.pauseTrial(trial);
    io.out(`paused trial ${trial}; \`tunelab resume-trial ${dir} --trial ${trial}\` lets it continue from its checkpoint\n`);
    return ExitCode.Ok;
  });
}

/** `tunelab resume-trial <dir> --trial ID`. */
export function resumeTrialCommand(dir: string, trial: string, io: Io = stdio): Promise<ExitCode> {
  return withClient(dir, io, async (client) => {
    await client.resumeTrial(trial);
    io.out(`trial ${trial} will continue when a slot is free\n`);
    return ExitCode.Ok;
  });
}

/** One event as a line a person reads. */
export function formatEvent(e: StreamEvent): string {
  const head = `${e.id === undefined ? "" : `#${e.id} `}${e.type}`;
  switch (e.type) {
    case "trial_added": return `${head} ${e.trial.id} ${JSON.stringify(e.trial.config)}`;
    case "trial_started": return `${head} ${e.trialId} (attempt ${e.attempt})`;
    case "result": return `${head} ${e.trialId} ${JSON.stringify(e.result)}`;
    case "trial_ended": return `${head} ${e.trialId} ${e.status}${e.detail ? `: ${e.detail}` : ""}`;
    case "experiment_ended": return `${head} ${e.outcome}${e.message ? `: ${e.message}` : ""}`;
    case "dropped": return `${head}: ${e.reason}`;
    case "gap": return `${head}: events ${e.from}..${e.to} were missed (${e.message})`;
  }
}

/**
 * `tunelab events <dir> [--json]`: print the live stream until the experiment
 * ends. A stream dropped for reading too slowly is resumed from the last id.
 */
export function eventsCommand(dir: string, o: { json?: boolean; signal?: AbortSignal; onOpen?: () => void }, io: Io = stdio): Promise<ExitCode> {
  return withClient(dir, io, async (client) => {
    let last: number | undefined;
    let ended = false;
    for (let reconnects = 0; !ended && !o.signal?.aborted; reconnects++) {
      if (reconnects > 5) {
        io.err(`tunelab: the event stream of ${client.expDir} kept dropping; giving up\n`);
        return ExitCode.RunFailed;
      }
      let dropped = false;
      try {
        await client.events((e) => {
          if (e.id !== undefined) last = e.id;
          if (e.type === "experiment_ended") ended = true;
          if (e.type === "dropped") dropped = true;
          else io.out(`${o.json ? JSON.stringify(e) : formatEvent(e)}\n`);
        }, o.signal, { ...(last === undefined ? {} : { lastEventId: last }), ...(o.onOpen ? { onOpen: o.onOpen } : {}) });
      } catch (e) {
        if (o.signal?.aborted) return ExitCode.Ok; // Ctrl-C while connecting
        throw e;
      }
      if (!dropped && !ended) {
        io.err(`tunelab: the runner of ${client.expDir} closed the event stream before the experiment ended\n`);
        return o.signal?.aborted ? ExitCode.Ok : ExitCode.Interrupted;
      }
    }
    return ExitCode.Ok;
  });
}
