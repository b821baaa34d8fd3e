/**
 * What the cursor is in, for completion: a key or a value position, at which
 * config path, and inside which string literal. Works on the half-typed
 * source, which the TypeScript parser still turns into a tree.
 */
import ts from "typescript";
import type { KeyPath } from "../engine/space/path.ts";
import type { Evaluation } from "./evaluate.ts";
import { HELPERS } from "./helpers.ts";

export interface CursorContext {
  kind: "key" | "value";
  /** For a key: the path of the object the key goes in. For a value: the path the value lands at. */
  path: KeyPath;
  /** Keys already in that object (key positions only). */
  present: Set<string>;
  /** The string literal the cursor is in, if any. */
  string?: ts.StringLiteralLike;
}

export function contextAt(ev: Evaluation, offset: number): CursorContext | undefined {
  let node = nodeAt(ev.source, offset);
  const string = ts.isStringLiteralLike(node) ? node : undefined;
  const withString = (c: Omit<CursorContext, "string">): CursorContext => (string ? { ...c, string } : c);
  for (; node.parent; node = node.parent) {
    const parent: ts.Node = node.parent;
    if (ts.isObjectLiteralExpression(node) && node.getStart() < offset) {
      const pending = pendingValue(node, offset, ev.source.text);
      if (pending) {
        const path = pathOf(ev, node);
        const key = propName(pending.name);
        return path && key !== undefined ? { kind: "value", path: [...path, key], present: new Set() } : undefined;
      }
      const path = pathOf(ev, node);
      return path ? withString({ kind: "key", path, present: keysOf(node) }) : undefined;
    }
    if (ts.isPropertyAssignment(parent) && ts.isObjectLiteralExpression(parent.parent)) {
      const path = pathOf(ev, parent.parent);
      const key = propName(parent.name);
      if (!path || key === undefined) return undefined;
      if (node === parent.initializer) return withString({ kind: "value", path: [...path, key], present: new Set() });
      return withString({ kind: "key", path, present: keysOf(parent.parent) });
    }
    if (ts.isShorthandPropertyAssignment(parent) && ts.isObjectLiteralExpression(parent.parent)) {
      const path = pathOf(ev, parent.parent);
      return path ? { kind: "key", path, present: keysOf(parent.parent) } : undefined;
    }
    if (ts.isArrayLiteralExpression(node)) {
      const path = pathOf(ev, node);
      const index = node.elements.filter((e) => e.getEnd() < offset).length;
      return path ? withString({ kind: "value", path: [...path, index], present: new Set() }) : undefined;
    }
    // Inside a positional argument of a helper call (numbers): nothing to offer.
    if (ts.isCallExpression(parent) && node !== parent.expression && !isOptionsArgument(parent, node)) return undefined;
  }
  return undefined;
}

/** The innermost node whose text (without leading trivia) contains offset. */
export function nodeAt(source: ts.SourceFile, offset: number): ts.Node {
  let node: ts.Node = source;
  for (;;) {
    let next: ts.Node | undefined;
    node.forEachChild((c) => {
      if (!next && c.getStart(source) <= offset && offset <= c.getEnd()) next = c;
      return undefined;
    });
    if (!next) return node;
    node = next;
  }
}

/** `{ lr: | }`: the parser ends the property at its colon, so the cursor looks like it is between keys. */
function pendingValue(obj: ts.ObjectLiteralExpression, offset: number, text: string): ts.PropertyAssignment | undefined {
  const before = obj.properties.filter((p) => p.getEnd() <= offset).at(-1);
  if (!before || !ts.isPropertyAssignment(before) || before.initializer.getWidth() > 0) return undefined;
  return /^\s*$/.test(text.slice(before.getEnd(), offset)) ? before : undefined;
}

function propName(name: ts.PropertyName): string | undefined {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return undefined;
}

function keysOf(obj: ts.ObjectLiteralExpression): Set<string> {
  const keys = new Set<string>();
  for (const p of obj.properties) {
    const k = p.name && ts.isPropertyName(p.name) ? propName(p.name) : undefined;
    // A shorthand being typed is the key under the cursor, not one already there.
    if (k !== undefined && !ts.isShorthandPropertyAssignment(p)) keys.add(k);
  }
  return keys;
}

function isOptionsArgument(call: ts.CallExpression, arg: ts.Node): boolean {
  const callee = call.expression;
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : undefined;
  const helper = name !== undefined && Object.prototype.hasOwnProperty.call(HELPERS, name) ? HELPERS[name] : undefined;
  return helper?.params[call.arguments.indexOf(arg as ts.Expression)] === "options";
}

/** The config path an object or array literal stands at; undefined when it is not part of the config. */
function pathOf(ev: Evaluation, node: ts.Node): KeyPath | undefined {
  if (node === ev.root) return [];
  const parent = node.parent;
  if (!parent) return undefined;
  if (ts.isPropertyAssignment(parent) && parent.initializer === node && ts.isObjectLiteralExpression(parent.parent)) {
    const base = pathOf(ev, parent.parent);
    const key = propName(parent.name);
    return base && key !== undefined ? [...base, key] : undefined;
  }
  if (ts.isArrayLiteralExpression(parent)) {
    const base = pathOf(ev, parent);
    return base ? [...base, parent.elements.indexOf(node as ts.Expression)] : undefined;
  }
  if (ts.isParenthesizedExpression(parent) || ts.isAsExpression(parent) || ts.isSatisfiesExpression(parent)) return pathOf(ev, parent);
  if (ts.isCallExpression(parent) && isOptionsArgument(parent, node)) return pathOf(ev, parent);
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) {
    // `const space = {...}` used as `space: space`: where the evaluator met the name.
    const name = parent.name.text;
    for (const s of ev.spans.values()) if (ev.source.text.slice(s.value.start, s.value.end) === name) return s.path;
  }
  return undefined;
}
