/** Helpers for the extension-host suite: the extension's API, and waiting on its change events. */
import * as vscode from "vscode";
import type { TunelabApi } from "../../../src/extension/extension.ts";

export const EXTENSION_ID = "tunelab.tunelab";

export async function tunelab(): Promise<TunelabApi> {
  const ext = vscode.extensions.getExtension<TunelabApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  return ext.isActive ? ext.exports : ext.activate();
}

/** Resolves once `check()` is truthy, re-checking on each model change (and each second); rejects after `ms` naming `what`. */
export function waitFor<T>(api: TunelabApi, check: () => T | undefined | false, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const tryIt = (): boolean => {
      const v = check();
      if (!v) return false;
      done();
      resolve(v);
      return true;
    };
    const sub = api.services.experiments.onDidChange(() => void tryIt());
    const tick = setInterval(() => void tryIt(), 1000);
    const timer = setTimeout(() => {
      done();
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const done = (): void => {
      sub.dispose();
      clearInterval(tick);
      clearTimeout(timer);
    };
    void tryIt();
  });
}

export const workspaceDir = (): string => {
  const f = vscode.workspace.workspaceFolders?.[0];
  if (!f) throw new Error("the suite needs a workspace folder");
  return f.uri.fsPath;
};
