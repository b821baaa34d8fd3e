#!/usr/bin/env node
// The `tunelab` command: the bundled CLI (built by `npm run build`, which `npm ci` runs too).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const bundle = fileURLToPath(new URL("../dist/cli.mjs", import.meta.url));
if (!existsSync(bundle)) {
  process.stderr.write("tunelab: dist/cli.mjs is missing; run `npm run build` in the Tunelab folder first\n");
  process.exit(2);
}
const { main } = await import(bundle);
process.exitCode = await main(process.argv.slice(2));
