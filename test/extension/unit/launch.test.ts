import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launchRunner, LaunchError, parseExperimentDir } from "../../../src/extension/runner/launch.ts";

test("the experiment dir is read from the runner's first line", () => {
  assert.equal(parseExperimentDir("Running digits in /w/.tunelab/digits-2026-01-01_00-00-00\nx"), "/w/.tunelab/digits-2026-01-01_00-00-00");
  assert.equal(parseExperimentDir("Resuming digits in /a b/c\n"), "/a b/c");
  assert.equal(parseExperimentDir("tune.config.ts:3: error: ..."), undefined);
});

test("a detached runner that names its dir resolves; one that exits first rejects with its log", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tl-launch-"));
  try {
    const ok = join(dir, "ok.mjs");
    // A fake CLI: prints the line, then shows which python3 the shim put first on PATH.
    writeFileSync(ok, `import { execFileSync } from "node:child_process"; console.log("Running fake in " + process.argv[2]); console.log(execFileSync("python3", ["-c", "import sys; print(sys.executable)"]).toString().trim());`);
    const launched = await launchRunner({ cli: ok, args: [join(dir, "exp")], cwd: dir, logFile: join(dir, "logs", "a.log"), python: "/usr/bin/python3", shimRoot: join(dir, "shim"), timeoutMs: 10_000 });
    assert.equal(launched.expDir, join(dir, "exp"));
    assert.ok(launched.pid > 0);
    const bad = join(dir, "bad.mjs");
    writeFileSync(bad, `console.error("tune.config.ts:4: error: space.lr: bad"); process.exit(2);`);
    await assert.rejects(
      launchRunner({ cli: bad, args: [], cwd: dir, logFile: join(dir, "logs", "b.log"), python: "python3", shimRoot: join(dir, "shim"), timeoutMs: 10_000 }),
      (e: unknown) => e instanceof LaunchError && e.exitCode === 2 && /space\.lr: bad/.test(e.message),
    );
    // The first runner wrote through the shim: its python3 is a link to the chosen interpreter.
    for (let i = 0; i < 100 && !/python/.test(readFileSync(join(dir, "logs", "a.log"), "utf8").split("\n")[1] ?? ""); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(readFileSync(join(dir, "logs", "a.log"), "utf8"), /shim\/[0-9a-f]{12}\/python3|\/usr\/bin\/python3/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
