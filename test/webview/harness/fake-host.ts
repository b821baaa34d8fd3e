/// <reference lib="dom" />
/**
 * A fake VS Code host for the standalone dashboard page: `acquireVsCodeApi`
 * backed by the real DashboardModel fed with a synthetic experiment chosen by
 * the page's query (`?trials=&points=&hostile=1&pbt=1&running=1&theme=`).
 * With `?served=KEY` the snapshot was built in Node by the harness server (its
 * script ran first and left `window.__tunelabSnapshot`): the page then holds
 * only what a real host posts, and deltas come in through `__harness.deliver`.
 * Tests drive it through `window.__harness`.
 */
import { DashboardModel } from "../../../src/extension/data/dashboard-model.ts";
import type { DashboardDelta, DashboardSnapshot } from "../../../src/shared/dashboard-types.ts";
import { type WireMessage, notification, DeltaNotification, SnapshotNotification, ReadyNotification, RevealTrialNotification } from "../../../src/shared/dashboard-protocol.ts";
import { synthetic, syntheticMeta } from "./synthetic.ts";
import { applyTheme } from "./themes.ts";

const q = new URLSearchParams(location.search);
const options = {
  trials: Number(q.get("trials") ?? 30),
  points: Number(q.get("points") ?? 20),
  seed: Number(q.get("seed") ?? 1),
  hostile: q.get("hostile") === "1",
  pbt: q.get("pbt") === "1",
  running: q.get("running") === "1",
};
applyTheme(q.get("theme") ?? "dark");

const t0 = performance.now();
const holder = window as unknown as { __tunelabSnapshot?: DashboardSnapshot };
const servedSnapshot = holder.__tunelabSnapshot;
delete holder.__tunelabSnapshot;
const run = servedSnapshot ? undefined : synthetic(options);
const model = run ? new DashboardModel({ ...syntheticMeta(options), state: options.running ? "running" : undefined }) : undefined;
if (run && model) model.apply(run.events);
// Built before `ready`, as a host keeps its model up to date while the panel loads.
let pendingSnapshot: DashboardSnapshot | undefined = servedSnapshot ?? model?.snapshot();
const generateMs = performance.now() - t0;

let state: unknown = JSON.parse(sessionStorage.getItem("tunelab-state") ?? "null");
const sent: WireMessage[] = [];
const responses: Record<string, unknown> = {};

function deliver(msg: WireMessage): void {
  window.postMessage(msg, "*");
}

const harness = {
  sent,
  generateMs,
  options,
  model,
  /** Sets what a request method answers. */
  respond(method: string, result: unknown): void {
    responses[method] = result;
  },
  /** `n` new results as one delta, delivered like the host would (not with `?served`). */
  pushResults(n: number): number {
    if (!run || !model) throw new Error("pushResults needs the in-page model: with ?served, hand deltas to __harness.deliver");
    model.apply(run.more(n));
    const delta = model.takeDelta();
    if (delta) deliver(notification(DeltaNotification, delta));
    return delta?.series.length ?? 0;
  },
  /** A delta made elsewhere (the harness server's model), delivered like the host would. */
  deliver(delta: DashboardDelta): void {
    deliver(notification(DeltaNotification, delta));
  },
  reveal(id: string): void {
    deliver(notification(RevealTrialNotification, { id }));
  },
  get state(): unknown {
    return state;
  },
};
(window as unknown as { __harness: typeof harness }).__harness = harness;

(window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({
  postMessage(msg: WireMessage): void {
    sent.push(msg);
    if (msg.kind === "notification" && msg.method === ReadyNotification.method) {
      performance.mark("tunelab:ready");
      // The first `ready` gets the prepared snapshot; a later one (a reload of the view) a fresh one.
      const snap = pendingSnapshot ?? model?.snapshot();
      pendingSnapshot = undefined;
      if (snap) deliver(notification(SnapshotNotification, snap));
    } else if (msg.kind === "request") {
      const result = responses[msg.method] ?? { ok: true, message: `fake host did ${msg.method}` };
      deliver({ kind: "response", id: msg.id, result });
    }
  },
  getState: () => state,
  setState(s: unknown): void {
    state = s;
    // Survives a reload of the page, as VS Code keeps it across hide/show.
    sessionStorage.setItem("tunelab-state", JSON.stringify(s));
  },
});
