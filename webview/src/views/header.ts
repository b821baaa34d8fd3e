/** The header: name, state, trials by state, elapsed time, metric and mode, searcher and scheduler. */
import type { App, Change, View } from "../app.ts";
import { clear, formatDuration, h } from "../dom.ts";

const STATUSES = ["RUNNING", "PENDING", "PAUSED", "TERMINATED", "ERROR"] as const;

export class HeaderView implements View {
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly app: App, private readonly el: HTMLElement) {}

  update(change: Change): void {
    if (!change.info && !change.trials && !change.all) return;
    const info = this.app.store.info;
    if (!info) return;
    const counts: Record<string, number> = {};
    for (const t of this.app.store.trials) counts[t.status] = (counts[t.status] ?? 0) + 1;
    clear(this.el);
    const running = info.state === "running";
    this.el.append(
      h("h1", { class: "title", title: info.dir }, info.name),
      h("span", { class: `state state-${running ? "running" : info.state === "completed" ? "done" : "other"}`, "data-testid": "state" }, info.state),
      h("span", { class: "counts", "data-testid": "counts" },
        `${this.app.store.trials.length} trials`,
        ...STATUSES.filter((s) => counts[s]).map((s) => h("span", { class: `count status-${s.toLowerCase()}` }, `${counts[s]} ${s.toLowerCase()}`))),
      h("span", { class: "elapsed", "data-testid": "elapsed" }, this.elapsed()),
      h("span", { class: "meta" }, info.metric ? `${info.metric} (${info.mode ?? "?"})` : "no metric set"),
      h("span", { class: "meta" }, `search: ${info.searcher}`),
      h("span", { class: "meta" }, `scheduler: ${info.scheduler}`),
      info.source === "ray" ? h("span", { class: "meta" }, "Ray Tune results") : "",
    );
    if (running && !this.timer) {
      this.timer = setInterval(() => {
        const el = this.el.querySelector(".elapsed");
        if (el) el.textContent = this.elapsed();
      }, 1000);
    } else if (!running && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private elapsed(): string {
    const info = this.app.store.info;
    if (!info?.createdAt) return "";
    const end = info.state === "running" ? Date.now() : info.endedAt ?? info.updatedAt ?? Date.now();
    return `elapsed ${formatDuration(end - info.createdAt)}`;
  }
}
