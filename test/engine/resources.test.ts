import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { detectGpus, ResourcePool, type Grant } from "../../src/engine/resources.ts";
import type { TrialResources } from "../../src/engine/store/events.ts";

void describe("ResourcePool", () => {
  void it("packs GPU fractions onto one device, first fit", () => {
    const pool = new ResourcePool(8, 2);
    const ids = [0.5, 0.5, 0.5, 0.25, 0.25].map((gpu) => pool.tryAcquire({ cpu: 1, gpu })?.gpuIds);
    assert.deepEqual(ids, [[0], [0], [1], [1], [1]]);
    assert.equal(pool.tryAcquire({ cpu: 1, gpu: 0.1 }), null);
  });

  void it("packs ten 0.1 GPUs onto one GPU despite float error", () => {
    const pool = new ResourcePool(10, 1);
    for (let i = 0; i < 10; i++) assert.deepEqual(pool.tryAcquire({ cpu: 1, gpu: 0.1 })?.gpuIds, [0]);
    assert.equal(pool.tryAcquire({ cpu: 0, gpu: 0.1 }), null);
  });

  void it("gives whole GPUs only whole free devices", () => {
    const pool = new ResourcePool(4, 3);
    assert.deepEqual(pool.tryAcquire({ cpu: 1, gpu: 0.5 })?.gpuIds, [0]);
    assert.deepEqual(pool.tryAcquire({ cpu: 1, gpu: 2 })?.gpuIds, [1, 2]);
    assert.equal(pool.tryAcquire({ cpu: 1, gpu: 1 }), null);
    pool.release({ cpu: 1, gpu: 2 }, [1, 2]);
    assert.deepEqual(pool.tryAcquire({ cpu: 1, gpu: 1 })?.gpuIds, [1]);
  });

  void it("explains requests that can never fit", () => {
    const pool = new ResourcePool(4, 1);
    assert.match(pool.problem({ cpu: 8, gpu: 0 })!, /needs 8 CPUs but the executor has 4/);
    assert.match(pool.problem({ cpu: 1, gpu: 2 })!, /needs 2 GPU\(s\) but the executor has 1/);
    assert.match(pool.problem({ cpu: 1, gpu: 1.5 })!, /must be a whole number/);
    assert.match(pool.problem({ cpu: -1, gpu: 0 })!, /cpu must be a number ≥ 0/);
    assert.equal(pool.tryAcquire({ cpu: 8, gpu: 0 }), null);
  });

  const request = fc.record({
    cpu: fc.constantFrom(0, 0.5, 1, 2, 3),
    gpu: fc.constantFrom(0, 0.1, 0.25, 0.3, 0.5, 1, 2),
  });

  void it("never over-allocates, and releasing everything restores the pool", () => {
    fc.assert(
      fc.property(fc.nat(4), fc.nat(3), fc.array(fc.tuple(fc.boolean(), request), { maxLength: 40 }), (cpus, gpus, ops) => {
        const pool = new ResourcePool(cpus, gpus);
        const held: { req: TrialResources; grant: Grant }[] = [];
        for (const [acquire, req] of ops) {
          if (acquire || held.length === 0) {
            const grant = pool.tryAcquire(req);
            if (grant) held.push({ req, grant });
          } else {
            const { req: r, grant } = held.shift()!;
            pool.release(r, grant.gpuIds);
          }
          const used = held.reduce((n, h) => n + h.req.cpu, 0);
          assert.ok(used <= cpus + 1e-9, `CPUs over-allocated: ${used} > ${cpus}`);
          for (let id = 0; id < gpus; id++) {
            const load = held.reduce((n, h) => n + (h.grant.gpuIds.includes(id) ? Math.min(1, h.req.gpu) : 0), 0);
            assert.ok(load <= 1 + 1e-9, `GPU ${id} over-allocated: ${load}`);
          }
          for (const h of held) assert.equal(h.grant.gpuIds.length, h.req.gpu < 1 ? (h.req.gpu > 0 ? 1 : 0) : h.req.gpu);
        }
        for (const h of held) pool.release(h.req, h.grant.gpuIds);
        assert.deepEqual(pool.free(), { cpu: cpus, gpus: Array.from({ length: gpus }, () => 1) });
      }),
    );
  });
});

void describe("detectGpus", () => {
  void it("counts the GPUs nvidia-smi lists", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tunelab-smi-"));
    try {
      const fake = join(dir, "nvidia-smi");
      writeFileSync(fake, "#!/bin/sh\nprintf '0\\n1\\n2\\n'\n");
      chmodSync(fake, 0o755);
      assert.equal(await detectGpus({ env: {}, nvidiaSmi: fake }), 3);
      const failing = join(dir, "failing-smi");
      writeFileSync(failing, "#!/bin/sh\necho 'NVIDIA-SMI has failed' >&2; exit 9\n");
      chmodSync(failing, 0o755);
      assert.equal(await detectGpus({ env: {}, nvidiaSmi: failing }), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  void it("is 0 without nvidia-smi, and TUNELAB_GPUS overrides it", async () => {
    assert.equal(await detectGpus({ env: {}, nvidiaSmi: "no-such-nvidia-smi" }), 0);
    assert.equal(await detectGpus({ env: { TUNELAB_GPUS: "2" }, nvidiaSmi: "no-such-nvidia-smi" }), 2);
    await assert.rejects(detectGpus({ env: { TUNELAB_GPUS: "two" } }), /TUNELAB_GPUS must be a whole number ≥ 0.*"two"/);
  });
});
