/**
 * The dashboard's write actions: pin the best config, save it as a new config,
 * refine the space around the top trials. Each shows a diff (vscode.diff of the
 * current tune.config.ts against the proposal) and writes only after the user
 * confirms.
 */
import * as vscode from "vscode";
import { readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { readExperimentJson } from "../../engine/store/experiment-dir.ts";
import { narrowSpace, pinnedSpec, pinPointInSource, refinedSpec, renderConfigSource } from "../../shared/dashboard-refine.ts";
import { topTrials } from "../../shared/dashboard-table.ts";
import type { ActionResult } from "../../shared/dashboard-protocol.ts";
import type { DashboardModel } from "../data/dashboard-model.ts";

const SCHEME = "tunelab-proposal";
const proposals = new Map<string, string>();
let provider: vscode.Disposable | undefined;

/** Registers the read-only document provider that holds proposals for the diff view. */
export function registerProposalProvider(): vscode.Disposable {
  provider ??= vscode.workspace.registerTextDocumentContentProvider(SCHEME, { provideTextDocumentContent: (uri) => proposals.get(uri.toString()) ?? "" });
  return provider;
}

interface ExperimentJson {
  configPath?: string;
  spec?: Record<string, unknown>;
}

function experimentJson(expDir: string): { configPath: string; spec: Record<string, unknown> } {
  const json = readExperimentJson(expDir) as ExperimentJson | undefined;
  if (!json?.configPath || !json.spec) {
    throw new Error(`${expDir}: experiment.json has no configPath/spec (a Ray Tune result dir cannot be written back to a tune.config.ts)`);
  }
  return { configPath: json.configPath, spec: json.spec };
}

/** Shows `proposal` as a diff against `original` (a file, or empty) and asks which file to write. */
async function proposeWrite(original: string, proposal: string, title: string, targets: { label: string; path: string }[]): Promise<ActionResult> {
  registerProposalProvider();
  const uri = vscode.Uri.from({ scheme: SCHEME, path: `/${basename(targets[0]!.path)}`, query: String(Date.now()) });
  proposals.set(uri.toString(), proposal);
  await vscode.commands.executeCommand("vscode.diff", vscode.Uri.file(original), uri, title, { preview: true });
  const pick = await vscode.window.showInformationMessage(`${title}: write it?`, { modal: true }, ...targets.map((t) => t.label));
  proposals.delete(uri.toString());
  const target = targets.find((t) => t.label === pick);
  if (!target) return { ok: false, message: "Nothing written." };
  await writeFile(target.path, proposal);
  await vscode.window.showTextDocument(vscode.Uri.file(target.path), { preview: false });
  return { ok: true, message: `Wrote ${target.path}` };
}

export async function applyConfig(expDir: string, model: DashboardModel, trialId: string, target: "pin" | "newFile"): Promise<ActionResult> {
  const trial = model.state.trials.find((t) => t.id === trialId);
  if (!trial) return { ok: false, message: `trial ${trialId} is not in ${expDir}` };
  const { configPath, spec } = experimentJson(expDir);
  const point = model.summary(trial).config;
  const header = `Tunelab: the config of trial ${trialId} from ${basename(expDir)}, pinned as the first point to evaluate.`;
  const fresh = renderConfigSource(pinnedSpec(spec, point), header);
  if (target === "pin") {
    const source = await readFile(configPath, "utf8").catch(() => undefined);
    const edited = source === undefined ? undefined : pinPointInSource(source, point);
    return proposeWrite(configPath, edited ?? fresh, `Pin trial ${trialId} in ${basename(configPath)}`, [{ label: `Write ${basename(configPath)}`, path: configPath }]);
  }
  const path = join(dirname(configPath), `tune.best-${trialId.replace(/[^\w.-]/g, "_")}.config.ts`);
  return proposeWrite(configPath, fresh, `Best config as ${basename(path)}`, [{ label: `Create ${basename(path)}`, path }]);
}

export async function refineAroundBest(expDir: string, model: DashboardModel, topK: number, widen: number): Promise<ActionResult> {
  const { configPath, spec } = experimentJson(expDir);
  const info = model.info();
  if (!info.metric) return { ok: false, message: "the experiment has no metric, so there is no best to refine around" };
  const summaries = model.state.trials.map((t) => model.summary(t));
  const k = Math.max(1, Math.floor(topK));
  const top = topTrials(summaries, info.metric, info.mode, k);
  if (top.length === 0) return { ok: false, message: `no trial has reported ${info.metric} yet` };
  const narrowed = narrowSpace(info.params, top.map((t) => t.config), { widen });
  const header = `Refined by Tunelab around the top ${top.length} of ${summaries.length} trials of ${basename(expDir)} by ${info.metric} (${info.mode ?? "?"}),\nnumeric ranges widened ×${widen}; categories kept where the top trials used them.`;
  const proposal = renderConfigSource(refinedSpec(spec, narrowed), header);
  const dir = dirname(configPath);
  return proposeWrite(configPath, proposal, `Refine ${basename(configPath)} around the best`, [
    { label: "Save as tune.refined.config.ts", path: join(dir, "tune.refined.config.ts") },
    { label: `Replace ${basename(configPath)}`, path: configPath },
  ]);
}
