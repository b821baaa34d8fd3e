// Node module hooks that let tune.config.ts load with no build step and no node_modules:
// TypeScript files are transpiled (types stripped by sucrase, which keeps line numbers, so
// errors point at the user's lines) and `import ... from "tunelab"` resolves to the running
// engine's own API. Registered once per process by config-loader.ts; runs on Node's hooks thread.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";
import { transform } from "sucrase";

const API_URL = "tunelab:api";
const TS_FILE = /\.m?tsx?$/;
let names = [];

/** @param {{ names?: string[] } | undefined} data the public API's export names */
export function initialize(data) {
  names = data?.names ?? [];
}

export async function resolve(specifier, context, next) {
  if (specifier === "tunelab") return { url: API_URL, shortCircuit: true };
  try {
    return await next(specifier, context);
  } catch (error) {
    // Inside TypeScript files, accept what bundlers accept: "./lib" and "./lib.js" for ./lib.ts.
    const relative = specifier.startsWith("./") || specifier.startsWith("../");
    if (!relative || !context.parentURL || !TS_FILE.test(new URL(context.parentURL).pathname)) throw error;
    const base = specifier.replace(/\.js$/, "");
    for (const candidate of [`${base}.ts`, `${base}.mts`, `${base}/index.ts`]) {
      try {
        return await next(candidate, context);
      } catch {
        // try the next spelling
      }
    }
    throw error;
  }
}

export async function load(url, context, next) {
  if (url === API_URL) {
    const lines = [`const api = globalThis[Symbol.for("tunelab.api")];`, ...names.map((n) => `export const ${n} = api.${n};`)];
    return { format: "module", source: lines.join("\n"), shortCircuit: true };
  }
  if (!url.startsWith("file:") || !TS_FILE.test(new URL(url).pathname)) return next(url, context);
  const path = fileURLToPath(url);
  const source = await readFile(path, "utf8");
  let code;
  try {
    ({ code } = transform(source, { transforms: ["typescript"], filePath: path, keepUnusedImports: false }));
  } catch (error) {
    const loc = error && error.loc;
    const reason = String(error && error.message).replace(/^Error transforming [^:]*: /, "").replace(/ \(\d+:\d+\)$/, "");
    throw new SyntaxError(loc ? `${path}:${loc.line}:${loc.column + 1}: ${reason}` : `${path}: ${reason}`, { cause: error });
  }
  checkSyntax(source, path);
  return { format: "module", source: code, shortCircuit: true };
}

const WRAPPER = "(async function (exports, require, module) {";

/**
 * Node reports an ES module's syntax error without its line, so the file is also compiled
 * (not run) as a script, whose errors carry the line and a caret: the user gets file:line:col.
 */
function checkSyntax(source, path) {
  const { code } = transform(source, { transforms: ["typescript", "imports"], filePath: path });
  try {
    new Script(`${WRAPPER}${code}\n})`, { filename: path });
  } catch (error) {
    if (!(error instanceof SyntaxError)) return;
    const [where = "", , caret = ""] = String(error.stack).split("\n");
    const line = Number(/:(\d+)$/.exec(where)?.[1] ?? 0);
    let column = caret.indexOf("^") + 1;
    if (line === 1) column -= WRAPPER.length;
    throw new SyntaxError(line ? `${path}:${line}:${Math.max(1, column)}: ${error.message}` : `${path}: ${error.message}`, { cause: error });
  }
}
