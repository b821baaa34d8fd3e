/** The dashboard webview's entry: registers the UI elements, builds the layout, and says `ready` to the host. */
import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-checkbox/index.js";
import "@vscode-elements/elements/dist/vscode-option/index.js";
import "@vscode-elements/elements/dist/vscode-single-select/index.js";
import "@vscode-elements/elements/dist/vscode-textfield/index.js";
import "./dashboard.css";
import { RenderedNotification } from "../../src/shared/dashboard-protocol.ts";
import { App } from "./app.ts";
import { applyThemeDefaults } from "./chart-setup.ts";
import { h } from "./dom.ts";
import { HostConnection } from "./host.ts";
import { renderedState } from "./rendered.ts";
import { BestCardView } from "./views/best-card.ts";
import { CurvesView } from "./views/curves.ts";
import { HeaderView } from "./views/header.ts";
import { LineageView } from "./views/lineage.ts";
import { ParallelView } from "./views/pcp.ts";
import { ScatterView } from "./views/scatter.ts";
import { TableView } from "./views/table.ts";

performance.mark("tunelab:script-start");
const app = new App(new HostConnection());
applyThemeDefaults(app.theme);

const section = (id: string, cls = ""): HTMLElement => h("section", { id, class: `card ${cls}`, "data-testid": id });
const header = h("header", { id: "header", "data-testid": "header" });
const error = h("div", { id: "error", class: "error", role: "alert", hidden: true });
const best = section("best");
const curves = section("curves", "wide");
const pcp = section("pcp", "wide");
const scatter = section("scatter");
const lineage = section("lineage");
const table = section("table", "wide");
lineage.hidden = true;
const root = document.getElementById("root") ?? document.body;
root.append(header, error, h("main", { class: "grid" }, best, scatter, curves, pcp, lineage, table));

const tableView = new TableView(app, table);
app.addView(new HeaderView(app, header));
app.addView(new BestCardView(app, best));
app.addView(new CurvesView(app, curves));
app.addView(tableView);
app.addView(new LineageView(app, lineage));
app.addView(new ParallelView(app, pcp), true);
app.addView(new ScatterView(app, scatter), true);

let firstPaint = true;
// Undefined at first, so a selection restored from getState is scrolled into view once data arrives.
let lastSelected: string | undefined;
app.onChange((a) => {
  if (firstPaint && a.store.info) {
    firstPaint = false;
    // Marks the first frame with data: the bench reads it.
    requestAnimationFrame(() => performance.mark("tunelab:first-paint"));
  }
  if (a.selected !== lastSelected && a.store.trials.length > 0) {
    lastSelected = a.selected;
    if (a.selected) tableView.reveal(a.selected);
  }
});
// Once the first snapshot is drawn by every view (the slow ones come last), say what the page shows.
let reported = false;
app.onSlowRender((a) => {
  if (reported || !a.store.info) return;
  reported = true;
  a.host.notify(RenderedNotification, renderedState(document));
});
app.start();
