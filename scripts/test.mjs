// Runs Node's test runner over every *.test.ts under the given folders (Node 20's --test has no globs).
// Usage: node scripts/test.mjs [--serial] DIR...
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const args = process.argv.slice(2);
const serial = args.includes("--serial");
const dirs = args.filter((a) => !a.startsWith("--"));

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "fixtures" || e.name === "node_modules" ? [] : find(path);
    return e.name.endsWith(".test.ts") ? [path] : [];
  });
}

const files = dirs.flatMap(find).sort();
if (files.length === 0) {
  console.error(`no *.test.ts files under ${dirs.join(", ")}`);
  process.exit(1);
}
const reporter = "spec";
const result = spawnSync(process.execPath, [
  "--import", "tsx", "--test", `--test-reporter=${reporter}`, ...(serial ? ["--test-concurrency=1"] : []), ...files,
], { stdio: "inherit" });
process.exit(result.status ?? 1);
