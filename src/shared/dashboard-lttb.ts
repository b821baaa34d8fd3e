/**
 * Largest-Triangle-Three-Buckets downsampling (Steinarsson 2013): keeps the
 * points that carry a curve's visual shape, so 10,000 curves of 100 points draw
 * as a few hundred thousand segments without looking different.
 */

/** Indices of the points to keep (first and last always kept); all of them when `threshold` ≥ length. */
export function lttbIndices(xs: ArrayLike<number>, ys: ArrayLike<number>, threshold: number): number[] {
  const n = xs.length;
  if (threshold >= n || threshold < 3) {
    if (threshold < 3 && n > 2 && threshold > 0) return threshold === 1 ? [0] : [0, n - 1];
    return Array.from({ length: n }, (_, i) => i);
  }
  const out: number[] = [0];
  const every = (n - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    // Average of the next bucket: the third corner of the triangle.
    const nextStart = Math.floor((i + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((i + 2) * every) + 1, n);
    let avgX = 0;
    let avgY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      avgX += xs[j]!;
      avgY += ys[j]!;
    }
    const count = nextEnd - nextStart;
    avgX /= count;
    avgY /= count;
    const start = Math.floor(i * every) + 1;
    const end = Math.floor((i + 1) * every) + 1;
    const ax = xs[a]!;
    const ay = ys[a]!;
    let maxArea = -1;
    let pick = start;
    for (let j = start; j < end; j++) {
      const area = Math.abs((ax - avgX) * (ys[j]! - ay) - (ax - xs[j]!) * (avgY - ay));
      if (area > maxArea) {
        maxArea = area;
        pick = j;
      }
    }
    out.push(pick);
    a = pick;
  }
  out.push(n - 1);
  return out;
}

/** The finite (x, y) pairs of a series, downsampled to at most `threshold` points. */
export function downsample(xs: ArrayLike<number>, ys: ArrayLike<number | null>, threshold: number): { x: number[]; y: number[] } {
  const fx: number[] = [];
  const fy: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i];
    const x = xs[i]!;
    if (typeof y === "number" && Number.isFinite(y) && Number.isFinite(x)) {
      fx.push(x);
      fy.push(y);
    }
  }
  if (fx.length <= threshold) return { x: fx, y: fy };
  const keep = lttbIndices(fx, fy, threshold);
  return { x: keep.map((i) => fx[i]!), y: keep.map((i) => fy[i]!) };
}
