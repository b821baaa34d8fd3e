/** Shared helpers of the control API tests: raw HTTP requests, temp dirs, servers. */
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startControlServer, type ControlServer, type ControlServerOptions } from "../../../src/engine/control/server.ts";
import * as d from "../../../src/engine/space/domains.ts";
import { FakeControl } from "./fake-control.ts";

export const SPACE = { lr: d.loguniform(1e-4, 1e-1), layers: { units: d.randint(8, 65) }, act: d.choice(["relu", "tanh"]), epochs: 10 };
export const GOOD = { lr: 0.01, layers: { units: 32 }, act: "relu", epochs: 10 };

export interface Raw { status: number; headers: Record<string, string | string[] | undefined>; body: string; json: () => Record<string, unknown> }

/** One request with full control of the headers (fetch will not send a foreign Host). */
export function raw(port: number, options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; host?: string }): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request({ host: options.host ?? "127.0.0.1", port, method: options.method ?? "GET", path: options.path, headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) as Record<string, unknown> });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

export interface Fixture { dir: string; control: FakeControl; server: ControlServer; auth: Record<string, string>; cleanup: () => Promise<void> }

export async function fixture(options: ControlServerOptions = {}): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), "tunelab-control-"));
  const control = new FakeControl(SPACE, dir);
  const server = await startControlServer(control, dir, options);
  return {
    dir, control, server, auth: { Authorization: `Bearer ${server.token}` },
    cleanup: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `promise`, or a rejection naming `what` after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms); }),
  ]);
}
