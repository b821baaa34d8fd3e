/**
 * One synchronous HyperBand bracket (Ray's hyperband._Bracket) as plain data:
 * up to n0 trials run to r0, the best 1/eta go on to r0·eta, and so on.
 * Plain data so a scheduler's whole state is one JSON value.
 */

export interface LiveTrial {
  id: string;
  /** time_attr of the last result, 0 before any. */
  time: number;
  /** sign-adjusted score of the last result (higher is better), if it had the metric. */
  score: number | undefined;
}

export interface Bracket {
  live: LiveTrial[];
  all: string[];
  n: number;
  n0: number;
  r: number;
  cumulR: number;
  halves: number;
  eta: number;
  maxT: number;
  totalWork: number;
  completed: number;
  stopLastTrials: boolean;
  /** Trials that won their rung while PAUSED: chooseTrialToRun resumes them. */
  toUnpause: string[];
}

export function newBracket(maxTrials: number, initT: number, maxT: number, eta: number, s: number, stopLastTrials: boolean): Bracket {
  return {
    live: [], all: [], n: maxTrials, n0: maxTrials, r: initT, cumulR: initT, halves: s, eta, maxT,
    totalWork: totalWork(maxTrials, initT, s, eta, maxT), completed: 0, stopLastTrials, toUnpause: [],
  };
}

function totalWork(n: number, r: number, s: number, eta: number, maxT: number): number {
  let work = 0;
  const cumulative = r;
  for (let i = 0; i <= s; i++) {
    work += Math.floor(n) * Math.floor(r);
    n = Math.ceil(n / eta);
    r = Math.floor(Math.min(r * eta, maxT - cumulative));
  }
  return work;
}

/**
 * Full once n0 trials joined. (Ray counts live trials, which works when all trials are created up
 * front; the runner creates them as slots free up, so counting live ones would let a bracket absorb
 * every trial whose predecessors already finished.)
 */
export const filled = (b: Bracket): boolean => b.all.length >= b.n0;
export const liveEntry = (b: Bracket, id: string): LiveTrial | undefined => b.live.find((t) => t.id === id);

export function addTrial(b: Bracket, id: string): void {
  b.live.push({ id, time: 0, score: undefined });
  b.all.push(id);
}

/** Every live trial has reached this rung's budget. */
export const curIterDone = (b: Bracket): boolean => b.live.every((t) => t.time >= b.cumulR);

/** The last rung is done: every survivor has run to maxT. */
export const finished = (b: Bracket): boolean => b.stopLastTrials && b.halves === 0 && curIterDone(b);

/** Whether `id` should keep running toward the current rung. */
export function continueTrial(b: Bracket, id: string): boolean {
  if (!b.stopLastTrials && b.halves === 0) return true;
  return (liveEntry(b, id)?.time ?? 0) < b.cumulR;
}

export function updateStats(b: Bracket, id: string, time: number, score: number | undefined): void {
  const entry = liveEntry(b, id);
  if (!entry) return;
  b.completed += Math.max(0, time - entry.time);
  entry.time = time;
  entry.score = score;
  b.toUnpause = b.toUnpause.filter((x) => x !== id);
}

export function removeTrial(b: Bracket, id: string): void {
  b.live = b.live.filter((t) => t.id !== id);
  b.toUnpause = b.toUnpause.filter((x) => x !== id);
}

/** Moves the bracket to its next rung: the top ceil(n/eta) survive (Ray sizes this from n, not from who is left). */
export function successiveHalving(b: Bracket): { good: string[]; bad: string[] } {
  if (b.halves === 0 && !b.stopLastTrials) return { good: b.live.map((t) => t.id), bad: [] };
  b.halves -= 1;
  b.n = Math.ceil(b.n / b.eta);
  b.r = Math.floor(Math.min(b.r * b.eta, b.maxT));
  b.cumulR = b.r;
  // Stable sort keeps creation order among ties, so decisions do not depend on engine internals.
  const sorted = [...b.live].sort((x, y) => (x.score ?? -Infinity) - (y.score ?? -Infinity));
  const cut = Math.max(0, sorted.length - b.n);
  return { good: sorted.slice(cut).map((t) => t.id), bad: sorted.slice(0, cut).map((t) => t.id) };
}

export const completionPercentage = (b: Bracket): number => (b.totalWork === 0 ? 0 : b.completed / b.totalWork);
