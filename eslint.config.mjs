import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

const noVscode = {
  paths: [{ name: "vscode", message: "engine, server and shared code never import vscode (ARCHITECTURE.md)." }],
};

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "examples/**/.tunelab/**", "**/*.cjs", "**/.tunelab/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": ["error", {
        allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["describe", "it", "test", "suite", "before", "after", "beforeEach", "afterEach"] }],
      }],
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["src/engine/**/*.ts", "src/server/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { ...noVscode, patterns: [{ group: ["**/extension/**", "**/webview/**"], message: "engine/server never import the extension or the webview." }] }],
    },
  },
  {
    files: ["src/shared/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { ...noVscode, patterns: [{ group: ["**/engine/**", "**/extension/**", "**/server/**", "node:*"], message: "shared holds pure contracts only, with no I/O." }] }],
    },
  },
  {
    files: ["webview/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { ...noVscode, patterns: [{ group: ["**/engine/**", "**/extension/**", "**/server/**"], message: "the webview talks only through src/shared contracts." }] }],
    },
  },
  {
    files: ["src/extension/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: ["**/engine/runner*", "**/engine/tuner*", "**/engine/executors/**"], message: "the extension talks to the engine through the CLI, the experiment dir and the control API." }] }],
    },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    languageOptions: { globals: { ...globals.node } },
  },
);
