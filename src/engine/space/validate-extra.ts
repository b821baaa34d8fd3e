/**
 * Rules added for the language server that apply to the runner too; one call
 * so validateConfig can take them all in (see docs/language-server.md).
 */
import type { Diagnostic } from "./diagnostics.ts";
import { isDynamic } from "./diagnostics.ts";
import { validateObjective } from "./validate-objective.ts";
import { validatePythonModule, type FileExists } from "./validate-python.ts";
import { validateScale } from "./validate-scale.ts";
import { isPlainObject } from "./variants.ts";

/** The rules of validate-objective, validate-scale and validate-python over a whole config. */
export function validateExtra(config: unknown, env: { fileExists?: FileExists } = {}): Diagnostic[] {
  if (!isPlainObject(config) || isDynamic(config)) return [];
  return [
    ...validateObjective(config),
    ...(isPlainObject(config.space) ? validateScale(config.space, ["space"]) : []),
    ...validatePythonModule(config, env.fileExists),
  ];
}
