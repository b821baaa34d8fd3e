/** Chart colours from VS Code's theme variables, so light, dark and high-contrast themes all read well. */
export interface Theme {
  foreground: string;
  muted: string;
  grid: string;
  background: string;
  accent: string;
  selected: string;
  faded: string;
  stopped: string;
  error: string;
  highContrast: boolean;
  /** Distinct colours for the highlighted curves. */
  series: string[];
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v === "" ? fallback : v;
}

export function readTheme(): Theme {
  const style = getComputedStyle(document.body);
  const kind = document.body.dataset.vscodeThemeKind ?? document.body.className;
  const highContrast = /high-contrast/.test(kind);
  const fg = cssVar(style, "--vscode-editor-foreground", cssVar(style, "--vscode-foreground", "#cccccc"));
  return {
    foreground: fg,
    muted: cssVar(style, "--vscode-descriptionForeground", fg),
    grid: cssVar(style, "--vscode-editorWidget-border", cssVar(style, "--vscode-panel-border", "rgba(128,128,128,0.35)")),
    background: cssVar(style, "--vscode-editor-background", "#1e1e1e"),
    accent: cssVar(style, "--vscode-focusBorder", "#007fd4"),
    selected: cssVar(style, "--vscode-charts-orange", "#d18616"),
    faded: cssVar(style, "--vscode-descriptionForeground", "#888888"),
    stopped: cssVar(style, "--vscode-charts-red", "#f14c4c"),
    error: cssVar(style, "--vscode-errorForeground", "#f48771"),
    highContrast,
    series: [
      cssVar(style, "--vscode-charts-blue", "#3794ff"),
      cssVar(style, "--vscode-charts-green", "#89d185"),
      cssVar(style, "--vscode-charts-purple", "#b180d7"),
      cssVar(style, "--vscode-charts-yellow", "#cca700"),
      cssVar(style, "--vscode-charts-red", "#f14c4c"),
      cssVar(style, "--vscode-charts-foreground", fg),
    ],
  };
}

/** `color` at `alpha` opacity, for any CSS colour the canvas understands. */
export function withAlpha(ctx: CanvasRenderingContext2D, color: string, alpha: number): string {
  ctx.save();
  ctx.fillStyle = color;
  const norm = ctx.fillStyle; // #rrggbb or rgba(...)
  ctx.restore();
  if (norm.startsWith("#") && norm.length === 7) {
    const n = parseInt(norm.slice(1), 16);
    return `rgba(${n >> 16},${(n >> 8) & 255},${n & 255},${alpha})`;
  }
  const m = /^rgba?\(([^)]+)\)$/.exec(norm);
  if (m) {
    const [r, g, b] = m[1]!.split(",").map((s) => s.trim());
    return `rgba(${r},${g},${b},${alpha})`;
  }
  return norm;
}
