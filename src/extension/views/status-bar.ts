/** The status bar entry: the running (else latest) experiment, trials done/total, best metric; click opens the dashboard. */
import * as vscode from "vscode";
import type { Experiments } from "../model/experiments.ts";
import type { Experiment } from "../model/experiment.ts";
import { statusText } from "./status-bar-text.ts";

export class TunelabStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("tunelab.status", vscode.StatusBarAlignment.Left, 10);
  private readonly subscription: { dispose(): void };

  constructor(private readonly experiments: Experiments) {
    this.item.name = "Tunelab";
    this.subscription = experiments.onDidChange(() => this.update());
    this.update();
  }

  /** The experiment the status bar is about: a running one first, else the most recent. */
  current(): Experiment | undefined {
    const list = this.experiments.list().filter((e) => e.kind === "tunelab");
    return list.reverse().find((e) => e.phase() === "running") ?? list[0];
  }

  update(): void {
    const exp = this.current();
    if (!exp) return this.item.hide();
    const running = exp.phase() === "running";
    this.item.text = statusText(exp, running);
    this.item.tooltip = `Tunelab: ${exp.name} (${exp.phase()}) — click to open the dashboard\n${exp.dir}`;
    this.item.command = { command: "tunelab.openDashboard", title: "Open Dashboard", arguments: [exp.dir] };
    this.item.accessibilityInformation = { label: `Tunelab ${this.item.text.replace(/\$\([^)]*\)\s*/g, "")}` };
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
