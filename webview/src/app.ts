/**
 * The dashboard: owns the store, the selection and the UI state, and tells the
 * views when to redraw. Cheap views redraw on the next frame; the ones that
 * draw every trial (parallel coordinates, scatter) at most once a second while
 * results stream in, each in its own task, so a live delta stays a short task.
 */
import { DashboardStore } from "../../src/shared/dashboard-store.ts";
import type { DashboardDelta, DashboardSnapshot, TrialSummary } from "../../src/shared/dashboard-types.ts";
import { topTrials } from "../../src/shared/dashboard-table.ts";
import {
  type DashboardViewState, DeltaNotification, ErrorNotification, ReadyNotification, RevealTrialNotification, SelectTrialNotification, SnapshotNotification,
} from "../../src/shared/dashboard-protocol.ts";
import type { HostConnection } from "./host.ts";
import { readTheme, type Theme } from "./theme.ts";

export interface Change {
  /** Trials whose data changed. */
  trials?: Set<string>;
  /** Everything may have changed (a snapshot). */
  all?: boolean;
  selection?: boolean;
  ui?: boolean;
  info?: boolean;
}

export interface View {
  update(change: Change): void;
}

const SLOW_VIEW_INTERVAL_MS = 1000;

export class App {
  readonly store = new DashboardStore();
  ui: DashboardViewState;
  theme: Theme;
  private readonly fast: View[] = [];
  private readonly slow: View[] = [];
  private frame = 0;
  private pending: Change = {};
  private slowPending: Change | undefined;
  private slowTimer: ReturnType<typeof setTimeout> | undefined;
  private lastSlow = 0;
  /** Whether a frame with data has been drawn: the slow views never delay the first one. */
  private painted = false;
  private readonly listeners: ((app: App) => void)[] = [];
  private readonly slowListeners: ((app: App) => void)[] = [];

  constructor(readonly host: HostConnection) {
    this.ui = host.getState<DashboardViewState>() ?? { expDir: "" };
    this.theme = readTheme();
    host.on(SnapshotNotification, (s) => this.onSnapshot(s));
    host.on(DeltaNotification, (d) => this.onDelta(d));
    host.on(RevealTrialNotification, ({ id }) => this.select(id, false));
    host.on(ErrorNotification, ({ message }) => this.onError(message));
    // Theme switches rewrite the body's class and the CSS variables.
    new MutationObserver(() => {
      this.theme = readTheme();
      this.invalidate({ ui: true });
    }).observe(document.body, { attributes: true, attributeFilter: ["class", "data-vscode-theme-kind"] });
  }

  start(): void {
    this.host.notify(ReadyNotification, { state: this.ui });
  }

  addView(view: View, slow = false): void {
    (slow ? this.slow : this.fast).push(view);
  }

  onError(message: string): void {
    const el = document.getElementById("error");
    if (el) {
      el.textContent = message;
      el.hidden = false;
    }
  }

  get selected(): string | undefined {
    return this.ui.selected;
  }

  /** The metric the charts show: the user's choice, else the experiment's, else the first reported. */
  get metric(): string | undefined {
    const m = this.ui.metric;
    if (m && this.store.metrics.includes(m)) return m;
    return this.store.info?.metric ?? this.store.metrics[0];
  }

  get mode(): "min" | "max" {
    const info = this.store.info;
    if (info?.mode && this.metric === info.metric) return info.mode;
    return /loss|err|mse|mae|perplexity|time/i.test(this.metric ?? "") ? "min" : "max";
  }

  /** The best trials by the chosen metric, best first. */
  top(k: number): TrialSummary[] {
    const metric = this.metric;
    const useBest = metric === this.store.info?.metric;
    const trials = useBest ? this.store.trials : this.store.trials.map((t) => (t.best === undefined ? t : { ...t, best: undefined }));
    return topTrials(trials, metric, this.mode, k);
  }

  select(id: string | undefined, fromWebview = true): void {
    if (this.ui.selected === id) return;
    this.setUi({ selected: id }, { selection: true });
    if (fromWebview) this.host.notify(SelectTrialNotification, { id });
  }

  setUi(patch: Partial<DashboardViewState>, change: Change = { ui: true }): void {
    this.ui = { ...this.ui, ...patch };
    this.host.setState(this.ui);
    this.invalidate(change);
  }

  onChange(listener: (app: App) => void): void {
    this.listeners.push(listener);
  }

  /** Called after each redraw of the slow views, i.e. once every view has drawn what it was told. */
  onSlowRender(listener: (app: App) => void): void {
    this.slowListeners.push(listener);
  }

  private onSnapshot(s: DashboardSnapshot): void {
    performance.mark("tunelab:snapshot-received");
    this.store.load(s);
    if (this.ui.expDir !== s.info.dir) this.setUi({ expDir: s.info.dir });
    this.invalidate({ info: true, ui: true, all: true });
  }

  private onDelta(d: DashboardDelta): void {
    const start = performance.now();
    const effect = this.store.apply(d);
    this.invalidate({ trials: effect.changed, info: effect.infoChanged || effect.metricsChanged });
    // Measures are cheap and let the bench split main-thread work by phase.
    performance.measure("tunelab:delta-apply", { start });
  }

  invalidate(change: Change): void {
    this.pending = merge(this.pending, change);
    this.slowPending = merge(this.slowPending ?? {}, change);
    if (!this.frame) this.frame = requestAnimationFrame(() => this.flushFast());
    this.scheduleSlow(change.trials !== undefined && !change.ui && !change.selection && !change.info && !change.all);
  }

  private flushFast(): void {
    this.frame = 0;
    const change = this.pending;
    this.pending = {};
    const start = performance.now();
    for (const v of this.fast) v.update(change);
    for (const l of this.listeners) l(this);
    performance.measure("tunelab:render", { start });
    if (!this.painted && this.store.info) {
      // This frame's paint comes after this callback; the next frame's callbacks run once it is on screen.
      requestAnimationFrame(() => {
        this.painted = true;
        if (this.slowPending) this.scheduleSlow(false);
      });
    }
  }

  /** Streaming data waits for the next slot; user actions draw at once (next task). */
  private scheduleSlow(streaming: boolean): void {
    if (this.slowTimer !== undefined) return;
    // Until the first frame with data is out, the slow views wait for it (flushFast schedules them).
    if (!this.painted && this.store.info) return;
    const wait = streaming ? Math.max(0, this.lastSlow + SLOW_VIEW_INTERVAL_MS - performance.now()) : 0;
    this.slowTimer = setTimeout(() => {
      this.slowTimer = undefined;
      this.lastSlow = performance.now();
      const change = this.slowPending ?? {};
      this.slowPending = undefined;
      const start = performance.now();
      for (const v of this.slow) v.update(change);
      performance.measure("tunelab:render-slow", { start });
      for (const l of this.slowListeners) l(this);
    }, wait);
  }
}

function merge(a: Change, b: Change): Change {
  const out: Change = { ...a };
  if (b.selection) out.selection = true;
  if (b.ui) out.ui = true;
  if (b.info) out.info = true;
  if (b.all) out.all = true;
  if (b.trials) {
    if (!out.trials) out.trials = new Set(b.trials);
    else for (const id of b.trials) out.trials.add(id);
  }
  return out;
}
