/**
 * Runs inside a real VS Code extension host (code-server 1.100.3), with the
 * real `vscode` API, on a workspace holding a shortened digits demo.
 */
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TunelabApi } from "../../../src/extension/extension.ts";
import type { TreeNode } from "../../../src/extension/views/tree-nodes.ts";
import { REMOTE_SCHEME } from "../../../src/extension/fs/remote-fs.ts";
import { tunelab, waitFor, workspaceDir } from "./helpers.ts";

const line = (e: object): string => JSON.stringify(e) + "\n";

describe("Tunelab in a real VS Code", function () {
  let api: TunelabApi;

  before(async () => {
    api = await tunelab();
  });

  // The activation time is printed for the record (about 10 ms on an idle 2-core machine); a bound on it would
  // fail on a loaded one, so the test asserts what activation must have done.
  it("activates on the workspace's tune.config.ts, with every command", async () => {
    console.log(`      activation: ${api.activationMs.toFixed(1)} ms (bundle load ${api.loadMs.toFixed(1)} ms + activate)`);
    assert.ok(api.activationMs > 0 && api.loadMs > 0, "the bundle stamped its load and activation");
    const commands = await vscode.commands.getCommands(true);
    for (const c of ["runTuning", "stopExperiment", "resumeExperiment", "stopTrial", "addTrial", "openDashboard", "copyBestConfig", "openRayResults", "refresh"]) {
      assert.ok(commands.includes(`tunelab.${c}`), `tunelab.${c} is registered`);
    }
  });

  it("shows Run Tuning and Open Dashboard lenses above defineConfig", async () => {
    const doc = await vscode.workspace.openTextDocument(join(workspaceDir(), "tune.config.ts"));
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", doc.uri);
    const titles = lenses.map((l) => l.command?.title ?? "");
    assert.ok(titles.some((t) => t.includes("Run Tuning")) && titles.some((t) => t.includes("Open Dashboard")), titles.join(", "));
  });

  it("tails a journal live: appended events update the experiment row, coalesced", async () => {
    const dir = join(workspaceDir(), ".tunelab", "fixture-2026-01-01_00-00-00");
    mkdirSync(join(dir, "trial_fx_00000", "checkpoint_000001"), { recursive: true });
    writeFileSync(join(dir, "trial_fx_00000", "checkpoint_000001", "model.json"), '{"w": [1, 2]}\n');
    appendFileSync(join(dir, "events.jsonl"), line({ t: "experiment", ts: 1, name: "fixture", seed: 1, configPath: join(workspaceDir(), "tune.config.ts"), metric: "acc", mode: "max" }) + line({ t: "trial", ts: 2, id: "fx_00000", index: 0, config: { lr: 0.1 }, resources: { cpu: 1, gpu: 0 } }));
    const exp = await waitFor(api, () => api.services.experiments.get(dir), 10_000, "the fixture experiment to be found");
    const fired: TreeNode[] = [];
    const sub = api.services.tree.onDidChangeTreeData((n) => n && fired.push(n));
    for (let i = 1; i <= 20; i++) appendFileSync(join(dir, "events.jsonl"), line({ t: "result", ts: 10 + i, id: "fx_00000", r: { acc: i / 20, training_iteration: i } }));
    appendFileSync(join(dir, "events.jsonl"), line({ t: "checkpoint", ts: 40, id: "fx_00000", iteration: 1, path: "trial_fx_00000/checkpoint_000001", score: 0.05 }));
    await waitFor(api, () => exp.state.trials[0]?.checkpoints.length === 1, 10_000, "the checkpoint event");
    await waitFor(api, () => fired.length > 0, 5_000, "a tree refresh");
    sub.dispose();
    assert.ok(fired.length <= 2, `21 appended events refreshed the tree ${fired.length} times`);
    assert.equal(fired[0]?.kind, "experiment", "only the experiment's row is refreshed, not the whole tree");
    const [trialNode] = await api.services.tree.getChildren(api.services.tree.expNode(exp));
    assert.match(String(api.services.tree.getTreeItem(trialNode!).description), /acc=1 · iter 20/);
    const [ckpt] = await api.services.tree.getChildren(trialNode!);
    assert.equal(api.services.tree.getTreeItem(ckpt!).label, "checkpoint 1");
    const [file] = await api.services.tree.getChildren(ckpt!);
    const item = api.services.tree.getTreeItem(file!);
    assert.equal(item.command?.command, "vscode.open");
    const uri = item.command!.arguments![0] as vscode.Uri;
    assert.equal(uri.scheme, REMOTE_SCHEME);
    assert.equal(uri.authority, "", "this machine's files have no authority");
    // An ssh host named "local" is a host like any other: its source serves tunelab-remote://local/…, not this machine's files.
    const onHost = new TextEncoder().encode("on the ssh host named local\n");
    api.fileSystem.ensure("local", () => ({
      stat: () => Promise.resolve({ type: vscode.FileType.File, ctime: 0, mtime: 0, size: onHost.length }),
      readDirectory: () => Promise.resolve([]),
      readFile: () => Promise.resolve(onHost),
    }));
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.equal(doc.getText(), '{"w": [1, 2]}\n');
    const remote = await vscode.workspace.fs.readFile(uri.with({ authority: "local" }));
    assert.equal(new TextDecoder().decode(remote), "on the ssh host named local\n");
    await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(uri, new Uint8Array([1]))), "checkpoint files are read-only");
  });

  it("turns a failed trial's Python traceback into a diagnostic on the file and line it names", async () => {
    const ws = workspaceDir();
    const dir = join(ws, ".tunelab", "failing-2026-01-01_00-00-00");
    mkdirSync(join(dir, "trial_bad_00000"), { recursive: true });
    writeFileSync(join(dir, "trial_bad_00000", "error.txt"), `Traceback (most recent call last):\n  File "${join(ws, "train.py")}", line 130, in train_fn\nZeroDivisionError: division by zero\n`);
    appendFileSync(join(dir, "events.jsonl"), line({ t: "experiment", ts: 1, name: "failing", seed: 1, configPath: join(ws, "tune.config.ts") }) + line({ t: "trial", ts: 2, id: "bad_00000", index: 0, config: {}, resources: { cpu: 1, gpu: 0 } }) + line({ t: "end", ts: 3, id: "bad_00000", status: "ERROR", error: "ZeroDivisionError: division by zero" }));
    const diags = await waitFor(api, () => {
      const d = vscode.languages.getDiagnostics(vscode.Uri.file(join(ws, "train.py")));
      return d.length ? d : undefined;
    }, 10_000, "a diagnostic on train.py");
    assert.equal(diags[0]!.range.start.line, 129);
    assert.match(diags[0]!.message, /trial bad_00000: ZeroDivisionError/);
  });

  it("opens a Ray Tune result dir in the same tree", async () => {
    const dir = join(workspaceDir(), "ray_results", "exp");
    const t = join(dir, "train_fn_ab12c_00000_0_lr=0.1_2024-01-01");
    mkdirSync(join(t, "checkpoint_000002"), { recursive: true });
    writeFileSync(join(dir, "experiment_state-2024-01-01_00-00-00.json"), JSON.stringify({ runner_data: { metric: "mean_accuracy", mode: "max" } }));
    writeFileSync(join(t, "params.json"), '{"lr": 0.1}');
    writeFileSync(join(t, "result.json"), '{"mean_accuracy": 0.75, "training_iteration": 2}\n');
    writeFileSync(join(t, "checkpoint_000002", "state.pkl"), "x");
    const opened = await vscode.commands.executeCommand<string>("tunelab.openRayResults", vscode.Uri.file(dir));
    assert.equal(opened, dir);
    const exp = api.services.experiments.get(dir)!;
    const [trial] = await api.services.tree.getChildren(api.services.tree.expNode(exp));
    assert.match(String(api.services.tree.getTreeItem(trial!).description), /terminated · mean_accuracy=0.75 · iter 2/);
    const [ckpt] = await api.services.tree.getChildren(trial!);
    assert.equal(api.services.tree.getTreeItem(ckpt!).label, "checkpoint 2");
  });

  it("runs the demo from Run Tuning to the end: trials fill in, status bar and best config follow", async () => {
    const dir = await vscode.commands.executeCommand<string | undefined>("tunelab.runTuning", vscode.Uri.file(join(workspaceDir(), "tune.config.ts")));
    assert.ok(dir, "Run Tuning returned the experiment dir");
    const exp = api.services.experiments.get(dir)!;
    await waitFor(api, () => exp.state.trials.length === 2, 30_000, "2 trials in the tree");
    await waitFor(api, () => exp.state.finished, 90_000, "the run to finish");
    assert.equal(exp.state.finished?.outcome, "completed");
    assert.ok(exp.state.trials.every((t) => t.status === "TERMINATED"), exp.state.trials.map((t) => `${t.id} ${t.status} ${t.error ?? ""}`).join("; "));
    api.services.statusBar.update();
    const copied = await vscode.commands.executeCommand<string>("tunelab.copyBestConfig", dir);
    assert.deepEqual(JSON.parse(copied), exp.bestTrial()!.config);
    assert.equal(await vscode.env.clipboard.readText(), copied);
  });

  if (process.env.TUNELAB_EXT_FAIL) it("fails on purpose (TUNELAB_EXT_FAIL is set)", () => assert.fail("deliberate failure"));
});
