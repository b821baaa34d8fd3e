/**
 * Rank placement over ssh hosts (src/engine/executors/ssh-ranks.ts) and torchrun's numbering
 * (distributed.ts): pure, no sshd needed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ResourcePool } from "../../../src/engine/resources.ts";
import { nodeRankEnv, rankSlots } from "../../../src/engine/executors/distributed.ts";
import { parseSshG, planRanks, ranksEverFit } from "../../../src/engine/executors/ssh-ranks.ts";
import { SshHost } from "../../../src/engine/executors/ssh-host.ts";

test("ranks go all on one host when one has room, else spread in host order; all or nothing; pools untouched", () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 12 }), (cpus, workers) => {
    const pools = cpus.map((c) => new ResourcePool(c, 0));
    const plan = planRanks(pools, { cpu: 1, gpu: 0 }, workers);
    const total = cpus.reduce((a, b) => a + b, 0);
    if (total < workers) return plan === undefined;
    assert.ok(plan);
    assert.equal(plan.reduce((a, b) => a + b, 0), workers);
    plan.forEach((n, i) => assert.ok(n <= cpus[i]!));
    if (cpus.some((c) => c >= workers)) assert.equal(plan.filter((n) => n > 0).length, 1, "one host when one fits all");
    // Nothing was taken: every pool still fits its full size.
    pools.forEach((p, i) => assert.ok(cpus[i] === 0 || p.tryAcquire({ cpu: cpus[i]!, gpu: 0 })));
    return true;
  }));
  assert.deepEqual(planRanks([undefined, new ResourcePool(1, 0), new ResourcePool(2, 0)], { cpu: 1, gpu: 0 }, 3), [0, 1, 2], "a lost host (undefined) takes none");
  assert.equal(ranksEverFit([{ cpus: 1, gpus: 0 }, { cpus: 1, gpus: 0 }], { cpu: 1, gpu: 0 }, 3), false);
});

test("torchrun's numbering: ranks contiguous per host, NODE_RANK per host, LOCAL_WORLD_SIZE per host", () => {
  const slots = rankSlots([2, 1]);
  assert.deepEqual(slots.map((s) => [s.rank, s.nodeRank, s.localRank, s.localWorld, s.world]), [[0, 0, 0, 2, 3], [1, 0, 1, 2, 3], [2, 1, 0, 1, 3]]);
  assert.deepEqual(nodeRankEnv(slots[2]!, "10.0.0.5", 29500), {
    MASTER_ADDR: "10.0.0.5", MASTER_PORT: "29500", RANK: "2", LOCAL_RANK: "0", WORLD_SIZE: "3", LOCAL_WORLD_SIZE: "1", NODE_RANK: "1", GROUP_RANK: "1",
  });
  assert.equal(parseSshG("user root\nhostname 10.200.0.2\nport 2223\n"), "10.200.0.2");
  assert.equal(parseSshG("user root\n"), undefined);
});

test("MASTER_ADDR: a host's address from executor.hosts[].address is used as given, without asking ssh", async () => {
  const host = new SshHost({ host: "no-such-alias.invalid", cpus: 1, address: "10.0.0.5" }, { sshConfig: "/nonexistent/ssh_config" }, async () => undefined);
  assert.equal(await host.addressForPeers(), "10.0.0.5");
});
