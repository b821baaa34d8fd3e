/**
 * The corpus of broken configs: each file under test/fixtures/configs states
 * its exact expected diagnostics (code, severity, message, range) in marker
 * comments (markers.ts), and the server must publish exactly those.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseMarkers } from "./markers.ts";
import { startClient, type TestClient } from "./harness.ts";

const DIR = join(import.meta.dirname, "..", "fixtures", "configs");
const cases = readdirSync(DIR).filter((f) => f.endsWith(".ts")).sort();

describe("fixture configs get exactly their marked diagnostics", () => {
  let client: TestClient;
  // One GPU, so the GPU rule is exercised without nvidia-smi.
  before(async () => { client = await startClient({ gpus: 1 }); });
  after(() => client.close());

  it("has a corpus", () => assert.ok(cases.length >= 15, `only ${cases.length} fixtures`));

  for (const name of cases) {
    it(name.replace(/\.ts$/, ""), async () => {
      const text = readFileSync(join(DIR, name), "utf8");
      const got = (await client.open(join(DIR, name), text)).map((d) => ({
        range: d.range, severity: d.severity === 1 ? "error" : "warning", code: String(d.code), message: d.message,
      }));
      const order = (a: { range: { start: { line: number; character: number } }; code: string }): string =>
        `${String(a.range.start.line).padStart(5, "0")}:${String(a.range.start.character).padStart(5, "0")}:${a.code}`;
      assert.deepEqual(got.sort((a, b) => order(a).localeCompare(order(b))), parseMarkers(text).sort((a, b) => order(a).localeCompare(order(b))));
    });
  }
});
