/**
 * The best trial's config and metric, with the actions that carry it forward:
 * copy as JSON, pin it in tune.config.ts, save it as a new config, or refine
 * the space around the top trials. The host shows a diff before writing.
 */
import { ApplyConfigRequest, CopyTextRequest, RefineRequest } from "../../../src/shared/dashboard-protocol.ts";
import { unflattenConfig } from "../../../src/shared/dashboard-space.ts";
import type { App, Change, View } from "../app.ts";
import { clear, formatNumber, h } from "../dom.ts";

export class BestCardView implements View {
  private shownId: string | undefined;
  private shownKey = "";
  private readonly body = h("div", { class: "best-body", "data-testid": "best-body" });
  private readonly status = h("div", { class: "action-status", role: "status", "data-testid": "action-status" });

  constructor(private readonly app: App, el: HTMLElement) {
    const topK = h("vscode-textfield", { type: "number", value: "5", "aria-label": "top k", class: "small-field", "data-testid": "refine-topk" }) as HTMLElement & { value: string };
    const widen = h("vscode-textfield", { type: "number", value: "1.5", step: "0.1", min: "1", "aria-label": "widen factor", class: "small-field" }) as HTMLElement & { value: string };
    const button = (label: string, testid: string, run: () => Promise<{ message: string }>, secondary = true): HTMLElement => {
      const b = h("vscode-button", { "data-testid": testid, secondary }, label);
      b.addEventListener("click", () => {
        run().then((r) => this.say(r.message), (e: unknown) => this.say(e instanceof Error ? e.message : String(e)));
      });
      return b;
    };
    el.append(
      h("h2", {}, "Best trial"),
      this.body,
      h("div", { class: "actions" },
        button("Copy JSON", "copy-json", () => this.copy(), false),
        button("Pin in tune.config.ts", "apply-pin", () => this.apply("pin")),
        button("Save as new config", "apply-new", () => this.apply("newFile"))),
      h("div", { class: "actions" },
        button("Refine around the best", "refine", () => app.host.request(RefineRequest, { topK: Number(topK.value) || 5, widen: Number(widen.value) || 1.5 })),
        h("label", {}, "top ", topK), h("label", {}, "widen ×", widen)),
      this.status,
    );
  }

  private say(message: string): void {
    this.status.textContent = message;
  }

  private best(): string | undefined {
    return this.app.top(1)[0]?.id;
  }

  private async copy(): Promise<{ message: string }> {
    const t = this.shownId === undefined ? undefined : this.app.store.get(this.shownId);
    if (!t) return { message: "no best trial yet" };
    return this.app.host.request(CopyTextRequest, { text: JSON.stringify(unflattenConfig(t.config), null, 2) });
  }

  private apply(target: "pin" | "newFile"): Promise<{ message: string }> {
    if (this.shownId === undefined) return Promise.resolve({ message: "no best trial yet" });
    return this.app.host.request(ApplyConfigRequest, { trialId: this.shownId, target });
  }

  update(change: Change): void {
    if (!change.trials && !change.all && !change.ui && !change.info) return;
    const id = this.best();
    const t = id === undefined ? undefined : this.app.store.get(id);
    const metric = this.app.metric;
    const key = t ? `${t.id}|${metric}|${t.best ?? ""}|${metric ? t.last[metric] : ""}|${t.status}` : "";
    if (key === this.shownKey) return;
    this.shownKey = key;
    this.shownId = id;
    clear(this.body);
    if (!t) {
      this.body.append(h("p", { class: "muted" }, "No trial has reported the metric yet."));
      return;
    }
    const value = t.best ?? (metric ? t.last[metric] : undefined);
    const rows = Object.entries(t.config).map(([k, v]) => h("tr", {}, h("th", {}, k), h("td", {}, formatNumber(v))));
    const link = h("a", { href: "#", class: "trial-link", "data-testid": "best-id" }, t.id);
    link.addEventListener("click", (e) => {
      e.preventDefault();
      this.app.select(t.id);
    });
    this.body.append(
      h("div", { class: "best-head" }, link, h("span", { class: "best-value", "data-testid": "best-value" }, `${metric ?? "metric"} = ${formatNumber(value)}`),
        h("span", { class: "muted" }, ` (${this.app.mode}) · iteration ${t.iteration} · ${t.status.toLowerCase()}`)),
      h("table", { class: "kv" }, h("tbody", {}, ...rows)),
    );
  }
}
