/**
 * The runner's control API: HTTP/JSON on 127.0.0.1 behind a bearer token kept
 * 0600 in `<expDir>/control.json`. Every request is translated into one call
 * of RunnerControl, so the server holds no experiment state of its own, and a
 * failing request is answered with an error, never thrown into the runner.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { bearer, CONTROL_FILE, newToken, removeControlFile, tokenMatches, writeControlFile } from "./credentials.ts";
import { EventStream, type EventStreamOptions } from "./event-stream.ts";
import { HttpError, readJson, sendError, sendJson } from "./http.ts";
import type { ControlOutcome, RunnerControl } from "./types.ts";
import { isPlainObject } from "../space/variants.ts";

export interface ControlServerOptions extends EventStreamOptions {
  /** Largest accepted request body. Default 1 MiB. */
  maxBodyBytes?: number;
}

export interface ControlServer {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  /** Path of control.json. */
  readonly file: string;
  /** Live figures, for logs and tests. */
  stats(): { sseClients: number; endingStreams: number; droppedClients: number; eventsPublished: number };
  /** Stops listening, ends event streams and removes control.json. */
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, id: string | undefined) => Promise<void> | void;
interface Route { pattern: RegExp; methods: Record<string, Handler> }

/** Starts the control server for `control` and writes `<expDir>/control.json`. */
export async function startControlServer(control: RunnerControl, expDir: string, options: ControlServerOptions = {}): Promise<ControlServer> {
  const token = newToken();
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const stream = new EventStream(options);
  const unsubscribe = control.subscribe((event) => {
    try {
      stream.publish(event);
    } catch (e) {
      process.stderr.write(`tunelab: control event stream failed on a ${event.type} event: ${(e as Error).message}\n`);
    }
  });

  const reply = (res: ServerResponse, outcome: ControlOutcome<{ id: string }> | ControlOutcome, okStatus = 200): void => {
    if (outcome.ok) {
      sendJson(res, okStatus, { ok: true, ...(outcome.value ?? {}) });
      return;
    }
    const status = [400, 404, 409].includes(outcome.status) ? outcome.status : 500;
    const code = status === 400 ? "invalid" : status === 404 ? "not-found" : status === 409 ? "conflict" : "internal";
    throw new HttpError(status, code, outcome.message, outcome.diagnostics ? { diagnostics: outcome.diagnostics } : {});
  };
  const trialAction = (act: (id: string) => ControlOutcome): Handler => (_req, res, id) => reply(res, act(id ?? ""));

  const routes: Route[] = [
    { pattern: /^\/api\/experiment$/, methods: { GET: (_q, res) => sendJson(res, 200, control.experiment()) } },
    { pattern: /^\/api\/experiment\/stop$/, methods: { POST: (_q, res) => reply(res, control.stopExperiment()) } },
    {
      pattern: /^\/api\/trials$/,
      methods: {
        GET: (_q, res) => sendJson(res, 200, { trials: control.listTrials() }),
        POST: async (req, res) => {
          const body = await readJson(req, maxBody);
          const config = isPlainObject(body) ? body.config : undefined;
          if (!isPlainObject(config)) {
            throw new HttpError(400, "invalid", 'send {"config": {...}}: a JSON object with the new trial\'s parameters under "config"');
          }
          reply(res, control.addTrial(config), 201);
        },
      },
    },
    {
      pattern: /^\/api\/trials\/([^/]+)$/,
      methods: {
        GET: (_q, res, id) => {
          const trial = control.getTrial(id ?? "");
          if (!trial) throw new HttpError(404, "not-found", `no trial ${JSON.stringify(id)} in this experiment`);
          sendJson(res, 200, trial);
        },
      },
    },
    { pattern: /^\/api\/trials\/([^/]+)\/stop$/, methods: { POST: trialAction((id) => control.stopTrial(id)) } },
    { pattern: /^\/api\/trials\/([^/]+)\/pause$/, methods: { POST: trialAction((id) => control.pauseTrial(id)) } },
    { pattern: /^\/api\/trials\/([^/]+)\/resume$/, methods: { POST: trialAction((id) => control.resumeTrial(id)) } },
    { pattern: /^\/api\/events$/, methods: { GET: (req, res) => stream.attach(req, res) } },
  ];

  let port = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // A page on another site that rebinds its name to 127.0.0.1 still sends its own Host: refuse it.
    const host = req.headers.host ?? "";
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
      throw new HttpError(403, "bad-host", `Host ${JSON.stringify(host)} is not this control server (use 127.0.0.1:${port})`);
    }
    const presented = bearer(req.headers.authorization);
    if (presented === undefined || !tokenMatches(presented, token)) {
      throw new HttpError(401, "unauthorized", `missing or wrong bearer token; send "Authorization: Bearer <token>" with the token from ${join(expDir, CONTROL_FILE)}`);
    }
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const method = req.method ?? "GET";
    for (const route of routes) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      const handler = route.methods[method];
      if (!handler) {
        const allow = Object.keys(route.methods);
        throw new HttpError(405, "method-not-allowed", `${method} is not allowed on ${path}; use ${allow.join(" or ")}`, { allow });
      }
      let id: string | undefined;
      try {
        id = match[1] === undefined ? undefined : decodeURIComponent(match[1]);
      } catch {
        throw new HttpError(400, "bad-trial-id", `the trial id in ${path} is not valid percent-encoding`);
      }
      await handler(req, res, id);
      return;
    }
    throw new HttpError(404, "no-such-endpoint", `no endpoint ${method} ${path}; the endpoints are listed in docs/control-api.md`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const error = e instanceof HttpError ? e
        : new HttpError(500, "internal", `the runner failed to handle ${req.method} ${req.url}: ${e instanceof Error ? e.message : String(e)}`);
      if (res.headersSent) res.destroy();
      else sendError(res, error);
    });
  });
  server.on("clientError", (_e, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    else socket.destroy();
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: "127.0.0.1", port: 0, exclusive: true }, () => resolve());
    });
    port = (server.address() as AddressInfo).port;
    writeControlFile(expDir, { url: `http://127.0.0.1:${port}`, port, token, pid: process.pid });
  } catch (e) {
    unsubscribe();
    stream.close();
    server.close();
    throw e;
  }

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    token,
    file: join(expDir, CONTROL_FILE),
    stats: () => ({ sseClients: stream.clientCount, endingStreams: stream.endingCount, droppedClients: stream.dropped, eventsPublished: stream.lastId }),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        unsubscribe();
        removeControlFile(expDir, token);
        stream.close();
        server.close(() => resolve());
        // Streams just ended get a moment to flush their last event; then every socket goes.
        setTimeout(() => server.closeAllConnections(), 1000).unref();
      });
      return closing;
    },
  };
}
