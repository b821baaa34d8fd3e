/// <reference lib="dom" />
/** A few of VS Code's theme variables for the standalone page (VS Code sets them itself). */
const THEMES: Record<string, { kind: string; vars: Record<string, string> }> = {
  dark: {
    kind: "vscode-dark",
    vars: {
      "--vscode-foreground": "#cccccc", "--vscode-editor-foreground": "#d4d4d4", "--vscode-editor-background": "#1e1e1e",
      "--vscode-descriptionForeground": "#9d9d9d", "--vscode-widget-border": "#454545", "--vscode-focusBorder": "#007fd4",
      "--vscode-charts-blue": "#3794ff", "--vscode-charts-green": "#89d185", "--vscode-charts-purple": "#b180d7",
      "--vscode-charts-yellow": "#cca700", "--vscode-charts-red": "#f14c4c", "--vscode-charts-orange": "#d18616",
      "--vscode-badge-background": "#4d4d4d", "--vscode-badge-foreground": "#ffffff", "--vscode-list-activeSelectionBackground": "#04395e",
      "--vscode-list-activeSelectionForeground": "#ffffff", "--vscode-list-hoverBackground": "#2a2d2e", "--vscode-textLink-foreground": "#3794ff",
      "--vscode-font-family": "sans-serif", "--vscode-font-size": "13px", "--vscode-errorForeground": "#f48771",
    },
  },
  light: {
    kind: "vscode-light",
    vars: {
      "--vscode-foreground": "#616161", "--vscode-editor-foreground": "#000000", "--vscode-editor-background": "#ffffff",
      "--vscode-descriptionForeground": "#717171", "--vscode-widget-border": "#d4d4d4", "--vscode-focusBorder": "#0090f1",
      "--vscode-charts-blue": "#1a85ff", "--vscode-charts-green": "#388a34", "--vscode-charts-purple": "#652d90",
      "--vscode-charts-yellow": "#bf8803", "--vscode-charts-red": "#e51400", "--vscode-charts-orange": "#d18616",
      "--vscode-list-activeSelectionBackground": "#0060c0", "--vscode-list-activeSelectionForeground": "#ffffff",
      "--vscode-font-family": "sans-serif", "--vscode-font-size": "13px", "--vscode-textLink-foreground": "#006ab1",
    },
  },
  "high-contrast": {
    kind: "vscode-high-contrast",
    vars: {
      "--vscode-foreground": "#ffffff", "--vscode-editor-foreground": "#ffffff", "--vscode-editor-background": "#000000",
      "--vscode-descriptionForeground": "#ffffff", "--vscode-widget-border": "#6fc3df", "--vscode-contrastActiveBorder": "#f38518",
      "--vscode-charts-blue": "#3794ff", "--vscode-charts-green": "#89d185", "--vscode-charts-red": "#f14c4c", "--vscode-charts-orange": "#f38518",
      "--vscode-font-family": "sans-serif", "--vscode-font-size": "13px",
    },
  },
};

export function applyTheme(name: string): void {
  const theme = THEMES[name] ?? THEMES.dark!;
  const apply = (): void => {
    document.body.classList.add(theme.kind);
    document.body.dataset.vscodeThemeKind = theme.kind;
  };
  for (const [k, v] of Object.entries(theme.vars)) document.documentElement.style.setProperty(k, v);
  if (document.body) apply();
  else document.addEventListener("DOMContentLoaded", apply);
}
