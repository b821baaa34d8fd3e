/**
 * Control requests to a running experiment: through the control API
 * (`<expDir>/control.json`), with fallbacks while a runner has none.
 */
import { ControlClient, ControlError } from "../../engine/control/client.ts";
import type { Experiment } from "../model/experiment.ts";

/** Stops the experiment gracefully (it stays resumable). */
export async function stopExperiment(exp: Experiment, cli: string): Promise<string> {
  try {
    await ControlClient.fromExperimentDir(exp.dir).stopExperiment();
    return `Stopping ${exp.name}…`;
  } catch (e) {
    if (!(e instanceof ControlError) || e.kind !== "no-control-file") throw e;
  }
  // Runners without the control API: `tunelab stop` signals the runner pid in experiment.json.
  const { execa } = await import("execa");
  const r = await execa(process.execPath, [cli, "stop", exp.dir], { env: { ELECTRON_RUN_AS_NODE: "1" }, reject: false });
  if (r.exitCode !== 0) throw new Error(`Tunelab: could not stop ${exp.name}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout.trim() || `Stopping ${exp.name}…`;
}

/** Stops one trial. Without a control API, the trial's process group gets SIGTERM and the runner records it as ended by a signal. */
export async function stopTrial(exp: Experiment, id: string): Promise<string> {
  try {
    await ControlClient.fromExperimentDir(exp.dir).stopTrial(id);
    return `Stopping trial ${id}…`;
  } catch (e) {
    if (!(e instanceof ControlError) || e.kind !== "no-control-file") throw e;
  }
  const trial = exp.state.trials[exp.state.positions.get(id) ?? -1];
  if (!trial || trial.status !== "RUNNING" || trial.pid === undefined) throw new Error(`Tunelab: trial ${id} of ${exp.name} is not running`);
  try {
    process.kill(-trial.pid, "SIGTERM");
  } catch {
    process.kill(trial.pid, "SIGTERM");
  }
  return `Sent SIGTERM to trial ${id} (pid ${trial.pid}); this runner has no control API, so it records the trial as ended by a signal.`;
}

/** Queues a trial with `config`; the runner checks it against the search space. */
export async function addTrial(exp: Experiment, config: Record<string, unknown>): Promise<string> {
  try {
    const { id } = await ControlClient.fromExperimentDir(exp.dir).addTrial(config);
    return id;
  } catch (e) {
    if (e instanceof ControlError) {
      const details = e.diagnostics.map((d) => `${d.path.join(".")}: ${d.message}`).join("; ");
      const why = e.kind === "no-control-file" ? `${exp.name} has no control API (is it running?)` : e.message;
      throw new Error(`Tunelab: could not add a trial to ${exp.name}: ${why}${details ? ` (${details})` : ""}`, { cause: e });
    }
    throw e;
  }
}
