/** Small HTTP helpers for the control server: JSON replies, bounded bodies, errors as values. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Diagnostic } from "../space/diagnostics.ts";

/** A request the server answers with an error status and a JSON body saying why. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: { diagnostics?: Diagnostic[]; allow?: string[] } = {},
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-store",
    ...headers,
  });
  res.end(text);
}

/** `{ "error": message, "code": ..., "diagnostics"?: [...] }`, the shape of every error reply. */
export function sendError(res: ServerResponse, e: HttpError): void {
  const headers: Record<string, string> = {};
  if (e.extra.allow) headers.Allow = e.extra.allow.join(", ");
  // After a refused or oversized body the connection may hold unread bytes: do not reuse it.
  if (e.status === 413 || e.status === 401 || e.status === 403) headers.Connection = "close";
  sendJson(res, e.status, { error: e.message, code: e.code, ...(e.extra.diagnostics ? { diagnostics: e.extra.diagnostics } : {}) }, headers);
}

/** The request body parsed as JSON; 413 past `limit` bytes, 400 when it is not JSON. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") throw new HttpError(400, "empty-body", "the request body is empty; send a JSON object");
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HttpError(400, "malformed-json", `the request body is not valid JSON: ${(e as Error).message}`);
  }
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, "body-too-large", `the request body is larger than ${limit} bytes`);
}
