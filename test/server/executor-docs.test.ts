import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { CompletionItem, Hover } from "vscode-languageserver";
import { SECTIONS } from "../../src/server/docs.ts";
import { EXECUTOR_DOCS, SSH_HOST_DOCS, SSH_SYNC_DOCS, executorDocsAt, executorKind } from "../../src/server/executor-docs.ts";
import { evaluateConfig } from "../../src/server/evaluate.ts";
import { positionOf, startClient, uriOf, type TestClient } from "./harness.ts";

const SSH = `import { defineConfig } from "tunelab";
export default defineConfig({
  trainable: { python: "train:fn" },
  executor: { kind: "ssh", hosts: [{ host: "gpu1", cpus: 8 }], hostLostMs: 30000 },
});
`;
const SLURM = `import { defineConfig } from "tunelab";
export default defineConfig({
  trainable: { python: "train:fn" },
  executor: { kind: "slurm", arrays: false },
});
`;
const SLURM_OPEN = SLURM.replace("arrays: false", "");

/** Every executor key the engine's spec types declare, by kind (src/engine/config.ts). */
const SPEC_KEYS = {
  local: ["kind", "cpus", "gpus"],
  ssh: ["kind", "hosts", "sync", "sshConfig", "hostLostMs", "checkpoints"],
  slurm: ["kind", "partition", "account", "time", "gresPerTrial", "extraArgs", "sharedDir", "cpusPerTrial", "arrays"],
};

const hoverText = (h: Hover | null): string => (h?.contents as { value: string } | undefined)?.value ?? "";

describe("executor keys over LSP", () => {
  let client: TestClient;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "tunelab-lsp-executor-"));
    writeFileSync(join(dir, "train.py"), "");
    client = await startClient();
  });
  after(() => {
    client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("hover on hostLostMs in an ssh executor says when a host is lost and its default", async () => {
    const file = join(dir, "ssh.config.ts");
    await client.open(file, SSH);
    const hover = await client.rpc.sendRequest<Hover | null>("textDocument/hover", { textDocument: { uri: uriOf(file) }, position: positionOf(SSH, "hostLostMs", 3) });
    const text = hoverText(hover);
    assert.match(text, /^\*\*executor\.hostLostMs\*\*/);
    assert.match(text, /host that answers no poll.*is lost/);
    assert.match(text, /Default: 60000/);
  });

  it("hover on arrays in a slurm executor explains job arrays and their default", async () => {
    const file = join(dir, "slurm.config.ts");
    await client.open(file, SLURM);
    const hover = await client.rpc.sendRequest<Hover | null>("textDocument/hover", { textDocument: { uri: uriOf(file) }, position: positionOf(SLURM, "arrays", 2) });
    const text = hoverText(hover);
    assert.match(text, /^\*\*executor\.arrays\*\*/);
    assert.match(text, /one job array \(`sbatch --array`\)/);
    assert.match(text, /Default: true/);
  });

  it("completes slurm keys inside executor: { kind: \"slurm\", | }, without kind again", async () => {
    const file = join(dir, "slurm-open.config.ts");
    await client.open(file, SLURM_OPEN);
    const items = await client.rpc.sendRequest<CompletionItem[]>("textDocument/completion", { textDocument: { uri: uriOf(file) }, position: positionOf(SLURM_OPEN, 'kind: "slurm", ', 15) });
    const byLabel = new Map(items.map((i) => [i.label, i]));
    assert.equal(byLabel.get("arrays")?.insertText, "arrays: ${1|true,false|},");
    assert.equal(byLabel.get("arrays")?.detail, "default: true");
    assert.equal(byLabel.get("sharedDir")?.insertText, 'sharedDir: "${1:/shared/tunelab-jobs}",');
    assert.ok(!byLabel.has("kind"), "kind is already there");
    assert.ok(!byLabel.has("hostLostMs") && !byLabel.has("hosts"), "no ssh keys in a slurm executor");
  });

  it("hover on a host's cpus gives the host's doc, not the local executor's", async () => {
    const file = join(dir, "ssh-host.config.ts");
    await client.open(file, SSH);
    const hover = await client.rpc.sendRequest<Hover | null>("textDocument/hover", { textDocument: { uri: uriOf(file) }, position: positionOf(SSH, "cpus: 8", 1) });
    assert.match(hoverText(hover), /^\*\*executor\.hosts\[0\]\.cpus\*\*/);
    assert.equal(hoverText(hover).includes("`local` executor"), false);
  });
});

describe("executor docs by kind", () => {
  it("document every key the spec types declare, and no other", () => {
    for (const [kind, keys] of Object.entries(SPEC_KEYS)) assert.deepEqual(Object.keys(EXECUTOR_DOCS[kind as keyof typeof SPEC_KEYS]).sort(), [...keys].sort(), kind);
    assert.deepEqual(Object.keys(SSH_HOST_DOCS).sort(), ["address", "cpus", "gpus", "host", "python", "workdir"]);
    assert.deepEqual(Object.keys(SSH_SYNC_DOCS).sort(), ["exclude", "include"]);
    assert.deepEqual(Object.keys(SECTIONS.executor ?? {}).sort(), [...new Set(Object.values(SPEC_KEYS).flat())].sort());
  });

  it("pick the table of the config's kind, so a key means what it means for that kind", () => {
    const ssh = evaluateConfig(SSH).value;
    const slurm = evaluateConfig(SLURM).value;
    assert.equal(executorKind(ssh), "ssh");
    assert.equal(executorKind(slurm), "slurm");
    assert.equal(executorDocsAt(slurm, ["executor"]), EXECUTOR_DOCS.slurm);
    assert.equal(executorDocsAt(ssh, ["executor"])?.hostLostMs, EXECUTOR_DOCS.ssh.hostLostMs);
    assert.equal(executorDocsAt(slurm, ["executor"])?.hostLostMs, undefined, "no ssh key offered in a slurm executor");
    // `cpus` of a host is the host's capacity, not the local executor's machine-wide one.
    assert.equal(executorDocsAt(ssh, ["executor", "hosts", 0])?.cpus, SSH_HOST_DOCS.cpus);
    assert.equal(executorDocsAt(ssh, ["executor", "sync"]), SSH_SYNC_DOCS);
    assert.equal(executorDocsAt(slurm, ["executor", "hosts", 0]), undefined);
    assert.equal(executorDocsAt(ssh, ["resources"]), undefined);
  });

  it("without a known kind, offer every kind's keys, each saying which kinds have it", () => {
    const docs = executorDocsAt({ executor: {} }, ["executor"]);
    assert.equal(docs, SECTIONS.executor);
    assert.match(docs?.cpus?.summary ?? "", /^`local` executor \(ssh: per host, `hosts\[\]\.cpus`; slurm: `cpusPerTrial`\)/);
    assert.match(docs?.arrays?.summary ?? "", /^`slurm` executor: /);
    assert.equal(executorDocsAt({}, ["executor", "hosts", 1]), SSH_HOST_DOCS);
  });
});
