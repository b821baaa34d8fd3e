import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REMOTE_CHECKPOINT_FILE, writeRemoteCheckpoint } from "../../../src/engine/store/checkpoints.ts";
import { checkpointFilesRoot, checkpointRow, remoteCheckpointOf } from "../../../src/extension/views/checkpoint-rows.ts";
import { cliMessage, fetchArgs, isNotFound, listingArgs, ListingCache, parseListing } from "../../../src/extension/fs/cli-listing.ts";

function experiment(): string {
  const exp = mkdtempSync(join(tmpdir(), "tl-remote-rows-"));
  mkdirSync(join(exp, "trial_a", "checkpoint_000002"), { recursive: true });
  writeFileSync(join(exp, "trial_a", "checkpoint_000002", "model.pt"), "weights");
  writeRemoteCheckpoint(join(exp, "trial_a", "checkpoint_000004"), "gpu1", "/home/u/tunelab/experiments/e/trial_a/attempt-1/ck4");
  mkdirSync(join(exp, "trial_a", "checkpoint_000006"));
  writeFileSync(join(exp, "trial_a", "checkpoint_000006", REMOTE_CHECKPOINT_FILE), "{ not json");
  return exp;
}

test("a placeholder checkpoint row says it is on its host, lists the host's dir and offers Fetch; a local one lists its own dir", () => {
  const exp = experiment();
  try {
    const remote = remoteCheckpointOf(join(exp, "trial_a", "checkpoint_000004"));
    assert.equal(remote?.host, "gpu1");
    assert.deepEqual(checkpointFilesRoot(exp, "trial_a/checkpoint_000004", remote), { host: "gpu1", path: "/home/u/tunelab/experiments/e/trial_a/attempt-1/ck4" });
    const row = checkpointRow({ iteration: 4, score: 0.91234, localDir: join(exp, "trial_a/checkpoint_000004") }, remote);
    assert.deepEqual({ label: row.label, description: row.description, contextValue: row.contextValue, icon: row.icon },
      { label: "checkpoint 4", description: "score 0.9123 · on gpu1", contextValue: "checkpoint.remote", icon: "cloud" });
    assert.match(row.tooltip, /^Kept on ssh host gpu1 at \/home\/u\/tunelab\/experiments\/e\/trial_a\/attempt-1\/ck4\.\nFetch Checkpoint copies its files into .*checkpoint_000004\.$/);

    const local = remoteCheckpointOf(join(exp, "trial_a", "checkpoint_000002"));
    assert.equal(local, undefined);
    assert.deepEqual(checkpointFilesRoot(exp, "trial_a/checkpoint_000002", local), { host: undefined, path: join(exp, "trial_a/checkpoint_000002") });
    const plain = checkpointRow({ iteration: 2, localDir: join(exp, "trial_a/checkpoint_000002") }, local);
    assert.deepEqual([plain.description, plain.contextValue, plain.icon], ["iteration 2", "checkpoint", "save"]);
    // A broken placeholder must not break the tree: it shows as local, and its dir lists the placeholder file.
    assert.equal(remoteCheckpointOf(join(exp, "trial_a", "checkpoint_000006")), undefined);
    assert.equal(remoteCheckpointOf(join(exp, "trial_a", "gone")), undefined);
  } finally {
    rmSync(exp, { recursive: true, force: true });
  }
});

test("the remote file system's CLI calls: argument vectors keep every value one word; ls output parses; exit 5 is not-found", () => {
  const odd = "/data/it's a $(x) dir\nwith newline";
  assert.deepEqual(listingArgs("ls", "/e x", "gpu1", odd), ["checkpoint", "ls", "/e x", "gpu1", odd, "--json"]);
  assert.deepEqual(listingArgs("cat", "/e", "user@gpu1", "/f"), ["checkpoint", "cat", "/e", "user@gpu1", "/f"]);
  assert.deepEqual(fetchArgs("/e", "/e/trial_a/checkpoint_000004"), ["checkpoint", "fetch", "/e", "/e/trial_a/checkpoint_000004", "--json"]);
  assert.deepEqual(parseListing('{"type":"dir","size":4096,"mtime":1700000000000,"entries":[["a b","file"],["sub","dir"]]}', "gpu1", "/d"),
    { type: "dir", size: 4096, mtime: 1700000000000, entries: [["a b", "file"], ["sub", "dir"]] });
  assert.deepEqual(parseListing('{"type":"file","size":7,"mtime":5}', "gpu1", "/f"), { type: "file", size: 7, mtime: 5 });
  assert.throws(() => parseListing("ssh: connect to host gpu1 port 22: Connection refused", "gpu1", "/d"), /listing gpu1:\/d printed no JSON/);
  assert.throws(() => parseListing('{"type":"link"}', "gpu1", "/d"), /listing gpu1:\/d printed/);
  assert.equal(isNotFound(5), true);
  assert.equal(isNotFound(1), false);
  assert.equal(cliMessage("warning\ntunelab: gpu1:/x: no such file or dir on the host\n", "fallback"), "gpu1:/x: no such file or dir on the host");
  assert.equal(cliMessage("", "fetching failed (exit 1)"), "fetching failed (exit 1)");
});

test("listings are reused for a few seconds, shared while in flight, and a failure is retried on the next ask", async () => {
  let now = 0;
  const cache = new ListingCache<string>(10_000, () => now);
  let calls = 0;
  const load = async (): Promise<string> => `v${++calls}`;
  const [a, b] = await Promise.all([cache.get("/d", load), cache.get("/d", load)]);
  assert.deepEqual([a, b, calls], ["v1", "v1", 1], "two concurrent asks, one CLI call");
  now = 9_999;
  assert.equal(await cache.get("/d", load), "v1");
  now = 10_000;
  assert.equal(await cache.get("/d", load), "v2", "stale after the ttl");
  await assert.rejects(cache.get("/bad", () => Promise.reject(new Error("host down"))), /host down/);
  assert.equal(await cache.get("/bad", async () => "back"), "back", "the failure was not remembered");
  cache.forget("/d");
  assert.equal(await cache.get("/d", load), "v3");
});
