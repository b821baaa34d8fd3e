/**
 * Which Python runs the trials: the explicit setting wins, then the
 * interpreter the Python extension (ms-python) has selected, then python3.
 */
import * as vscode from "vscode";
import { explicitPython } from "./settings.ts";

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(env: { path: string }): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  };
}

export async function resolvePython(resource?: vscode.Uri): Promise<{ path: string; source: "setting" | "python-extension" | "default" }> {
  const explicit = explicitPython();
  if (explicit) return { path: explicit, source: "setting" };
  const ext = vscode.extensions.getExtension<PythonExtensionApi>("ms-python.python");
  if (ext) {
    try {
      const api = ext.isActive ? ext.exports : await ext.activate();
      const envs = api?.environments;
      if (envs) {
        const env = await envs.resolveEnvironment(envs.getActiveEnvironmentPath(resource));
        const path = env?.executable.uri?.fsPath;
        if (path) return { path, source: "python-extension" };
      }
    } catch {
      // The Python extension failed or has another API shape: fall back quietly.
    }
  }
  return { path: "python3", source: "default" };
}
