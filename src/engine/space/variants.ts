/**
 * Ray Tune's BasicVariantGenerator semantics: every `grid` leaf (in nested
 * objects and arrays) forms one cartesian product; the whole product is
 * repeated `samples` times, each variant drawing its random domains afresh;
 * `sampleFrom` functions run last and may read the rest of the config.
 *
 * Variants are produced one at a time from (block, index) positions, so a 10^6
 * grid is never materialised and a saved cursor resumes at the exact variant.
 */
import type { TrialConfig } from "../interfaces.ts";
import { createRng, type Rng, type RngState } from "../random.ts";
import { isDomain, type Grid, type SampleFrom, type Space } from "./domains.ts";
import { SpaceError, formatPath, type KeyPath } from "./path.ts";
import { sampleDomain } from "./sample.ts";

export interface VariantOptions {
  /** num_samples: repetitions of the whole grid. Default 1. */
  samples?: number;
  seed?: number | RngState;
  /** Ray's points_to_evaluate: partial configs run first, each in place of one sample (their grids still expand). */
  points?: readonly TrialConfig[];
  /** Where the space sits in the config, for error messages. Default `["space"]`. */
  path?: KeyPath;
}

/** Where a stream stands: enough to resume with exactly the same next variant. */
export interface VariantCursor {
  readonly block: number;
  readonly index: number;
  readonly rng: RngState;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

const sizes = new WeakMap<object, number>();
/** Grid values' cumulative sizes, only kept when some value is itself a grid-bearing structure. */
const prefixes = new WeakMap<Grid, number[] | null>();

const cap = (n: number): number => (n > Number.MAX_SAFE_INTEGER ? Infinity : n);

/** Number of grid combinations in `node`: product over siblings, sum over a grid's values (nested grids expand). */
export function gridSize(node: unknown): number {
  if (typeof node !== "object" || node === null) return 1;
  const known = sizes.get(node);
  if (known !== undefined) return known;
  let n = 1;
  if (isDomain(node)) {
    if (node.__tunelab === "grid") n = cap(node.values.reduce<number>((s, v) => s + gridSize(v), 0));
  } else if (Array.isArray(node) || isPlainObject(node)) {
    for (const child of Object.values(node)) n = cap(n * gridSize(child));
  }
  sizes.set(node, n);
  return n;
}

/** Exact number of variants: grid size × samples, with points_to_evaluate each replacing one sample. Infinity past 2^53. */
export function countVariants(space: Space, samples = 1, points: readonly TrialConfig[] = []): number {
  let total = Math.max(0, samples - points.length) * gridSize(space);
  for (const point of points) total += gridSize(mergePoint(space, point));
  return cap(total);
}

/** Ray's deep_update: a point's objects merge into the space, any other value replaces what is there. */
export function mergePoint(space: unknown, point: unknown): unknown {
  if (!isPlainObject(point) || !isPlainObject(space) || isDomain(space)) return point;
  const out: Record<string, unknown> = { ...space };
  for (const [key, value] of Object.entries(point)) out[key] = key in space ? mergePoint(space[key], value) : value;
  return out;
}

function locate(grid: Grid, index: number): [number, number] {
  let prefix = prefixes.get(grid);
  if (prefix === undefined) {
    // Plain value lists (the common, possibly huge case) are indexed directly.
    prefix = grid.values.every((v) => gridSize(v) === 1) ? null : [];
    if (prefix) for (const v of grid.values) prefix.push((prefix.at(-1) ?? 0) + gridSize(v));
    prefixes.set(grid, prefix);
  }
  if (prefix === null) return [index, 0];
  let lo = 0;
  let hi = prefix.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (index < (prefix[mid] ?? 0)) hi = mid;
    else lo = mid + 1;
  }
  return [lo, index - (lo === 0 ? 0 : (prefix[lo - 1] ?? 0))];
}

/** The `index`-th grid combination (first leaf varies fastest, as Ray's increment): grids replaced, other domains kept. */
function pick(node: unknown, index: number): unknown {
  if (isDomain(node)) {
    if (node.__tunelab !== "grid") return node;
    const [which, rest] = locate(node, index);
    return pick(node.values[which], rest);
  }
  if (Array.isArray(node) || isPlainObject(node)) {
    let rest = index;
    const out: Record<string, unknown> | unknown[] = Array.isArray(node) ? [] : {};
    for (const [key, child] of Object.entries(node)) {
      const n = gridSize(child);
      (out as Record<string, unknown>)[key] = pick(child, rest % n);
      rest = Math.floor(rest / n);
    }
    return out;
  }
  return node;
}

/** Draw every random domain (depth-first, key order), copying structure; sampleFrom leaves are left and listed. */
function draw(node: unknown, rng: Rng, path: KeyPath, later: KeyPath[]): unknown {
  if (isDomain(node)) {
    if (node.__tunelab === "sample_from") {
      later.push(path);
      return node;
    }
    // A sampled value may hold domains itself (conditional spaces via choice): Ray resolves those too.
    return draw(sampleDomain(node, rng, path), rng, path, later);
  }
  if (Array.isArray(node)) return node.map((child, i) => draw(child, rng, [...path, i], later));
  if (isPlainObject(node)) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node)) out[key] = draw(child, rng, [...path, key], later);
    return out;
  }
  return node;
}

class UnresolvedAccess {
  constructor(readonly path: KeyPath) {}
}

const isSampleFrom = (v: unknown): v is SampleFrom => isDomain(v) && v.__tunelab === "sample_from";

/** A read-only view that throws UnresolvedAccess when a function reads a value not yet resolved. */
function guard(target: object, path: KeyPath): object {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const value = Reflect.get(t, prop, receiver) as unknown;
      if (typeof prop === "symbol") return value;
      const key = Array.isArray(t) && /^\d+$/.test(prop) ? Number(prop) : prop;
      if (isSampleFrom(value)) throw new UnresolvedAccess([...path, key]);
      return typeof value === "object" && value !== null ? guard(value, [...path, key]) : value;
    },
    set: () => false,
    deleteProperty: () => false,
    defineProperty: () => false,
  });
}

function setAt(root: Record<string, unknown>, path: KeyPath, value: unknown): void {
  let node: Record<string | number, unknown> = root;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1) as string | number] = value;
}

function getAt(root: unknown, path: KeyPath): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], root);
}

/** Run sampleFrom functions until none is left; a pass with no progress means they wait on each other. */
function resolveFunctions(config: Record<string, unknown>, pending: KeyPath[], rng: Rng, base: KeyPath): void {
  while (pending.length > 0) {
    const waiting: { path: KeyPath; on: KeyPath }[] = [];
    const discovered: KeyPath[] = [];
    for (const path of pending) {
      const domain = getAt(config, path) as SampleFrom;
      let value: unknown;
      try {
        value = domain.fn({ config: guard(config, []) as Record<string, unknown> });
      } catch (error) {
        if (error instanceof UnresolvedAccess) {
          waiting.push({ path, on: error.path });
          continue;
        }
        throw new SpaceError([...base, ...path], `sampleFrom function threw: ${error instanceof Error ? error.message : String(error)}`);
      }
      setAt(config, path, draw(value, rng, path, discovered));
    }
    if (waiting.length === pending.length && discovered.length === 0) {
      const chain = waiting.map((w) => `${formatPath([...base, ...w.path])} reads ${formatPath([...base, ...w.on])}`).join("; ");
      throw new SpaceError([...base, ...(waiting[0]?.path ?? [])], `sampleFrom functions depend on each other in a cycle: ${chain}`);
    }
    pending = [...waiting.map((w) => w.path), ...discovered];
  }
}

/** One concrete config from a grid combination of `space`. */
export function resolveVariant(space: Space, gridIndex: number, rng: Rng, base: KeyPath = ["space"]): TrialConfig {
  const later: KeyPath[] = [];
  const config = draw(pick(space, gridIndex), rng, [], later) as Record<string, unknown>;
  resolveFunctions(config, later, rng, base);
  return config;
}

/** A resumable stream of variants: points_to_evaluate first, then `samples` passes over the grid. */
export class VariantStream {
  private readonly points: readonly TrialConfig[];
  private readonly blocks: number;
  private readonly base: KeyPath;
  private rng: Rng;
  private block = 0;
  private index = 0;
  private blockSpace: Space | undefined;

  constructor(
    private readonly space: Space,
    options: VariantOptions = {},
  ) {
    this.points = options.points ?? [];
    this.blocks = this.points.length + Math.max(0, (options.samples ?? 1) - this.points.length);
    this.rng = createRng(options.seed ?? 0);
    this.base = options.path ?? ["space"];
  }

  /** The next config, or undefined when every variant has been produced. */
  next(): TrialConfig | undefined {
    while (this.block < this.blocks) {
      const space = this.currentSpace();
      if (this.index < gridSize(space)) {
        const config = resolveVariant(space, this.index, this.rng, this.base);
        this.index += 1;
        return config;
      }
      this.block += 1;
      this.index = 0;
      this.blockSpace = undefined;
    }
    return undefined;
  }

  cursor(): VariantCursor {
    return { block: this.block, index: this.index, rng: this.rng.state() };
  }

  /** Continue from a cursor taken on a stream over the same space and options. */
  seek(cursor: VariantCursor): void {
    this.block = cursor.block;
    this.index = cursor.index;
    this.rng = createRng(cursor.rng);
    this.blockSpace = undefined;
  }

  private currentSpace(): Space {
    const point = this.points[this.block];
    this.blockSpace ??= point === undefined ? this.space : (mergePoint(this.space, point) as Space);
    return this.blockSpace;
  }
}

/** Lazily yield every variant of `space` (see VariantStream). */
export function* generateVariants(space: Space, options: VariantOptions = {}): Generator<TrialConfig, void, undefined> {
  const stream = new VariantStream(space, options);
  for (let config = stream.next(); config !== undefined; config = stream.next()) yield config;
}
