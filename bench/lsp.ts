/**
 * Language server benchmark: diagnostics latency for a 200-line tune.config.ts,
 * cold (the first didOpen of a fresh process) and warm (p50/p95 over 200
 * edits), and the server's RSS after warm-up. The server is the real bundle
 * (built here with esbuild exactly as the proposed scripts/build.mjs entry),
 * spawned as a process over stdio, with the debounce set to 0 so the figure is
 * the server's own work plus the JSON-RPC round trip. Baseline, measured in
 * the same run: parsing the same text with ts.createSourceFile in this process
 * (the floor no static analysis can beat).
 * Run: node --import tsx bench/lsp.ts [edits]
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import ts from "typescript";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import type { PublishDiagnosticsParams } from "vscode-languageserver";

const EDITS = Number(process.argv[2] ?? 200);
const TARGET_P95_MS = 20;
const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** A realistic 200-line config: every distribution, nested spaces, stoppers, checkpoints. */
function config(variant: number): string {
  const lines = [`import { defineConfig, uniform, quniform, loguniform, randint, qrandint, choice, grid, randn, maxIterations } from "tunelab";`, ""];
  lines.push("const BASE_LR = 1e-3;", "const LAYERS = [64, 128, 256];", "");
  lines.push("export default defineConfig({", '  name: "bench",', '  trainable: { command: ["python3", "train.py", "--epochs", "30"] },', "  space: {");
  const kinds = [
    (i: number) => `    p${i}: loguniform(BASE_LR / ${i + 1}, 0.${i % 9 + 1}),`,
    (i: number) => `    p${i}: uniform(${i % 5 / 10}, ${1 + (i % 3)}),`,
    (i: number) => `    p${i}: choice([${i}, ${i + 1}, "x${i}", true]),`,
    (i: number) => `    p${i}: randint(0, ${10 + i}),`,
    (i: number) => `    p${i}: qrandint(8, ${64 + i * 8}, 8),`,
    (i: number) => `    p${i}: quniform(0, ${i + 1}, 0.25),`,
    (i: number) => `    p${i}: randn(${i}, ${1 + (i % 4)}),`,
    (i: number) => `    p${i}: { width: choice(LAYERS), depth: randint(1, ${4 + (i % 3)}) },`,
  ];
  for (let i = 0; lines.length < 180; i++) lines.push((kinds[i % kinds.length] as (i: number) => string)(i));
  lines.push(`    layers: grid([1, 2, ${3 + variant}]),`, "  },");
  lines.push('  metric: "val_loss",', '  mode: "min",', `  samples: ${4 + (variant % 7)},`, "  concurrency: 2,");
  lines.push("  stop: [maxIterations(30), { val_acc: 0.99 }],", '  checkpoints: { keep: 2, scoreAttr: "val_loss", scoreOrder: "min" },');
  lines.push("  resources: { cpu: 1 },", "  maxFailures: 1,", "  seed: 7,", "});", "");
  while (lines.length < 200) lines.splice(3, 0, `// padding comment ${lines.length}`);
  return lines.join("\n");
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), "tunelab-bench-lsp-"));
  try {
    const outfile = join(work, "server.cjs");
    await build({ entryPoints: [join(root, "src/server/main.ts")], outfile, bundle: true, platform: "node", target: "node20", format: "cjs", logLevel: "warning" });
    const bundleBytes = statSync(outfile).size;
    await build({ entryPoints: [join(root, "src/server/main.ts")], outfile: join(work, "server-no-ts.cjs"), bundle: true, platform: "node", target: "node20", format: "cjs", external: ["typescript"], logLevel: "warning" });
    const bundleNoTsBytes = statSync(join(work, "server-no-ts.cjs")).size;

    const project = join(work, "project");
    mkdirSync(project);
    writeFileSync(join(project, "train.py"), "");
    const file = join(project, "tune.config.ts");
    const uri = pathToFileURL(file).href;
    const text0 = config(0);

    // Baseline: the parse alone, in this (warm) process.
    const parseMs: number[] = [];
    for (let i = 0; i < EDITS; i++) {
      const t = performance.now();
      ts.createSourceFile(file, config(i), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
      parseMs.push(performance.now() - t);
    }

    const spawnedAt = performance.now();
    const child = spawn(process.execPath, [outfile, "--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
    const rpc = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const waiting = new Map<number, (p: PublishDiagnosticsParams) => void>();
    rpc.onNotification("textDocument/publishDiagnostics", (p: PublishDiagnosticsParams) => {
      if (p.uri === uri && p.version !== undefined) waiting.get(p.version)?.(p);
    });
    rpc.listen();
    await rpc.sendRequest("initialize", { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: { gpus: 0, debounceMs: 0 } });
    await rpc.sendNotification("initialized", {});
    const initMs = performance.now() - spawnedAt;

    const diagnosticsFor = (version: number): Promise<PublishDiagnosticsParams> => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for version ${version} within 10 s`)), 10_000);
      waiting.set(version, (p) => { clearTimeout(timer); waiting.delete(version); resolve(p); });
    });

    let t = performance.now();
    const first = diagnosticsFor(1);
    await rpc.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "typescript", version: 1, text: text0 } });
    const cold = await first;
    const coldMs = performance.now() - t;

    const warmMs: number[] = [];
    for (let i = 1; i <= EDITS; i++) {
      const version = i + 1;
      const next = diagnosticsFor(version);
      t = performance.now();
      await rpc.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ text: config(i) }] });
      await next;
      warmMs.push(performance.now() - t);
    }
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? NaN);
    rpc.dispose();
    child.kill();

    const p50 = quantile(warmMs, 0.5);
    const p95 = quantile(warmMs, 0.95);
    const parseP50 = quantile(parseMs, 0.5);
    const figures = {
      lines: text0.split("\n").length,
      edits: EDITS,
      diagnosticsOnOpen: cold.diagnostics.length,
      startToInitializedMs: round(initMs),
      coldMs: round(coldMs),
      warmP50Ms: round(p50),
      warmP95Ms: round(p95),
      parseOnlyP50Ms: round(parseP50),
      warmP50OverParse: round(p50 / parseP50),
      rssMiB: round(rssKb / 1024),
      bundleMiB: round(bundleBytes / 2 ** 20),
      bundleWithoutTypescriptMiB: round(bundleNoTsBytes / 2 ** 20),
      targetWarmP95Ms: TARGET_P95_MS,
      node: process.version,
    };
    console.log(`200-line config, ${EDITS} edits, server over stdio (bundle ${figures.bundleMiB} MiB; ${figures.bundleWithoutTypescriptMiB} MiB without typescript)`);
    console.log(`  start → initialized   ${figures.startToInitializedMs} ms`);
    console.log(`  cold diagnostics      ${figures.coldMs} ms (${figures.diagnosticsOnOpen} diagnostics)`);
    console.log(`  warm diagnostics      p50 ${figures.warmP50Ms} ms, p95 ${figures.warmP95Ms} ms (target p95 < ${TARGET_P95_MS} ms: ${p95 < TARGET_P95_MS ? "met" : "MISSED"})`);
    console.log(`  baseline parse only   p50 ${figures.parseOnlyP50Ms} ms → warm p50 is ${figures.warmP50OverParse}× the parse`);
    console.log(`  server RSS after warm-up  ${figures.rssMiB} MiB`);
    mkdirSync(join(root, "bench/results"), { recursive: true });
    writeFileSync(join(root, "bench/results/lsp.json"), `${JSON.stringify(figures, null, 2)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const round = (x: number): number => Math.round(x * 100) / 100;

await main();
