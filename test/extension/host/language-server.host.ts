/**
 * The config language server (dist/server.cjs) round trip in a real VS Code: opening a broken
 * tune.config.ts starts the client, the server publishes Tunelab diagnostics, and its quick
 * fixes, applied through the workspace edit API, make them go away.
 */
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tunelab, workspaceDir } from "./helpers.ts";

const BROKEN = `import { defineConfig, uniform } from "tunelab";

export default defineConfig({
  name: "broken",
  trainable: { python: "train:train_fn" },
  space: { lr: uniform(1, 0) },
  metric: "val_acc",
  mode: "max",
  numSamples: 2,
});
`;

const tunelabDiag = (uri: vscode.Uri, code: string): vscode.Diagnostic | undefined =>
  vscode.languages.getDiagnostics(uri).find((d) => d.source === "tunelab" && String(typeof d.code === "object" ? d.code.value : d.code) === code);

/** Resolves once `check()` holds for `uri`'s diagnostics, re-checking on each diagnostics change; rejects after `ms` naming `what`. */
function whenDiagnostics<T>(uri: vscode.Uri, check: () => T | undefined | false, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const tryIt = (): void => {
      const v = check();
      if (!v) return;
      done();
      resolve(v);
    };
    const sub = vscode.languages.onDidChangeDiagnostics((e) => {
      if (e.uris.some((u) => u.toString() === uri.toString())) tryIt();
    });
    const timer = setTimeout(() => {
      done();
      const now = vscode.languages.getDiagnostics(uri).map((d) => `${d.source}/${String(d.code)}: ${d.message}`).join("; ");
      reject(new Error(`timed out after ${ms} ms waiting for ${what}; diagnostics now: ${now || "none"}`));
    }, ms);
    const done = (): void => {
      sub.dispose();
      clearTimeout(timer);
    };
    tryIt();
  });
}

async function applyFix(uri: vscode.Uri, diag: vscode.Diagnostic, title: RegExp): Promise<void> {
  const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>("vscode.executeCodeActionProvider", uri, diag.range);
  const fix = actions.find((a) => title.test(a.title));
  assert.ok(fix?.edit, `a quick fix matching ${title} among: ${actions.map((a) => a.title).join(", ") || "none"}`);
  assert.equal(fix.kind?.value, vscode.CodeActionKind.QuickFix.value);
  assert.ok(await vscode.workspace.applyEdit(fix.edit), `applying "${fix.title}"`);
}

describe("the tune.config.ts language server in a real VS Code", function () {
  before(async () => {
    await tunelab();
  });

  it("publishes reversed-bounds and unknown-key diagnostics whose quick fixes repair the file", async () => {
    const dir = join(workspaceDir(), "lsp-broken");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "tune.config.ts");
    writeFileSync(file, BROKEN);
    const doc = await vscode.workspace.openTextDocument(file);
    const uri = doc.uri;

    // The first open starts the server (a Node process): allow for its start-up.
    const bounds = await whenDiagnostics(uri, () => tunelabDiag(uri, "bounds-reversed"), 30_000, "the bounds-reversed diagnostic");
    assert.equal(bounds.severity, vscode.DiagnosticSeverity.Error);
    assert.match(bounds.message, /lower bound 1 must be below upper bound 0/);
    assert.equal(doc.getText(bounds.range), "uniform(1, 0)");
    const unknown = tunelabDiag(uri, "unknown-key") ?? (await whenDiagnostics(uri, () => tunelabDiag(uri, "unknown-key"), 10_000, "the unknown-key diagnostic"));
    assert.match(unknown.message, /unknown key "numSamples" \(did you mean "samples"\?\)/);
    assert.equal(doc.getText(unknown.range), "numSamples");

    await applyFix(uri, bounds, /^Swap the bounds: uniform\(0, 1\)$/);
    assert.match(doc.getText(), /space: \{ lr: uniform\(0, 1\) \}/);
    await whenDiagnostics(uri, () => !tunelabDiag(uri, "bounds-reversed"), 10_000, "the bounds-reversed diagnostic to go away");

    // The unknown key's range is republished after the edit; ask with the current one.
    const renamed = tunelabDiag(uri, "unknown-key");
    assert.ok(renamed, "the unknown-key diagnostic is still there after the swap");
    await applyFix(uri, renamed, /^Change "numSamples" to "samples"$/);
    assert.match(doc.getText(), /\n {2}samples: 2,\n/);
    await whenDiagnostics(uri, () => !tunelabDiag(uri, "unknown-key") && !tunelabDiag(uri, "bounds-reversed"), 10_000, "the unknown-key diagnostic to go away");
    assert.equal(doc.getText(), BROKEN.replace("uniform(1, 0)", "uniform(0, 1)").replace("numSamples", "samples"));
    await doc.save(); // no unsaved editor left behind for the window's shutdown
  });
});
