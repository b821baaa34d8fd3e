/** `tunelab run` and `tunelab resume`: drive one experiment in this process, with a live console table. */
import type { PreparedRun } from "../experiment.ts";
import { createExecutor } from "../executors/index.ts";
import { Runner, type RunSummary } from "../runner.ts";
import { readExperimentJson, writeExperimentJson } from "../store/experiment-dir.ts";
import { consoleReporter, bestTrial } from "./progress.ts";
import { formatValue } from "./format.ts";
import { ExitCode } from "./exit-codes.ts";
import { fromUserCallbacks } from "../loggers/callbacks.ts";
import { startControlServer } from "../control/server.ts";
import { RunnerControlAdapter } from "../runner/control.ts";

export interface ExecuteOptions {
  quiet?: boolean;
  out?: NodeJS.WriteStream;
}

/** What the process should exit with after a run. */
export function exitCodeFor(summary: RunSummary): ExitCode {
  if (summary.outcome === "error") return ExitCode.RunFailed;
  if (summary.outcome === "stopped") return ExitCode.Interrupted;
  return summary.errored > 0 ? ExitCode.TrialsFailed : ExitCode.Ok;
}

export async function execute(prepared: PreparedRun, o: ExecuteOptions = {}): Promise<ExitCode> {
  const out = o.out ?? process.stdout;
  const { config, expDir } = prepared;
  for (const w of prepared.warnings) process.stderr.write(`${w}\n`);
  const { executor, capacity } = createExecutor(config, prepared.capacity, { configPath: prepared.configPath });
  let runner: Runner | undefined = undefined;
  const reporter = o.quiet ? undefined : consoleReporter({
    out, metric: config.metric, mode: config.mode,
    total: () => runner?.total, trials: () => runner?.trialViews ?? [],
  });
  const user = config.callbacks?.length ? fromUserCallbacks(config.callbacks, (m) => process.stderr.write(`tunelab: ${m}\n`)) : undefined;
  runner = new Runner({
    config, configPath: prepared.configPath, expDir, seed: prepared.seed, executor,
    capacity, ...(prepared.previous ? { previous: prepared.previous } : {}),
    ...(prepared.previousResults ? { previousResults: prepared.previousResults } : {}),
    callbacks: [...(reporter ? [reporter] : []), ...(user ? [user] : [])],
  });
  // The control API (loopback + token in control.json) lets the CLI and the extension steer this run.
  const control = await startControlServer(new RunnerControlAdapter(runner, config, expDir), expDir);
  const meta = (readExperimentJson(expDir) ?? {}) as Record<string, unknown>;
  writeExperimentJson(expDir, { ...meta, runnerPid: process.pid, state: "running" });
  out.write(`${prepared.previous ? "Resuming" : "Running"} ${config.name ?? "experiment"} in ${expDir}\n`);

  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts += 1;
    if (interrupts === 1) {
      process.stderr.write(`\n${signal}: stopping trials (they resume with \`tunelab resume ${expDir}\`); again to kill now\n`);
      runner?.stop(`interrupted by ${signal}`);
    } else {
      void runner?.kill();
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const onExit = (): void => executor.killAllSync();
  process.on("exit", onExit);
  try {
    const summary = await runner.run();
    await executor.close(2000);
    if (user) await Promise.race([user.settled(), new Promise((r) => setTimeout(r, 10_000).unref())]);
    try {
      writeExperimentJson(expDir, { ...meta, runnerPid: null, state: summary.outcome, endedAt: Date.now() });
    } catch (error) {
      // The summary below still tells what happened (e.g. the experiment dir was deleted under the run).
      process.stderr.write(`tunelab: could not record the outcome in ${expDir}: ${(error as Error).message}\n`);
    }
    out.write(finalSummary(summary, config.metric, config.mode));
    return exitCodeFor(summary);
  } finally {
    await control.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    process.off("exit", onExit);
  }
}

function finalSummary(summary: RunSummary, metric: string | undefined, mode: "min" | "max" | undefined): string {
  const lines = [`\nExperiment ${summary.outcome}${summary.message ? `: ${summary.message}` : ""}.`];
  const done = summary.trials.filter((t) => t.status === "TERMINATED").length;
  lines.push(`${summary.trials.length} trials: ${done} terminated, ${summary.errored} errored.`);
  const best = bestTrial(summary.trials, metric, mode);
  if (best && metric) {
    lines.push(`Best trial ${best.id}: ${metric}=${formatValue(best.lastResult?.[metric])} (iteration ${best.iteration})`);
    lines.push(`Best config: ${JSON.stringify(best.config)}`);
  }
  lines.push(`Results: ${summary.expDir}`);
  return `${lines.join("\n")}\n`;
}
