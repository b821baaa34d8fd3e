/**
 * The trial table: sortable, filterable, virtualised (only the rows in view
 * exist in the DOM, recycled while scrolling), so 10,000 trials scroll smoothly.
 * A click selects the trial everywhere.
 */
import { cellValue, filterTrials, parseFilter, resortChanged, sortTrials } from "../../../src/shared/dashboard-table.ts";
import type { TrialSummary } from "../../../src/shared/dashboard-types.ts";
import type { App, Change, View } from "../app.ts";
import { clear, formatNumber, h } from "../dom.ts";

const ROW_H = 22;
const OVERSCAN = 6;

interface Column {
  key: string;
  label: string;
}

export class TableView implements View {
  private readonly head = h("div", { class: "trow thead", role: "row" });
  private readonly scroller = h("div", { class: "tscroll", "data-testid": "table-scroll", role: "rowgroup" });
  private readonly spacer = h("div", { class: "tspacer" });
  private readonly count = h("span", { class: "muted", "data-testid": "table-count" });
  private readonly pool: HTMLElement[] = [];
  private columns: Column[] = [];
  private rows: TrialSummary[] = [];
  private columnsKey = "";
  /** The sort key, direction and filter `rows` is in. */
  private order = "";

  constructor(private readonly app: App, el: HTMLElement) {
    const filter = h("vscode-textfield", { placeholder: "filter: text, status=ERROR, lr<0.01", "aria-label": "filter trials", "data-testid": "table-filter", class: "filter" }) as HTMLElement & { value: string };
    queueMicrotask(() => (filter.value = app.ui.filter ?? ""));
    filter.addEventListener("input", () => app.setUi({ filter: filter.value }));
    this.scroller.append(this.spacer);
    this.scroller.addEventListener("scroll", () => this.renderRows(), { passive: true });
    el.append(h("div", { class: "toolbar" }, h("h2", {}, "Trials"), filter, this.count), h("div", { class: "table", role: "table", "aria-label": "trials" }, this.head, this.scroller));
  }

  update(change: Change): void {
    if (!change.all && !change.trials && !change.ui && !change.info && !change.selection) return;
    this.setColumns();
    if (change.selection && !change.all && !change.trials && !change.ui) {
      this.renderRows();
      return;
    }
    const sort = this.app.ui.sort ?? { key: this.app.metric ? "best" : "index", desc: this.app.mode === "max" };
    const key = sort.key === "best" ? this.bestKey() : sort.key;
    const filter = this.app.ui.filter ?? "";
    const order = `${key}|${sort.desc}|${filter}`;
    if (change.trials && !change.all && !change.ui && !change.info && order === this.order) {
      // A live delta: move only the changed rows (the store replaced their summaries).
      const changed: TrialSummary[] = [];
      for (const id of change.trials) {
        const t = this.app.store.get(id);
        if (t) changed.push(t);
      }
      resortChanged(this.rows, changed, key, sort.desc, filter.trim() === "" ? undefined : parseFilter(filter));
    } else {
      this.rows = sortTrials(filterTrials(this.app.store.trials, filter), key, sort.desc);
      this.order = order;
    }
    this.count.textContent = `${this.rows.length} of ${this.app.store.trials.length}`;
    this.spacer.style.height = `${this.rows.length * ROW_H}px`;
    this.renderRows();
  }

  /** Sorting by "best" means the experiment's best value, or the chosen metric's last value. */
  private bestKey(): string {
    const m = this.app.metric;
    return m !== undefined && m !== this.app.store.info?.metric ? `m:${m}` : "best";
  }

  private setColumns(): void {
    const info = this.app.store.info;
    const metric = this.app.metric;
    const params = (info?.params ?? []).map((p) => p.path);
    const others = this.app.store.metrics.filter((m) => m !== metric).slice(0, 4);
    const key = [metric, ...params, "|", ...others].join("\u0000");
    if (key === this.columnsKey) return;
    this.columnsKey = key;
    this.columns = [
      { key: "id", label: "trial" }, { key: "status", label: "status" }, { key: "iteration", label: "iter" },
      { key: "best", label: metric ?? "metric" },
      ...params.map((p) => ({ key: `c:${p}`, label: p })), ...others.map((m) => ({ key: `m:${m}`, label: m })),
    ];
    this.head.parentElement?.style.setProperty("--cols", String(this.columns.length));
    clear(this.head);
    for (const c of this.columns) {
      const cell = h("div", { class: "tcell th", role: "columnheader", title: c.label, "data-key": c.key }, c.label);
      cell.addEventListener("click", () => {
        const cur = this.app.ui.sort;
        this.app.setUi({ sort: { key: c.key, desc: cur?.key === c.key ? !cur.desc : c.key === "best" && this.app.mode === "max" } });
      });
      this.head.append(cell);
    }
    for (const row of this.pool) row.remove();
    this.pool.length = 0;
  }

  private renderRows(): void {
    const viewH = this.scroller.clientHeight || 300;
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / ROW_H) - OVERSCAN);
    const last = Math.min(this.rows.length, Math.ceil((this.scroller.scrollTop + viewH) / ROW_H) + OVERSCAN);
    const need = last - first;
    while (this.pool.length < need) {
      const row = h("div", { class: "trow", role: "row" }, ...this.columns.map(() => h("div", { class: "tcell", role: "cell" })));
      row.addEventListener("click", () => {
        const id = row.dataset.id;
        if (id !== undefined) this.app.select(id);
      });
      this.spacer.append(row);
      this.pool.push(row);
    }
    const bestKey = this.bestKey();
    for (let i = 0; i < this.pool.length; i++) {
      const row = this.pool[i]!;
      const t = this.rows[first + i];
      if (i >= need || !t) {
        row.hidden = true;
        continue;
      }
      row.hidden = false;
      row.dataset.id = t.id;
      row.style.transform = `translateY(${(first + i) * ROW_H}px)`;
      row.classList.toggle("selected", t.id === this.app.selected);
      row.classList.toggle("early", t.earlyStopped);
      row.setAttribute("aria-selected", String(t.id === this.app.selected));
      const cells = row.children;
      for (let c = 0; c < this.columns.length; c++) {
        const key = this.columns[c]!.key;
        const v = cellValue(t, key === "best" ? bestKey : key);
        const text = key === "status" && t.earlyStopped ? "STOPPED EARLY" : formatNumber(v);
        const cell = cells[c] as HTMLElement;
        if (cell.textContent !== text) {
          cell.textContent = text;
          cell.title = text;
        }
      }
    }
  }

  /** Scrolls so the trial's row is visible (a reveal from the tree). */
  reveal(id: string): void {
    const i = this.rows.findIndex((t) => t.id === id);
    if (i < 0) return;
    const top = i * ROW_H;
    if (top < this.scroller.scrollTop || top > this.scroller.scrollTop + this.scroller.clientHeight - ROW_H) this.scroller.scrollTop = top - ROW_H * 3;
    this.renderRows();
  }
}
