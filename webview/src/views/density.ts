/**
 * A raster layer for thousands of faded curves: each 1-px line adds its pixel
 * coverage to a float grid (anti-aliased between the two nearest pixels), and
 * a pixel's alpha is what that many translucent lines stacked would give,
 * 1 − (1 − a)^coverage. Canvas 2D strokes 250,000 overlapping translucent
 * segments in hundreds of milliseconds; this does it in tens, and because
 * coverage adds up, a live delta adds (or takes back) just the segments that
 * changed and repaints only the rectangle they touched.
 */

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

export interface Clip {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** Two grids: the curves, and the × marks of early-stopped trials drawn over them. */
export type Ink = 0 | 1;

export class DensityLayer {
  readonly canvas = document.createElement("canvas");
  private readonly ctx = this.canvas.getContext("2d")!;
  private grids: [Float32Array, Float32Array] = [new Float32Array(0), new Float32Array(0)];
  private image: ImageData | undefined;
  private w = 0;
  private h = 0;
  private clip: Clip = { left: 0, top: 0, right: 0, bottom: 0 };
  private dirty = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };

  /** Clears to a `w`×`h` device-pixel layer, drawing only inside `clip` (device pixels). */
  reset(w: number, h: number, clip: Clip): void {
    if (w !== this.w || h !== this.h) {
      this.w = this.canvas.width = w;
      this.h = this.canvas.height = h;
      this.grids = [new Float32Array(w * h), new Float32Array(w * h)];
      this.image = w > 0 && h > 0 ? this.ctx.createImageData(w, h) : undefined;
    } else {
      this.grids[0].fill(0);
      this.grids[1].fill(0);
      this.image?.data.fill(0);
    }
    this.clip = { left: Math.max(0, Math.floor(clip.left)), top: Math.max(0, Math.floor(clip.top)), right: Math.min(w, Math.ceil(clip.right)), bottom: Math.min(h, Math.ceil(clip.bottom)) };
    this.dirty = { x0: 0, y0: 0, x1: w, y1: h };
  }

  /** Adds (weight 1) or takes back (weight −1) the segments of a polyline, in device pixels; NaN breaks it. */
  polyline(xs: ArrayLike<number>, ys: ArrayLike<number>, from: number, to: number, weight: number, ink: Ink = 0): void {
    for (let i = Math.max(1, from + 1); i < to; i++) {
      const x0 = xs[i - 1]!;
      const y0 = ys[i - 1]!;
      const x1 = xs[i]!;
      const y1 = ys[i]!;
      if (Number.isFinite(x0 + y0 + x1 + y1)) this.segment(x0, y0, x1, y1, weight, ink);
    }
  }

  /** A small × centred on (x, y). */
  cross(x: number, y: number, r: number, weight: number): void {
    if (!Number.isFinite(x + y)) return;
    this.segment(x - r, y - r, x + r, y + r, weight, 1);
    this.segment(x + r, y - r, x - r, y + r, weight, 1);
  }

  /**
   * One segment, end excluded (so joined segments do not count their shared
   * vertex twice): one sample per pixel along the major axis, its coverage
   * split between the two pixels nearest the line and scaled by the segment's
   * length per step, so steep and flat lines look equally heavy.
   */
  segment(x0: number, y0: number, x1: number, y1: number, weight: number, ink: Ink): void {
    const grid = this.grids[ink];
    const { left, top, right, bottom } = this.clip;
    const w = this.w;
    const dx = x1 - x0;
    const dy = y1 - y0;
    const steep = Math.abs(dy) > Math.abs(dx);
    // Along the major axis a, across it b.
    const a0 = steep ? y0 : x0;
    const a1 = steep ? y1 : x1;
    const b0 = steep ? x0 : y0;
    const slope = (steep ? dx : dy) / ((steep ? dy : dx) || 1);
    const k = weight * Math.sqrt(1 + slope * slope);
    const aMin = steep ? top : left;
    const aMax = steep ? bottom : right;
    const bMin = steep ? left : top;
    const bMax = steep ? right : bottom;
    let start: number;
    let end: number;
    if (a1 >= a0) {
      start = Math.max(Math.ceil(a0 - 0.5), aMin);
      end = Math.min(Math.ceil(a1 - 0.5), aMax);
    } else {
      start = Math.max(Math.floor(a1 - 0.5) + 1, aMin);
      end = Math.min(Math.floor(a0 - 0.5) + 1, aMax);
    }
    if (end <= start) return;
    for (let a = start; a < end; a++) {
      const b = b0 + (a + 0.5 - a0) * slope - 0.5;
      const bi = Math.floor(b);
      const f = b - bi;
      if (bi >= bMin && bi < bMax) {
        const i = steep ? a * w + bi : bi * w + a;
        grid[i] = grid[i]! + k * (1 - f);
      }
      if (bi + 1 >= bMin && bi + 1 < bMax) {
        const i = steep ? a * w + bi + 1 : (bi + 1) * w + a;
        grid[i] = grid[i]! + k * f;
      }
    }
    const d = this.dirty;
    const xa = Math.floor(Math.min(x0, x1)) - 1;
    const xb = Math.ceil(Math.max(x0, x1)) + 2;
    const ya = Math.floor(Math.min(y0, y1)) - 1;
    const yb = Math.ceil(Math.max(y0, y1)) + 2;
    if (xa < d.x0) d.x0 = xa;
    if (xb > d.x1) d.x1 = xb;
    if (ya < d.y0) d.y0 = ya;
    if (yb > d.y1) d.y1 = yb;
  }

  /** Turns the coverage changed since the last flush into pixels: curves in `line` at `alpha` each, marks in `mark` over them. */
  flush(line: Rgb, alpha: number, mark: Rgb, markAlpha: number): void {
    const d = this.dirty;
    const image = this.image;
    this.dirty = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
    if (!image) return;
    const x0 = Math.max(0, d.x0);
    const y0 = Math.max(0, d.y0);
    const x1 = Math.min(this.w, d.x1);
    const y1 = Math.min(this.h, d.y1);
    if (x1 <= x0 || y1 <= y0) return;
    const [g0, g1] = this.grids;
    const px = image.data;
    const k0 = Math.log(1 - Math.min(alpha, 0.999));
    const k1 = Math.log(1 - Math.min(markAlpha, 0.999));
    for (let y = y0; y < y1; y++) {
      for (let x = x0, i = y * this.w + x0; x < x1; x++, i++) {
        const c0 = g0[i]!;
        const c1 = g1[i]!;
        const o = i * 4;
        if (c0 < 1e-3 && c1 < 1e-3) {
          px[o + 3] = 0;
          continue;
        }
        const a0 = c0 < 1e-3 ? 0 : 1 - Math.exp(c0 * k0);
        const a1 = c1 < 1e-3 ? 0 : 1 - Math.exp(c1 * k1);
        // The marks over the curves ("source over"), stored unpremultiplied.
        const a = a1 + a0 * (1 - a1);
        const w0 = (a0 * (1 - a1)) / a;
        const w1 = a1 / a;
        px[o] = line.r * w0 + mark.r * w1;
        px[o + 1] = line.g * w0 + mark.g * w1;
        px[o + 2] = line.b * w0 + mark.b * w1;
        px[o + 3] = a * 255;
      }
    }
    this.ctx.putImageData(image, 0, 0, x0, y0, x1 - x0, y1 - y0);
  }
}

/** A CSS colour as RGB, read back through a canvas so any syntax the theme uses works. */
export function parseColor(ctx: CanvasRenderingContext2D, color: string): Rgb {
  ctx.save();
  ctx.fillStyle = "#000";
  ctx.fillStyle = color;
  const s = String(ctx.fillStyle);
  ctx.restore();
  if (s.startsWith("#")) {
    const n = parseInt(s.slice(1, 7), 16);
    return { r: (n >> 16) & 255, g: (n >> 8) & 255, b: n & 255 };
  }
  const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)/.exec(s);
  return m ? { r: Number(m[1]), g: Number(m[2]), b: Number(m[3]) } : { r: 128, g: 128, b: 128 };
}
