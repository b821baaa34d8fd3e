/**
 * An output channel per experiment (highlighted by syntaxes/tunelab-log),
 * fed by the runner's log file when this window started the run, and by the
 * error of each trial that fails; a Python traceback in a trial's error
 * becomes a diagnostic on the file and line it names.
 */
import * as vscode from "vscode";
import { open, readFile, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { Experiment } from "../model/experiment.ts";
import { parseTracebacks } from "./traceback.ts";

export class ExperimentLogs implements vscode.Disposable {
  private readonly channels = new Map<string, vscode.OutputChannel>();
  private readonly reported = new Set<string>();
  private readonly followers = new Set<NodeJS.Timeout>();
  private readonly byFile = new Map<string, vscode.Diagnostic[]>();
  readonly diagnostics = vscode.languages.createDiagnosticCollection("tunelab");

  /** The channel of an experiment (created on first use), keyed by its dir. */
  channel(dir: string, name: string): vscode.OutputChannel {
    let ch = this.channels.get(dir);
    if (!ch) this.channels.set(dir, (ch = vscode.window.createOutputChannel(`Tunelab: ${name}`, "tunelab-log")));
    return ch;
  }

  /** Copies what is appended to `file` into `channel` until `until()` says the writer is gone and the file is drained. */
  follow(file: string, channel: vscode.OutputChannel, until: () => boolean, onText?: (text: string) => void): void {
    let offset = 0;
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void (async () => {
        try {
          const size = (await stat(file)).size;
          if (size > offset) {
            const handle = await open(file, "r");
            try {
              const buf = Buffer.alloc(size - offset);
              const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
              offset += bytesRead;
              const text = buf.toString("utf8", 0, bytesRead);
              channel.append(text);
              onText?.(text);
            } finally {
              await handle.close();
            }
          } else if (until()) {
            clearInterval(timer);
            this.followers.delete(timer);
          }
        } catch {
          // the file is not there yet
        } finally {
          busy = false;
        }
      })();
    }, 200);
    this.followers.add(timer);
  }

  /** Reports trials of `exp` that newly failed: their error in the channel, their traceback as a diagnostic. */
  async reportErrors(exp: Experiment): Promise<void> {
    for (const trial of exp.state.trials) {
      if (trial.status !== "ERROR" && !(trial.failures > 0 && trial.error)) continue;
      const key = `${exp.dir}\0${trial.id}\0${trial.failures}`;
      if (this.reported.has(key)) continue;
      this.reported.add(key);
      const trialDir = exp.trialDir(trial.id);
      const text = (await readFile(join(trialDir, "error.txt"), "utf8").catch(() => "")) || trial.error || "";
      if (!text) continue;
      this.channel(exp.dir, exp.name).appendLine(text.split("\n").map((l) => `[${trial.id}] ${l}`).join("\n"));
      this.addTracebacks(text, trial.id, exp.state.configPath ? dirname(resolve(exp.dir, exp.state.configPath)) : exp.dir);
    }
  }

  /** Adds diagnostics for the tracebacks in `text`; relative paths resolve against `baseDir`. */
  addTracebacks(text: string, trialId: string, baseDir: string): number {
    let added = 0;
    for (const tb of parseTracebacks(text)) {
      if (!tb.culprit) continue;
      const file = isAbsolute(tb.culprit.file) ? tb.culprit.file : resolve(baseDir, tb.culprit.file);
      const line = Math.max(0, tb.culprit.line - 1);
      const d = new vscode.Diagnostic(new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER), `trial ${trialId}: ${tb.message || "Python exception"}`, vscode.DiagnosticSeverity.Error);
      d.source = "tunelab";
      const list = this.byFile.get(file) ?? [];
      if (list.some((x) => x.message === d.message && x.range.start.line === line)) continue;
      list.push(d);
      this.byFile.set(file, list);
      this.diagnostics.set(vscode.Uri.file(file), list);
      added++;
    }
    return added;
  }

  clearDiagnostics(): void {
    this.byFile.clear();
    this.diagnostics.clear();
  }

  dispose(): void {
    for (const t of this.followers) clearInterval(t);
    for (const ch of this.channels.values()) ch.dispose();
    this.diagnostics.dispose();
  }
}
