/**
 * Test functions for bench/search-quality.ts, with their domains and known
 * minima; bench/search_baseline.py defines the same ones for Optuna.
 */
import * as d from "../src/engine/space/domains.ts";

export interface TestFunction {
  name: string;
  dims: number;
  lower: number[];
  upper: number[];
  optimum: number;
  f: (x: number[]) => number;
}

const box = (dims: number, lo: number, hi: number): [number[], number[]] => [new Array<number>(dims).fill(lo), new Array<number>(dims).fill(hi)];

function branin(x: number[]): number {
  const [a, b] = x as [number, number];
  const c1 = 5.1 / (4 * Math.PI ** 2);
  return (b - c1 * a * a + (5 / Math.PI) * a - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(a) + 10;
}

const H_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]];
const H_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]];
function hartmann6(x: number[]): number {
  let s = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) inner += (H_A[i]?.[j] as number) * ((x[j] as number) - (H_P[i]?.[j] as number) * 1e-4) ** 2;
    s += (H_ALPHA[i] as number) * Math.exp(-inner);
  }
  return -s;
}

function rosenbrock(x: number[]): number {
  let s = 0;
  for (let i = 0; i < x.length - 1; i++) s += 100 * ((x[i + 1] as number) - (x[i] as number) ** 2) ** 2 + (1 - (x[i] as number)) ** 2;
  return s;
}

function levy(x: number[]): number {
  const w = x.map((v) => 1 + (v - 1) / 4);
  const n = w.length;
  let s = Math.sin(Math.PI * (w[0] as number)) ** 2;
  for (let i = 0; i < n - 1; i++) s += ((w[i] as number) - 1) ** 2 * (1 + 10 * Math.sin(Math.PI * (w[i] as number) + 1) ** 2);
  const last = w[n - 1] as number;
  return s + (last - 1) ** 2 * (1 + Math.sin(2 * Math.PI * last) ** 2);
}

function ackley(x: number[]): number {
  const n = x.length;
  const sq = x.reduce((a, v) => a + v * v, 0) / n;
  const cs = x.reduce((a, v) => a + Math.cos(2 * Math.PI * v), 0) / n;
  return -20 * Math.exp(-0.2 * Math.sqrt(sq)) - Math.exp(cs) + 20 + Math.E;
}

export const FUNCTIONS: TestFunction[] = [
  { name: "branin", dims: 2, lower: [-5, 0], upper: [10, 15], optimum: 0.39788735772973816, f: branin },
  { name: "hartmann6", dims: 6, ...bounds(6, 0, 1), optimum: -3.3223680114155147, f: hartmann6 },
  { name: "rosenbrock4", dims: 4, ...bounds(4, -5, 10), optimum: 0, f: rosenbrock },
  { name: "rosenbrock10", dims: 10, ...bounds(10, -5, 10), optimum: 0, f: rosenbrock },
  { name: "levy10", dims: 10, ...bounds(10, -10, 10), optimum: 0, f: levy },
  { name: "ackley5", dims: 5, ...bounds(5, -32.768, 32.768), optimum: 0, f: ackley },
];

function bounds(dims: number, lo: number, hi: number): { lower: number[]; upper: number[] } {
  const [lower, upper] = box(dims, lo, hi);
  return { lower, upper };
}

/** The function's domain as a Tunelab space: x0..x{d-1}, uniform. */
export function spaceOf(fn: TestFunction): d.Space {
  return Object.fromEntries(fn.lower.map((lo, i) => [`x${i}`, d.uniform(lo, fn.upper[i] as number)]));
}

export const pointOf = (fn: TestFunction, config: Record<string, unknown>): number[] => fn.lower.map((_, i) => config[`x${i}`] as number);
