import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { startControlServer } from "../../../src/engine/control/server.ts";
import { FakeControl } from "./fake-control.ts";
import { fixture, GOOD, raw, SPACE, type Fixture } from "./helpers.ts";

void describe("control server: access", () => {
  let f: Fixture;
  before(async () => { f = await fixture(); });
  after(async () => { await f.cleanup(); });

  void it("writes control.json 0600 with url, port, token and pid, and listens on 127.0.0.1 only", () => {
    const file = join(f.dir, "control.json");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const content = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    assert.deepEqual(content, { url: `http://127.0.0.1:${f.server.port}`, port: f.server.port, token: f.server.token, pid: process.pid });
    assert.match(f.server.token, /^[0-9a-f]{64}$/);
  });

  void it("refuses connections on any other address: 127.0.0.2 and the machine's interfaces", async () => {
    const others = Object.values(networkInterfaces()).flat().filter((a) => a !== undefined && !a.internal && a.family === "IPv4").map((a) => a!.address);
    for (const address of ["127.0.0.2", ...others]) {
      const code = await new Promise<string>((resolve) => {
        const s = connect({ host: address, port: f.server.port });
        s.on("connect", () => { s.destroy(); resolve("connected"); });
        s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
      });
      assert.equal(code, "ECONNREFUSED", `${address}:${f.server.port}`);
    }
  });

  void it("answers 401 without a token or with a wrong one, naming control.json", async () => {
    for (const headers of [{} as Record<string, string>, { Authorization: `Bearer ${"0".repeat(64)}` }, { Authorization: `Bearer ${f.server.token}x` }, { Authorization: f.server.token }]) {
      const r = await raw(f.server.port, { path: "/api/trials", headers });
      assert.equal(r.status, 401);
      assert.equal(r.json().code, "unauthorized");
      assert.match(String(r.json().error), /control\.json/);
    }
    assert.equal((await raw(f.server.port, { path: "/api/trials", headers: f.auth })).status, 200);
  });

  void it("answers 403 to a foreign Host header even with the right token (DNS rebinding)", async () => {
    for (const host of ["evil.example:80", `evil.example:${f.server.port}`, "127.0.0.1", `127.0.0.2:${f.server.port}`]) {
      const r = await raw(f.server.port, { path: "/api/trials", headers: { ...f.auth, Host: host } });
      assert.equal(r.status, 403, `Host: ${JSON.stringify(host)}`);
      assert.equal(r.json().code, "bad-host");
    }
    // HTTP/1.0 may omit Host altogether.
    const noHost = await new Promise<string>((resolve) => {
      const s = connect({ host: "127.0.0.1", port: f.server.port }, () => s.end(`GET /api/trials HTTP/1.0\r\nAuthorization: Bearer ${f.server.token}\r\n\r\n`));
      let text = "";
      s.on("data", (c: Buffer) => (text += c.toString()));
      s.on("close", () => resolve(text));
    });
    assert.match(noHost, /^HTTP\/1\.1 403/);
    const ok = await raw(f.server.port, { path: "/api/experiment", headers: { ...f.auth, Host: `localhost:${f.server.port}` } });
    assert.equal(ok.status, 200);
  });
});

void describe("control server: endpoints", () => {
  let f: Fixture;
  before(async () => { f = await fixture(); });
  after(async () => { await f.cleanup(); });
  const post = (path: string, body?: unknown, extra: Record<string, string> = {}) =>
    raw(f.server.port, { method: "POST", path, headers: { ...f.auth, "Content-Type": "application/json", ...extra }, ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }) });

  void it("adds a valid trial (201 with its id) and lists and gets it", async () => {
    const r = await post("/api/trials", { config: GOOD });
    assert.equal(r.status, 201);
    const id = String(r.json().id);
    const list = (await raw(f.server.port, { path: "/api/trials", headers: f.auth })).json().trials as { id: string }[];
    assert.deepEqual(list.map((t) => t.id), [id]);
    const one = await raw(f.server.port, { path: `/api/trials/${id}`, headers: f.auth });
    assert.deepEqual(one.json().config, GOOD);
    const exp = (await raw(f.server.port, { path: "/api/experiment", headers: f.auth })).json();
    assert.equal((exp.counts as Record<string, number>).PENDING, 1);
  });

  void it("rejects an invalid config with 400 and diagnostics naming the key", async () => {
    const r = await post("/api/trials", { config: { ...GOOD, lr: 5, layers: {} } });
    assert.equal(r.status, 400);
    const diags = r.json().diagnostics as { path: unknown[]; code: string }[];
    assert.deepEqual(diags.map((x) => [x.path.join("."), x.code]), [["config.lr", "point-out-of-bounds"], ["config.layers.units", "point-missing-key"]]);
    assert.match(String(r.json().error), /config\.lr: 5 is outside loguniform/);
    for (const body of [{}, { config: [1] }, { cfg: GOOD }, [GOOD]]) assert.equal((await post("/api/trials", body)).status, 400);
  });

  void it("maps stop/pause/resume outcomes to 200, 404 and 409", async () => {
    const id = String((await post("/api/trials", { config: GOOD })).json().id);
    assert.equal((await post("/api/trials/nope/stop")).status, 404);
    assert.equal((await post(`/api/trials/${id}/pause`)).status, 409);
    assert.equal((await post(`/api/trials/${id}/resume`)).status, 409);
    f.control.start(id);
    assert.equal((await post(`/api/trials/${id}/pause`)).status, 200);
    assert.equal((await post(`/api/trials/${id}/resume`)).status, 200);
    assert.equal((await post(`/api/trials/${id}/stop`)).status, 200);
    const again = await post(`/api/trials/${id}/stop`);
    assert.deepEqual([again.status, again.json().code], [409, "conflict"]);
    assert.equal((await raw(f.server.port, { path: "/api/trials/nope", headers: f.auth })).status, 404);
    assert.equal((await post("/api/experiment/stop")).status, 200);
    assert.equal((await post("/api/experiment/stop")).status, 409);
  });

  void it("answers unknown routes 404, wrong methods 405 with Allow, bad JSON 400 and big bodies 413", async () => {
    const unknown = await raw(f.server.port, { path: "/api/nothing", headers: f.auth });
    assert.deepEqual([unknown.status, unknown.json().code], [404, "no-such-endpoint"]);
    const wrong = await raw(f.server.port, { method: "DELETE", path: "/api/trials", headers: f.auth });
    assert.deepEqual([wrong.status, wrong.headers.allow], [405, "GET, POST"]);
    const bad = await post("/api/trials", "{config:");
    assert.deepEqual([bad.status, bad.json().code], [400, "malformed-json"]);
    assert.equal((await post("/api/trials", "")).json().code, "empty-body");
    const big = await post("/api/trials", JSON.stringify({ config: { ...GOOD, pad: "x".repeat(2 * 1024 * 1024) } }));
    assert.deepEqual([big.status, big.json().code], [413, "body-too-large"]);
    assert.equal((await raw(f.server.port, { path: "/api/trials/%E0%A4%A/stop", method: "POST", headers: f.auth })).status, 400);
  });

  void it("answers 500 when the runner throws, and keeps serving", async () => {
    f.control.failWith = new Error("trial table locked");
    const r = await raw(f.server.port, { path: "/api/trials", headers: f.auth });
    f.control.failWith = undefined;
    assert.equal(r.status, 500);
    assert.match(String(r.json().error), /GET \/api\/trials: trial table locked/);
    assert.equal((await raw(f.server.port, { path: "/api/trials", headers: f.auth })).status, 200);
  });
});

void describe("control server: lifecycle", () => {
  void it("removes control.json and unsubscribes on close", async () => {
    const f = await fixture();
    assert.equal(f.control.listenerCount, 1);
    await f.cleanup();
    assert.equal(existsSync(f.server.file), false);
    assert.equal(f.control.listenerCount, 0);
  });

  void it("replaces a control.json left by a dead runner, refuses a live one's", async () => {
    const f = await fixture();
    const stale = { url: "http://127.0.0.1:1", port: 1, token: "t", pid: 2 ** 22 + 17 };
    await f.server.close();
    writeFileSync(f.server.file, JSON.stringify(stale));
    const second = await startControlServer(new FakeControl(SPACE, f.dir), f.dir);
    assert.equal((JSON.parse(readFileSync(f.server.file, "utf8")) as { token: string }).token, second.token);
    await second.close();
    writeFileSync(f.server.file, JSON.stringify({ ...stale, pid: process.ppid }));
    await assert.rejects(startControlServer(new FakeControl(SPACE, f.dir), f.dir), new RegExp(`another runner \\(pid ${process.ppid}\\)`));
    await f.cleanup();
  });
});
