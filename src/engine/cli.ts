/**
 * The `tunelab` command line. Every command prints what a person needs and
 * exits with a code from cli/exit-codes.ts.
 */
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { ConfigError } from "./config-loader.ts";
import { prepareResume, prepareRun } from "./experiment.ts";
import { execute } from "./cli/run.ts";
import { bestCommand, exportCommand, lsCommand, statusCommand, stopCommand } from "./cli/inspect.ts";
import { ExitCode } from "./cli/exit-codes.ts";
import { checkpointCatCommand, checkpointFetchCommand, checkpointLsCommand, type FetchOptions } from "./cli/checkpoint.ts";
import { addCommand, eventsCommand, pauseCommand, resumeTrialCommand, stopViaControl, trialsCommand } from "./cli/control.ts";

const int = (name: string) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer, got "${value}"`);
  return n;
};

function program(setCode: (c: number) => void): Command {
  const cli = new Command("tunelab")
    .description("Hyperparameter tuning: run, resume and inspect experiments.")
    .exitOverride()
    .showHelpAfterError();

  cli.command("run")
    .description("run the experiment a tune.config.ts describes")
    .argument("<config>", "path to tune.config.ts")
    .option("--storage <dir>", "where experiment dirs go (default: the config's `storage`, else .tunelab next to it)")
    .option("--name <name>", "experiment name (default: the config's `name`)")
    .option("--seed <n>", "random seed", int("--seed"))
    .option("--samples <n>", "override `samples`", int("--samples"))
    .option("--concurrency <n>", "override `concurrency`", int("--concurrency"))
    .option("-q, --quiet", "no progress output")
    .action(async (config: string, o: { storage?: string; name?: string; seed?: number; samples?: number; concurrency?: number; quiet?: boolean }) => {
      setCode(await execute(await prepareRun(config, o), { quiet: o.quiet ?? false }));
    });

  cli.command("resume")
    .description("continue an interrupted experiment: unfinished trials restart from their latest checkpoints")
    .argument("<experiment-dir>")
    .option("-q, --quiet", "no progress output")
    .action(async (dir: string, o: { quiet?: boolean }) => {
      const prepared = await prepareResume(dir);
      if (prepared.previous?.finished?.outcome === "completed") {
        process.stdout.write(`${dir}: the experiment already completed; nothing to resume.\n`);
        return;
      }
      setCode(await execute(prepared, { quiet: o.quiet ?? false }));
    });

  cli.command("ls")
    .description("list experiments in a storage dir")
    .argument("[storage]", "storage dir", ".tunelab")
    .option("--json", "machine-readable output")
    .action(async (storage: string, o: { json?: boolean }) => setCode(await lsCommand(storage, o.json ?? false)));

  cli.command("status")
    .description("trials of an experiment, with their state and metric")
    .argument("<experiment-dir>")
    .option("--json", "machine-readable output")
    .action(async (dir: string, o: { json?: boolean }) => setCode(await statusCommand(dir, o.json ?? false)));

  cli.command("best")
    .description("the best trial's config and result")
    .argument("<experiment-dir>")
    .option("--metric <name>", "metric to rank by (default: the experiment's)")
    .option("--mode <mode>", "min or max (default: the experiment's)")
    .option("--json", "print only the best config as JSON")
    .action(async (dir: string, o: { metric?: string; mode?: string; json?: boolean }) => setCode(await bestCommand(dir, o)));

  const checkpoint = cli.command("checkpoint")
    .description("checkpoints an ssh experiment kept on its hosts: fetch them home, or list and read them in place");
  checkpoint.command("fetch")
    .description("bring remote checkpoints' files home into their placeholders (default: the best trial's latest)")
    .argument("<experiment-dir>")
    .argument("[checkpoint-dir...]", "particular checkpoint dirs (absolute, or relative to the experiment dir)")
    .option("--trial <id>", "this trial's latest checkpoint (with --all: every one it kept)")
    .option("--all", "every kept checkpoint (of --trial, else of every trial)")
    .option("--best", "the best trial's latest checkpoint (the default)")
    .option("--json", "machine-readable output")
    .action(async (dir: string, paths: string[], o: FetchOptions) => setCode(await checkpointFetchCommand(dir, paths, o)));
  checkpoint.command("ls")
    .description("what a path on one of the experiment's ssh hosts is: a dir's entries, or a file's size")
    .argument("<experiment-dir>")
    .argument("<host>", "an ssh host of the experiment's executor.hosts")
    .argument("<path>", "absolute path on that host")
    .option("--json", "machine-readable output: { type, size, mtime, entries? }")
    .action(async (dir: string, host: string, path: string, o: { json?: boolean }) => setCode(await checkpointLsCommand(dir, host, path, o)));
  checkpoint.command("cat")
    .description("print a file on one of the experiment's ssh hosts")
    .argument("<experiment-dir>")
    .argument("<host>")
    .argument("<path>")
    .action(async (dir: string, host: string, path: string) => setCode(await checkpointCatCommand(dir, host, path)));

  cli.command("export")
    .description("every trial's config and last result as CSV or JSON")
    .argument("<experiment-dir>")
    .option("--format <format>", "csv or json", "csv")
    .option("-o, --output <file>", "write to a file instead of stdout")
    .action(async (dir: string, o: { format: string; output?: string }) => setCode(await exportCommand(dir, o)));

  cli.command("stop")
    .description("stop a running experiment gracefully (its trials can be resumed), or one trial with --trial")
    .argument("<experiment-dir>")
    .option("--trial <id>", "stop only this trial")
    .action(async (dir: string, o: { trial?: string }) => {
      const r = await stopViaControl(dir, o.trial);
      setCode(r === "no-control" ? await stopCommand(dir) : r);
    });

  cli.command("trials")
    .description("live trial list of a running experiment (through its control API)")
    .argument("<experiment-dir>")
    .option("--json", "machine-readable output")
    .action(async (dir: string, o: { json?: boolean }) => setCode(await trialsCommand(dir, o.json ?? false)));

  cli.command("add")
    .description("queue a trial with exactly this config in a running experiment")
    .argument("<experiment-dir>")
    .option("--config <json>", "the trial's config as JSON")
    .option("--config-file <file>", "a JSON file with the config")
    .action(async (dir: string, o: { config?: string; configFile?: string }) => setCode(await addCommand(dir, o)));

  cli.command("pause")
    .description("pause a running trial (it resumes from its latest checkpoint with resume-trial)")
    .argument("<experiment-dir>")
    .requiredOption("--trial <id>", "trial id")
    .action(async (dir: string, o: { trial: string }) => setCode(await pauseCommand(dir, o.trial)));

  cli.command("resume-trial")
    .description("let a paused trial run again")
    .argument("<experiment-dir>")
    .requiredOption("--trial <id>", "trial id")
    .action(async (dir: string, o: { trial: string }) => setCode(await resumeTrialCommand(dir, o.trial)));

  cli.command("events")
    .description("print a running experiment's live events until it ends")
    .argument("<experiment-dir>")
    .option("--json", "one JSON object per line")
    .action(async (dir: string, o: { json?: boolean }) => {
      const ac = new AbortController();
      process.once("SIGINT", () => ac.abort());
      setCode(await eventsCommand(dir, { json: o.json ?? false, signal: ac.signal }));
    });

  return cli;
}

/** Runs the CLI with `argv` (without node and script) and resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let code = 0;
  try {
    await program((c) => (code = c)).parseAsync([...argv], { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : ExitCode.BadInput;
    if (e instanceof ConfigError) {
      process.stderr.write(`tunelab: invalid config ${e.message}\n`);
      return ExitCode.BadInput;
    }
    process.stderr.write(`tunelab: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return ExitCode.RunFailed;
  }
}

const isEntry = process.argv[1] !== undefined && /[\\/]cli\.(?:ts|mjs)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => { process.stderr.write(`tunelab: ${String(e)}\n`); process.exitCode = ExitCode.RunFailed; },
  );
}
