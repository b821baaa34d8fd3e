/**
 * Reads a tune.config.ts without running it: parses it (no type-check), finds
 * the default export and evaluates its syntax into the plain shape the runner
 * would load. What cannot be known from the file alone (imports, function
 * calls, functions, `let` bindings) becomes DYNAMIC, never a guess. Every
 * evaluated value keeps the source range it came from, keyed by its path.
 */
import ts from "typescript";
import { DYNAMIC, isDynamic } from "../engine/space/diagnostics.ts";
import type { KeyPath } from "../engine/space/path.ts";
import { isPlainObject } from "../engine/space/variants.ts";
import { HELPERS, type Helper } from "./helpers.ts";

export interface TextSpan { start: number; end: number }

/** Where one evaluated value came from. */
export interface SourceSpan {
  path: KeyPath;
  /** The property name, for values that are an object's property. */
  key?: TextSpan;
  value: TextSpan;
  /** Recorded inside a spread: an explicit property at the same path replaces it. */
  weak?: boolean;
}

/** One call of a tunelab helper (`uniform(0, 1)`), with the path its result lands at. */
export interface HelperCall {
  path: KeyPath;
  /** The helper's exported name (`loguniform`), whatever local alias the file uses. */
  name: string;
  callee: TextSpan;
  call: TextSpan;
  /** Source ranges of the positional arguments. */
  args: TextSpan[];
  result: unknown;
}

export interface Evaluation {
  source: ts.SourceFile;
  /** The config as the runner would see it; DYNAMIC where unknown, undefined when there is no default export. */
  value: unknown;
  /** A short range to report whole-config problems at (the `defineConfig` name or the opening brace). */
  anchor?: TextSpan;
  /** The object literal the config is written as, when it is one. */
  root?: ts.ObjectLiteralExpression;
  /** Source ranges by path (see pathKey); the first recording of a path wins. */
  spans: Map<string, SourceSpan>;
  calls: HelperCall[];
  /** The `import {...} from "tunelab"` declaration, for completions that add an import. */
  tunelabImport?: ts.ImportDeclaration;
  /** Local names bound to tunelab helpers (`uniform`, or an alias). */
  helperNames: Map<string, string>;
}

/** A map key for a path; numbers (array indices) are marked so `["0"]` and `[0]` differ. */
export const pathKey = (path: KeyPath): string => {
  let key = "";
  for (const part of path) key += typeof part === "number" ? `\u0000#${part}` : `\u0000${part}`;
  return key;
};

// SyntaxKind values read once: looking them up on the typescript module object per node is
// what made evaluation slow (the module object has thousands of properties).
const K = {
  Numeric: ts.SyntaxKind.NumericLiteral, String: ts.SyntaxKind.StringLiteral, Template0: ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  True: ts.SyntaxKind.TrueKeyword, False: ts.SyntaxKind.FalseKeyword, Null: ts.SyntaxKind.NullKeyword,
  Object: ts.SyntaxKind.ObjectLiteralExpression, Array: ts.SyntaxKind.ArrayLiteralExpression, Identifier: ts.SyntaxKind.Identifier,
  Prefix: ts.SyntaxKind.PrefixUnaryExpression, Binary: ts.SyntaxKind.BinaryExpression, Template: ts.SyntaxKind.TemplateExpression,
  Call: ts.SyntaxKind.CallExpression, Property: ts.SyntaxKind.PropertyAccessExpression, Element: ts.SyntaxKind.ElementAccessExpression,
  Paren: ts.SyntaxKind.ParenthesizedExpression, As: ts.SyntaxKind.AsExpression, Satisfies: ts.SyntaxKind.SatisfiesExpression,
  NonNull: ts.SyntaxKind.NonNullExpression, TypeAssertion: ts.SyntaxKind.TypeAssertionExpression,
  PropertyAssignment: ts.SyntaxKind.PropertyAssignment, Shorthand: ts.SyntaxKind.ShorthandPropertyAssignment, Spread: ts.SyntaxKind.SpreadAssignment,
  SpreadElement: ts.SyntaxKind.SpreadElement, Omitted: ts.SyntaxKind.OmittedExpression,
} as const;

const TUNELAB_MODULE = /^tunelab(\/|$)/;

/** Parse `text` and evaluate its default export. */
export function evaluateConfig(text: string, fileName = "tune.config.ts"): Evaluation {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  return new Evaluator(source).run();
}

type Binding = { kind: "const"; init: ts.Expression } | { kind: "opaque" } | { kind: "helper"; name: string } | { kind: "namespace" };

class Evaluator {
  private readonly bindings = new Map<string, Binding>();
  private readonly active = new Set<string>();
  private weak = 0;
  private readonly out: Evaluation;

  constructor(private readonly source: ts.SourceFile) {
    this.out = { source, value: undefined, spans: new Map(), calls: [], helperNames: new Map() };
  }

  run(): Evaluation {
    let exported: ts.Expression | undefined;
    for (const stmt of this.source.statements) {
      this.bind(stmt);
      if (ts.isExportAssignment(stmt) && !stmt.isExportEquals) exported = stmt.expression;
      if (ts.isExportDeclaration(stmt) && !stmt.moduleSpecifier && stmt.exportClause && ts.isNamedExports(stmt.exportClause)) {
        const spec = stmt.exportClause.elements.find((e) => e.name.text === "default");
        if (spec) exported = spec.propertyName && ts.isIdentifier(spec.propertyName) ? spec.propertyName : spec.name;
      }
    }
    if (!exported) return this.out;
    this.out.root = this.rootObject(exported);
    this.out.anchor = this.anchorOf(exported);
    this.out.value = this.eval(exported, [], true);
    return this.out;
  }

  private bind(stmt: ts.Statement): void {
    if (ts.isImportDeclaration(stmt)) {
      const from = ts.isStringLiteral(stmt.moduleSpecifier) ? stmt.moduleSpecifier.text : "";
      const ours = TUNELAB_MODULE.test(from);
      if (ours && stmt.importClause?.namedBindings && ts.isNamedImports(stmt.importClause.namedBindings)) this.out.tunelabImport = stmt;
      const clause = stmt.importClause;
      if (clause?.name) this.bindings.set(clause.name.text, { kind: "opaque" });
      const named = clause?.namedBindings;
      if (named && ts.isNamespaceImport(named)) this.bindings.set(named.name.text, ours ? { kind: "namespace" } : { kind: "opaque" });
      if (named && ts.isNamedImports(named)) {
        for (const el of named.elements) {
          const imported = (el.propertyName ?? el.name).text;
          const helper = ours && imported in HELPERS;
          this.bindings.set(el.name.text, helper ? { kind: "helper", name: imported } : { kind: "opaque" });
          if (helper) this.out.helperNames.set(el.name.text, imported);
        }
      }
    } else if (ts.isVariableStatement(stmt)) {
      const isConst = (stmt.declarationList.flags & ts.NodeFlags.Const) !== 0;
      for (const decl of stmt.declarationList.declarations) {
        if (!ts.isIdentifier(decl.name)) continue; // destructuring: its names stay unbound, hence unknown
        this.bindings.set(decl.name.text, isConst && decl.initializer ? { kind: "const", init: decl.initializer } : { kind: "opaque" });
      }
    } else if ((ts.isFunctionDeclaration(stmt) || ts.isClassDeclaration(stmt) || ts.isEnumDeclaration(stmt)) && stmt.name) {
      this.bindings.set(stmt.name.text, { kind: "opaque" });
    }
  }

  private rootObject(node: ts.Expression): ts.ObjectLiteralExpression | undefined {
    const inner = unwrap(node);
    if (ts.isObjectLiteralExpression(inner)) return inner;
    if (ts.isCallExpression(inner) && this.helperOf(inner.expression)?.kind === "config" && inner.arguments[0]) return this.rootObject(inner.arguments[0]);
    if (ts.isIdentifier(inner)) {
      const b = this.bindings.get(inner.text);
      if (b?.kind === "const" && !this.active.has(inner.text)) {
        this.active.add(inner.text);
        try { return this.rootObject(b.init); } finally { this.active.delete(inner.text); }
      }
    }
    return undefined;
  }

  private anchorOf(node: ts.Expression): TextSpan {
    const inner = unwrap(node);
    if (ts.isCallExpression(inner)) return span(inner.expression);
    if (ts.isObjectLiteralExpression(inner)) return { start: inner.getStart(), end: inner.getStart() + 1 };
    return span(inner);
  }

  private record(path: KeyPath, value: ts.Node, key?: ts.Node): void {
    const k = pathKey(path);
    const existing = this.out.spans.get(k);
    if (existing && (!existing.weak || this.weak > 0)) return;
    this.out.spans.set(k, { path: [...path], value: span(value), ...(key ? { key: span(key) } : {}), ...(this.weak > 0 ? { weak: true } : {}) });
  }

  private eval(node: ts.Expression, path: KeyPath, rec: boolean): unknown {
    if (rec) this.record(path, node);
    const inner = unwrap(node);
    switch (inner.kind) {
      case K.Numeric: return Number((inner as ts.NumericLiteral).text);
      case K.String:
      case K.Template0: return (inner as ts.StringLiteral).text;
      case K.True: return true;
      case K.False: return false;
      case K.Null: return null;
      case K.Object: return this.object(inner as ts.ObjectLiteralExpression, path, rec);
      case K.Array: return this.array(inner as ts.ArrayLiteralExpression, path, rec);
      case K.Identifier: return this.identifier(inner as ts.Identifier, path, rec);
      case K.Prefix: return this.prefix(inner as ts.PrefixUnaryExpression, path);
      case K.Binary: return this.binary(inner as ts.BinaryExpression, path);
      case K.Template: return this.template(inner as ts.TemplateExpression, path);
      case K.Call: return this.call(inner as ts.CallExpression, path, rec);
      case K.Property: case K.Element: return this.access(inner as ts.PropertyAccessExpression | ts.ElementAccessExpression, path);
      // Functions (sampleFrom's fn, stopWhen's), conditionals, `new`, await, ...: opaque.
      default: return DYNAMIC;
    }
  }

  private object(node: ts.ObjectLiteralExpression, path: KeyPath, rec: boolean): unknown {
    const out: Record<string, unknown> = {};
    let open = false;
    for (const prop of node.properties) {
      if (prop.kind === K.Spread) {
        this.weak++;
        const v = this.eval(prop.expression, path, rec);
        this.weak--;
        if (isPlainObject(v) && !isDynamic(v)) Object.assign(out, v);
        else if (v !== undefined && v !== null) open = true;
        continue;
      }
      const key = this.propertyName(prop.name, path);
      if (key === undefined) { open = true; continue; }
      const child = [...path, key];
      if (prop.kind === K.PropertyAssignment) {
        if (rec) this.record(child, this.definition(prop.initializer), prop.name);
        out[key] = this.eval(prop.initializer, child, rec);
      } else if (prop.kind === K.Shorthand) {
        if (rec) this.record(child, this.definition(prop.name), prop.name);
        out[key] = this.identifier(prop.name, child, rec);
      } else {
        // Methods and accessors are functions: present, but opaque.
        if (rec) this.record(child, prop, prop.name);
        out[key] = DYNAMIC;
      }
    }
    // An unknown spread may add or override any key: the object as a whole is unknown.
    return open ? DYNAMIC : out;
  }

  /** Where a value is written: a `const` name leads to its initializer, where a fix would go. */
  private definition(node: ts.Expression): ts.Expression {
    const seen = new Set<string>();
    let n = unwrap(node);
    while (ts.isIdentifier(n) && !seen.has(n.text)) {
      const b = this.bindings.get(n.text);
      if (b?.kind !== "const") break;
      seen.add(n.text);
      n = unwrap(b.init);
    }
    return n;
  }

  private propertyName(name: ts.PropertyName, path: KeyPath): string | undefined {
    if (name.kind === K.Identifier || name.kind === K.String || name.kind === K.Template0) return (name as ts.Identifier).text;
    if (name.kind === K.Numeric) return String(Number(name.text));
    if (ts.isComputedPropertyName(name)) {
      const v = this.eval(name.expression, path, false);
      return typeof v === "string" || typeof v === "number" ? String(v) : undefined;
    }
    return undefined;
  }

  private array(node: ts.ArrayLiteralExpression, path: KeyPath, rec: boolean): unknown {
    const out: unknown[] = [];
    for (const el of node.elements) {
      if (el.kind === K.SpreadElement) {
        const v = this.eval((el as ts.SpreadElement).expression, path, false);
        if (!Array.isArray(v)) return DYNAMIC; // unknown length shifts every later index
        out.push(...(v as unknown[]));
      } else if (el.kind === K.Omitted) out.push(undefined);
      else out.push(this.eval(el, [...path, out.length], rec));
    }
    return out;
  }

  private identifier(node: ts.Identifier, path: KeyPath, rec: boolean): unknown {
    if (node.text === "undefined" && !this.bindings.has("undefined")) return undefined;
    if (node.text === "Infinity" && !this.bindings.has("Infinity")) return Infinity;
    if (node.text === "NaN" && !this.bindings.has("NaN")) return NaN;
    const b = this.bindings.get(node.text);
    if (b?.kind !== "const" || this.active.has(node.text)) return DYNAMIC;
    this.active.add(node.text);
    try {
      return this.eval(b.init, path, rec);
    } finally {
      this.active.delete(node.text);
    }
  }

  private prefix(node: ts.PrefixUnaryExpression, path: KeyPath): unknown {
    const v = this.eval(node.operand, path, false);
    if (typeof v !== "number") return DYNAMIC;
    if (node.operator === ts.SyntaxKind.MinusToken) return -v;
    if (node.operator === ts.SyntaxKind.PlusToken) return v;
    return DYNAMIC;
  }

  private binary(node: ts.BinaryExpression, path: KeyPath): unknown {
    const a = this.eval(node.left, path, false);
    const b = this.eval(node.right, path, false);
    const op = node.operatorToken.kind;
    if (op === ts.SyntaxKind.PlusToken && (typeof a === "string" || typeof b === "string") && isPrimitive(a) && isPrimitive(b)) {
      return String(a) + String(b);
    }
    if (typeof a !== "number" || typeof b !== "number") return DYNAMIC;
    switch (op) {
      case ts.SyntaxKind.PlusToken: return a + b;
      case ts.SyntaxKind.MinusToken: return a - b;
      case ts.SyntaxKind.AsteriskToken: return a * b;
      case ts.SyntaxKind.SlashToken: return a / b;
      case ts.SyntaxKind.PercentToken: return a % b;
      case ts.SyntaxKind.AsteriskAsteriskToken: return a ** b;
      default: return DYNAMIC;
    }
  }

  private template(node: ts.TemplateExpression, path: KeyPath): unknown {
    let out = node.head.text;
    for (const part of node.templateSpans) {
      const v = this.eval(part.expression, path, false);
      if (!isPrimitive(v)) return DYNAMIC;
      out += String(v) + part.literal.text;
    }
    return out;
  }

  private access(node: ts.PropertyAccessExpression | ts.ElementAccessExpression, path: KeyPath): unknown {
    const target = this.eval(node.expression, path, false);
    const key = ts.isPropertyAccessExpression(node) ? node.name.text : this.eval(node.argumentExpression, path, false);
    if (typeof key !== "string" && typeof key !== "number") return DYNAMIC;
    if (Array.isArray(target) && key === "length") return target.length;
    if ((isPlainObject(target) && !isDynamic(target)) || Array.isArray(target)) {
      return Object.prototype.hasOwnProperty.call(target, key) ? (target as Record<string, unknown>)[key] : undefined;
    }
    return DYNAMIC;
  }

  /** The helper a callee names: a tunelab import (maybe aliased, maybe `tl.uniform`) or an unbound helper name. */
  private helperOf(callee: ts.Expression): (Helper & { name: string }) | undefined {
    const inner = unwrap(callee);
    let name: string | undefined;
    if (inner.kind === K.Identifier && ts.isIdentifier(inner)) {
      const b = this.bindings.get(inner.text);
      name = b === undefined ? inner.text : b.kind === "helper" ? b.name : undefined;
    } else if (ts.isPropertyAccessExpression(inner) && ts.isIdentifier(inner.expression) && this.bindings.get(inner.expression.text)?.kind === "namespace") {
      name = inner.name.text;
    }
    const helper = name !== undefined && Object.prototype.hasOwnProperty.call(HELPERS, name) ? HELPERS[name] : undefined;
    return helper && name ? { ...helper, name } : undefined;
  }

  private call(node: ts.CallExpression, path: KeyPath, rec: boolean): unknown {
    const helper = this.helperOf(node.expression);
    if (!helper || node.arguments.some((a) => a.kind === K.SpreadElement)) return DYNAMIC;
    const args = node.arguments.map((arg, i) => {
      const param = helper.params[i];
      if (param === undefined) return this.eval(arg, path, false);
      if (param === "options") return this.eval(arg, path, rec);
      return this.eval(arg, [...path, param], rec);
    });
    const result = helper.build(args);
    if (rec && helper.kind !== "config") {
      this.out.calls.push({ path: [...path], name: helper.name, callee: span(node.expression), call: span(node), args: node.arguments.map(span), result });
    }
    return result;
  }
}

const WRAPPERS: ReadonlySet<ts.SyntaxKind> = new Set([K.Paren, K.As, K.Satisfies, K.NonNull, K.TypeAssertion]);

function unwrap(node: ts.Expression): ts.Expression {
  let n = node;
  while (WRAPPERS.has(n.kind)) n = (n as ts.ParenthesizedExpression).expression;
  return n;
}

function span(node: ts.Node): TextSpan {
  return { start: node.getStart(node.getSourceFile()), end: node.end };
}

function isPrimitive(v: unknown): boolean {
  return v === null || v === undefined || ["string", "number", "boolean"].includes(typeof v);
}
