/**
 * The ssh executor's keys in tune.config.ts (hostLostMs, checkpoints, hosts[].address): what
 * validation says about bad values, and that createExecutor hands them to the executor.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateConfig, type Diagnostic } from "../../../src/engine/space/validate.ts";
import { createExecutor, sshConfigPath } from "../../../src/engine/executors/index.ts";
import type { TuneConfig } from "../../../src/engine/config.ts";

const base = { trainable: { command: ["python", "train.py"] } };
const ssh = (extra: object, host: object = {}) => ({ ...base, executor: { kind: "ssh", hosts: [{ host: "gpu1", cpus: 2, ...host }], ...extra } });
const brief = (ds: Diagnostic[]): string[] => ds.map((x) => `${x.severity} ${x.code} ${JSON.stringify(x.path)}`);

test("valid hostLostMs, checkpoints and address have no diagnostics", () => {
  assert.deepEqual(brief(validateConfig(ssh({ hostLostMs: 30_000, checkpoints: "eager" }, { address: "10.0.0.5" }))), []);
  assert.deepEqual(brief(validateConfig(ssh({ checkpoints: "lazy" }, { address: "gpu1.cluster.local" }))), []);
});

test("a host listed twice is an error on the second entry, naming the first", () => {
  const config = { ...base, executor: { kind: "ssh", hosts: [{ host: "gpu1", cpus: 2 }, { host: "gpu2", cpus: 2 }, { host: "gpu1", cpus: 4 }] } };
  const ds = validateConfig(config).filter((d) => d.severity === "error");
  assert.deepEqual(brief(ds), ['error ssh-host-duplicate ["executor","hosts","2","host"]']);
  assert.match(ds[0]!.message, /executor\.hosts\[2\]\.host "gpu1" is listed already as executor\.hosts\[0\]/);
});

test("bad values are errors that name the key", () => {
  const cases: [object, object, string, RegExp][] = [
    [{ hostLostMs: -1 }, {}, '["executor","hostLostMs"]', /executor\.hostLostMs must be a number of milliseconds ≥ 2000/],
    [{ hostLostMs: "60s" }, {}, '["executor","hostLostMs"]', /got "60s"/],
    [{ hostLostMs: 100 }, {}, '["executor","hostLostMs"]', /≥ 2000/],
    [{ checkpoints: "lazzy" }, {}, '["executor","checkpoints"]', /executor\.checkpoints must be "lazy" .* or "eager"/],
    [{}, { address: "" }, '["executor","hosts","0","address"]', /executor\.hosts\[0\]\.address must be a host name or IP address/],
    [{}, { address: "10.0.0.5; rm -rf /" }, '["executor","hosts","0","address"]', /reach gpu1 by/],
    [{}, { workdir: 3 }, '["executor","hosts","0","workdir"]', /workdir must be a string/],
  ];
  for (const [extra, host, path, message] of cases) {
    const ds = validateConfig(ssh(extra, host)).filter((d) => d.severity === "error");
    assert.equal(ds.length, 1, JSON.stringify(ds));
    assert.equal(JSON.stringify(ds[0]!.path), path);
    assert.match(ds[0]!.message, message);
  }
  const typo = validateConfig(ssh({ checkpoints: "eagr" }))[0]!;
  assert.equal(typo.data?.suggestion, "eager");
  const unknown = validateConfig(ssh({ hostLost: 5000 }))[0]!;
  assert.equal(unknown.code, "unknown-key");
});

test("createExecutor hands hostLostMs and checkpoints to the ssh executor", async () => {
  const config = ssh({ hostLostMs: 12_345, checkpoints: "eager" }) as unknown as TuneConfig;
  const { executor } = createExecutor(config, { cpus: 1, gpus: 0 }, { configPath: "/tmp/tune.config.ts" });
  const opts = (executor as unknown as { opts: { hostLostMs?: number; checkpoints?: string } }).opts;
  assert.equal(opts.hostLostMs, 12_345);
  assert.equal(opts.checkpoints, "eager");
  await executor.close(0);
});

test("a relative sshConfig is read from the config's folder; absolute and ~ paths are kept", async () => {
  assert.equal(sshConfigPath("ssh/config", "/proj"), "/proj/ssh/config");
  assert.equal(sshConfigPath("/etc/ssh/alt", "/proj"), "/etc/ssh/alt");
  assert.equal(sshConfigPath("~/.ssh/alt", "/proj"), "~/.ssh/alt");
  const { executor } = createExecutor(ssh({ sshConfig: "ssh/config" }) as unknown as TuneConfig, { cpus: 1, gpus: 0 }, { configPath: "/proj/tune.config.ts" });
  assert.equal((executor as unknown as { opts: { sshConfig?: string } }).opts.sshConfig, "/proj/ssh/config");
  await executor.close(0);
});
