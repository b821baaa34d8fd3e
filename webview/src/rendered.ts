/** What the page shows once drawn, read back from the DOM: the best card's trial, inked chart canvases, table rows. */
import type { RenderedParams } from "../../src/shared/dashboard-protocol.ts";

/** Chart canvases: the ones in the layout, not density's offscreen layers. */
const CHART_CANVASES = 'canvas[data-testid$="-canvas"]';

export function renderedState(doc: Document): RenderedParams {
  const best = doc.querySelector('[data-testid="best-id"]')?.textContent ?? undefined;
  let canvasesDrawn = 0;
  for (const c of doc.querySelectorAll<HTMLCanvasElement>(CHART_CANVASES)) if (hasInk(c)) canvasesDrawn++;
  const tableRows = doc.querySelectorAll('[data-testid="table-scroll"] .trow:not([hidden])').length;
  return { bestTrialId: best || undefined, canvasesDrawn, tableRows };
}

/** Whether any pixel is not transparent (a blank canvas, or one sized 0, has none). */
function hasInk(c: HTMLCanvasElement): boolean {
  if (c.width === 0 || c.height === 0) return false;
  const data = c.getContext("2d")?.getImageData(0, 0, c.width, c.height).data;
  if (!data) return false;
  for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) return true;
  return false;
}
