/**
 * PBT lineage: each exploit/explore step of the selected trial (whose
 * checkpoint it copied, at which iteration, and what changed in its config),
 * and the chain of donors back to the first one.
 */
import type { App, Change, View } from "../app.ts";
import { clear, formatNumber, h } from "../dom.ts";

export class LineageView implements View {
  constructor(private readonly app: App, private readonly el: HTMLElement) {}

  update(change: Change): void {
    if (!change.selection && !change.all && !change.trials) return;
    const store = this.app.store;
    const anyLineage = store.trials.some((t) => t.lineage.length > 0);
    this.el.hidden = !anyLineage;
    if (!anyLineage) return;
    const id = this.app.selected ?? this.app.top(1)[0]?.id;
    const t = id === undefined ? undefined : store.get(id);
    if (change.trials && !change.all && !change.selection && (!id || !change.trials.has(id))) return;
    clear(this.el);
    this.el.append(h("h2", {}, "PBT lineage"));
    if (!t) return;
    const link = (tid: string): HTMLElement => {
      const a = h("a", { href: "#", class: "trial-link" }, tid);
      a.addEventListener("click", (e) => {
        e.preventDefault();
        this.app.select(tid);
      });
      return a;
    };
    this.el.append(h("p", {}, "Trial ", link(t.id), t.lineage.length ? ` took ${t.lineage.length} exploit step(s):` : " kept its own weights (no exploit step)."));
    const list = h("ol", { class: "lineage", "data-testid": "lineage" });
    for (const step of t.lineage) {
      const prev = step.previous ?? {};
      const changed = Object.keys(step.config).filter((k) => JSON.stringify(step.config[k]) !== JSON.stringify(prev[k]));
      list.append(h("li", {},
        step.iteration !== undefined ? `iteration ${step.iteration}: ` : "",
        step.donorId ? h("span", {}, "copied ", link(step.donorId), " ") : "",
        changed.length ? changed.map((k) => `${k} → ${formatNumber(step.config[k])}`).join(", ") : "",
        step.note ? h("span", { class: "muted" }, ` (${step.note})`) : ""));
    }
    this.el.append(list);
    const chain: string[] = [];
    const seen = new Set<string>([t.id]);
    let cur = t;
    while (cur.lineage.length > 0) {
      const donor = cur.lineage[cur.lineage.length - 1]!.donorId;
      if (!donor || seen.has(donor)) break;
      seen.add(donor);
      chain.push(donor);
      const next = store.get(donor);
      if (!next) break;
      cur = next;
    }
    if (chain.length) this.el.append(h("p", { class: "muted" }, "Weights came from: ", ...chain.flatMap((c, i) => [i ? " ← " : "", link(c)])));
  }
}
