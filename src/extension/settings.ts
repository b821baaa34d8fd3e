/** Tunelab's settings, read fresh each time (they may change while the window is open). */
import * as vscode from "vscode";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { TrialOrder } from "./model/experiment.ts";

export interface SshHost {
  name: string;
  host: string;
  user?: string;
  port?: number;
}

export interface SlurmDefaults {
  partition?: string;
  account?: string;
  time?: string;
  extraArgs?: string[];
}

function section(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration("tunelab");
}

/** The interpreter the user set explicitly, if any. */
export function explicitPython(): string | undefined {
  const p = section().get<string>("pythonPath")?.trim();
  return p ? p : undefined;
}

export function trialOrder(): TrialOrder {
  return section().get<TrialOrder>("trialOrder") ?? "best";
}

export function sshHosts(): SshHost[] {
  return (section().get<SshHost[]>("sshHosts") ?? []).filter((h) => typeof h?.host === "string");
}

export function slurmDefaults(): SlurmDefaults | undefined {
  const s = section().get<SlurmDefaults>("slurm");
  return s && Object.keys(s).length > 0 ? s : undefined;
}

/** The storage setting resolved against the first workspace folder; undefined when unset. */
export function storageSetting(): string | undefined {
  const s = section().get<string>("storage")?.trim();
  if (!s) return undefined;
  const base = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return isAbsolute(s) || !base ? s : resolve(base, s);
}

/** Where experiments of `configPath` go: the storage setting, else the config's own `storage: "..."`, else `.tunelab` beside it. */
export function storageFor(configPath: string, configText?: string): string {
  const setting = storageSetting();
  if (setting) return setting;
  const declared = configText ? /\bstorage\s*:\s*["'`]([^"'`]+)["'`]/.exec(configText)?.[1] : undefined;
  if (declared) return isAbsolute(declared) ? declared : resolve(dirname(configPath), declared);
  return join(dirname(configPath), ".tunelab");
}
