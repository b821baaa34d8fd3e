/**
 * The mocha entry VS Code's extension host loads (`extensionTestsPath`), in
 * code-server (scripts/code-server/run-ext-tests.mjs) or desktop VS Code
 * (test/extension/electron.mjs). Rejects when any test fails.
 */
import Mocha from "mocha";
import { readdirSync } from "node:fs";
import { join } from "node:path";

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: "bdd", color: false, timeout: 60_000, reporter: "spec" });
  for (const f of readdirSync(__dirname).filter((n) => n.endsWith(".host.cjs")).sort()) mocha.addFile(join(__dirname, f));
  return new Promise((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} test(s) failed`)) : resolve()));
  });
}
