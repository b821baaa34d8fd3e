/** The status bar text, pure so it is tested without a workbench. */
import type { Experiment } from "../model/experiment.ts";
import { formatNumber } from "./tree-nodes.ts";

/** The text shown for `exp`, e.g. `$(sync~spin) digits 4/10 · val_acc 0.9777`. */
export function statusText(exp: Experiment, running: boolean): string {
  const s = exp.state;
  const done = s.trials.filter((t) => t.status === "TERMINATED" || t.status === "ERROR").length;
  const best = exp.bestTrial();
  const metric = best && s.metric ? ` · ${s.metric} ${formatNumber(best.best)}` : "";
  return `${running ? "$(sync~spin)" : "$(beaker)"} ${exp.name} ${done}/${s.trials.length}${metric}`;
}
