/**
 * The dashboard's webview protocol, declared once and used by both sides
 * (GitLens style typed handles): a handle carries its method name and, in its
 * type only, its params and result. The webview sends `ready` first; the host
 * answers with a snapshot, then batched deltas (at most ~4 per second).
 */
import type { DashboardDelta, DashboardSnapshot } from "./dashboard-types.ts";

/** A one-way message. */
export class IpcNotification<P> {
  declare readonly _params: P;
  constructor(readonly method: string) {}
}

/** A message answered by exactly one response. */
export class IpcRequest<P, R> {
  declare readonly _params: P;
  declare readonly _result: R;
  constructor(readonly method: string) {}
}

/** What goes over postMessage. */
export type WireMessage =
  | { kind: "notification"; method: string; params: unknown }
  | { kind: "request"; id: number; method: string; params: unknown }
  | { kind: "response"; id: number; result?: unknown; error?: string };

/** The webview state kept by `setState` and handed to the serializer after a window reload. */
export interface DashboardViewState {
  expDir: string;
  selected?: string;
  metric?: string;
  xAxis?: "training_iteration" | "time_total_s";
  logY?: boolean;
  highlight?: number;
  scatterParam?: string;
  sort?: { key: string; desc: boolean };
  filter?: string;
}

export interface ActionResult {
  ok: boolean;
  message: string;
}

// webview → host
export const ReadyNotification = new IpcNotification<{ state?: DashboardViewState }>("dashboard/ready");
export const SelectTrialNotification = new IpcNotification<{ id: string | undefined }>("dashboard/select");
export const CopyTextRequest = new IpcRequest<{ text: string }, ActionResult>("dashboard/copy");
/** Pin the trial's config as a `pointsToEvaluate` entry, or write it as a new config file; diff first. */
export const ApplyConfigRequest = new IpcRequest<{ trialId: string; target: "pin" | "newFile" }, ActionResult>("dashboard/applyConfig");
/** Write a tune.config.ts whose space is narrowed around the top-k trials; diff first. */
export const RefineRequest = new IpcRequest<{ topK: number; widen: number }, ActionResult>("dashboard/refine");
/**
 * Sent once, when the first snapshot's charts and table are on the page: what a user would see
 * (the extension-host tests read it back; the dashboard itself ignores it).
 */
export const RenderedNotification = new IpcNotification<RenderedParams>("dashboard/rendered");

export interface RenderedParams {
  /** The trial the best card names, if any. */
  bestTrialId: string | undefined;
  /** Chart canvases holding at least one non-transparent pixel. */
  canvasesDrawn: number;
  /** Table rows in the DOM (the table draws only the visible ones). */
  tableRows: number;
}

// host → webview
export const SnapshotNotification = new IpcNotification<DashboardSnapshot>("dashboard/snapshot");
export const DeltaNotification = new IpcNotification<DashboardDelta>("dashboard/delta");
/** The host (tree "reveal in dashboard") selected a trial. */
export const RevealTrialNotification = new IpcNotification<{ id: string }>("dashboard/reveal");
export const ErrorNotification = new IpcNotification<{ message: string }>("dashboard/error");

export function notification<P>(handle: IpcNotification<P>, params: P): WireMessage {
  return { kind: "notification", method: handle.method, params };
}

export function request<P, R>(handle: IpcRequest<P, R>, id: number, params: P): WireMessage {
  return { kind: "request", id, method: handle.method, params };
}

/** Narrows a received message to `handle`'s notification. */
export function isNotification<P>(msg: unknown, handle: IpcNotification<P>): msg is { kind: "notification"; method: string; params: P } {
  return isWire(msg) && msg.kind === "notification" && msg.method === handle.method;
}

/** Narrows a received message to `handle`'s request. */
export function isRequest<P, R>(msg: unknown, handle: IpcRequest<P, R>): msg is { kind: "request"; id: number; method: string; params: P } {
  return isWire(msg) && msg.kind === "request" && msg.method === handle.method;
}

export function isWire(msg: unknown): msg is WireMessage {
  return typeof msg === "object" && msg !== null && typeof (msg as { kind?: unknown }).kind === "string" &&
    (typeof (msg as { method?: unknown }).method === "string" || (msg as { kind: string }).kind === "response");
}
