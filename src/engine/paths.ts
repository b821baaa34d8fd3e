/** Where Tunelab's own files are, whether run from source (tsx) or from dist/. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

/** The package root (the folder with Tunelab's package.json). */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, "utf8")) as { name?: string }).name === "tunelab") return (cached = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error(`Tunelab: cannot find its package root above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** The stdlib-only Python package, put on PYTHONPATH for every Python trial. */
export const pythonPackageDir = (): string => join(packageRoot(), "python");
