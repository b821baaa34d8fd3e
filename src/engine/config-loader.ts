/**
 * Loads a tune.config.ts without type-checking: esbuild bundles it (so its
 * relative imports come along), `import ... from "tunelab"` is mapped to the
 * running engine's own API, and the result is imported from a temp file.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Message, type Plugin } from "esbuild";
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

const tunelabModule: Plugin = {
  name: "tunelab-api",
  setup(b) {
    b.onResolve({ filter: /^tunelab$/ }, () => ({ path: "tunelab", namespace: "tunelab-api" }));
    b.onLoad({ filter: /.*/, namespace: "tunelab-api" }, () => ({
      loader: "js",
      contents: [
        `const api = globalThis[Symbol.for("tunelab.api")];`,
        ...Object.keys(api).map((name) => `export const ${name} = api.${name};`),
      ].join("\n"),
    }));
  },
};

function formatMessage(m: Message): string {
  const at = m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ` : "";
  return `${at}${m.text}`;
}

/** Evaluates `file` and returns its default export. */
export async function loadConfig(file: string): Promise<TuneConfig> {
  const path = resolve(file);
  try {
    readFileSync(path);
  } catch (e) {
    throw new ConfigError(path, [`cannot read the config: ${(e as NodeJS.ErrnoException).code ?? String(e)}`]);
  }
  let code: string;
  try {
    const out = await build({
      entryPoints: [path],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      write: false,
      sourcemap: "inline",
      logLevel: "silent",
      absWorkingDir: dirname(path),
      plugins: [tunelabModule],
      define: { "import.meta.dirname": JSON.stringify(dirname(path)), "import.meta.filename": JSON.stringify(path) },
    });
    code = out.outputFiles[0]!.text;
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors;
    throw new ConfigError(path, errors?.length ? errors.map(formatMessage) : [String(e)]);
  }
  (globalThis as Record<symbol, unknown>)[API_KEY] = api;
  process.setSourceMapsEnabled(true);
  const dir = mkdtempSync(join(tmpdir(), "tunelab-config-"));
  const out = join(dir, "tune.config.mjs");
  writeFileSync(out, code);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(out).href)) as { default?: unknown };
  } catch (e) {
    throw new ConfigError(path, [`evaluating the config threw: ${e instanceof Error ? e.message : String(e)}`]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
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
