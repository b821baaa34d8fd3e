/**
 * Loads a tune.config.ts without type-checking: module hooks (config-hooks.mjs) strip the
 * types of it and of the TypeScript files it imports, and map `import ... from "tunelab"`
 * to the running engine's own API, so a workspace needs no node_modules and no build step.
 */
import { readFileSync } from "node:fs";
import { register } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as api from "./index.ts";
import type { TuneConfig } from "./config.ts";

const API_KEY = Symbol.for("tunelab.api");

/** A config that could not be loaded, with every problem located in the file. */
export class ConfigError extends Error {
  constructor(readonly file: string, readonly problems: readonly string[]) {
    super(`${file} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

let registered = false;
let loads = 0;

function registerHooks(): void {
  if (registered) return;
  registered = true;
  (globalThis as Record<symbol, unknown>)[API_KEY] = api;
  register(new URL("./config-hooks.mjs", import.meta.url), { data: { names: Object.keys(api) } });
}

/** Evaluates `file` and returns its default export. */
export async function loadConfig(file: string): Promise<TuneConfig> {
  const path = resolve(file);
  try {
    readFileSync(path);
  } catch (e) {
    throw new ConfigError(path, [`cannot read the config: ${(e as NodeJS.ErrnoException).code ?? String(e)}`]);
  }
  registerHooks();
  let mod: { default?: unknown };
  try {
    // A fresh URL each time, so a changed config is evaluated again in the same process.
    mod = (await import(`${pathToFileURL(path).href}?load=${++loads}`)) as { default?: unknown };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // Syntax errors from the hooks already say file:line:column.
    throw new ConfigError(path, [/^\/.*:\d+:\d+: /.test(message) ? message : `evaluating the config threw: ${message}`]);
  }
  const config = mod.default;
  if (typeof config !== "object" || config === null) {
    throw new ConfigError(path, ["the config must `export default defineConfig({...})`"]);
  }
  return config as TuneConfig;
}

/**
 * Best-effort line of a key path in the config source, for error messages
 * (the language server has exact ranges from the syntax tree).
 */
export function locateKeyPath(source: string, path: readonly (string | number)[]): number | undefined {
  let from = source.search(/defineConfig\s*\(/);
  if (from < 0) from = 0;
  let found = -1;
  for (const key of path) {
    if (typeof key === "number") continue;
    const re = new RegExp(`(?:^|[\\s{,])["']?${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}["']?\\s*:`, "g");
    re.lastIndex = from;
    const m = re.exec(source);
    if (!m) break;
    found = m.index + m[0].length;
    from = found;
  }
  return found < 0 ? undefined : source.slice(0, found).split("\n").length;
}
