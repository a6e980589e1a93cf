/** Canvas drawing for the playground: heatmaps of [rows][cols] matrices and a learning curve. */

/**
 * Draws `matrix` ([T][K], time along x) as a heatmap, black = 0, white = 1 (values clamped),
 * showing only the first `upTo` time steps (for drawing the heads step by step). Cells are
 * `cell` pixels wide and as tall as fits `maxHeight`.
 */
export function heatmap(canvas: HTMLCanvasElement, matrix: readonly (readonly number[])[], upTo = matrix.length, cell = 4, maxHeight = 180): void {
  const t = matrix.length;
  const k = matrix[0]?.length ?? 0;
  const cellH = Math.max(1, Math.min(cell, Math.floor(maxHeight / Math.max(1, k))));
  canvas.width = Math.max(1, t * cell);
  canvas.height = Math.max(1, k * cellH);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.fillStyle = '#111';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < Math.min(upTo, t); i++) {
    const col = matrix[i] as readonly number[];
    for (let j = 0; j < k; j++) {
      const v = Math.round(255 * Math.min(1, Math.max(0, col[j] as number)));
      ctx.fillStyle = `rgb(${v},${v},${v})`;
      ctx.fillRect(i * cell, j * cellH, cell, cellH);
    }
  }
}

/** The rows of a [T][N] weighting that are ever above `floor`, so a 128-slot memory shows only the slots in use. */
export function usedRows(matrix: readonly (readonly number[])[], floor = 0.05): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const col of matrix)
    col.forEach((v, j) => {
      if (v > floor) {
        lo = Math.min(lo, j);
        hi = Math.max(hi, j);
      }
    });
  return Number.isFinite(lo) ? [lo, hi] : [0, (matrix[0]?.length ?? 1) - 1];
}

/** Rows lo..hi of every column. */
export function rows(matrix: readonly (readonly number[])[], [lo, hi]: [number, number]): number[][] {
  return matrix.map((col) => col.slice(lo, hi + 1));
}

/** A learning curve: cost (bits per sequence) against training sequences, log-scaled y. */
export function curve(canvas: HTMLCanvasElement, points: readonly { sequences: number; cost: number }[]): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const w = canvas.width;
  const h = canvas.height;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
  ctx.strokeStyle = '#ccc';
  ctx.strokeRect(40, 10, w - 50, h - 30);
  if (points.length < 2) return;
  const maxX = (points.at(-1) as { sequences: number }).sequences;
  const ys = points.map((p) => Math.log10(Math.max(p.cost, 0.01)));
  const [minY, maxY] = [Math.min(...ys, -1), Math.max(...ys, 1)];
  const x = (s: number) => 40 + ((w - 50) * s) / maxX;
  const y = (v: number) => 10 + ((h - 30) * (maxY - v)) / (maxY - minY);
  ctx.fillStyle = '#333';
  ctx.font = '11px sans-serif';
  for (let e = Math.ceil(minY); e <= Math.floor(maxY); e++) ctx.fillText(String(10 ** e), 2, y(e) + 4);
  ctx.fillText(`${maxX} sequences`, w - 110, h - 4);
  ctx.strokeStyle = '#1f6feb';
  ctx.beginPath();
  points.forEach((p, i) => (i === 0 ? ctx.moveTo(x(p.sequences), y(ys[i] as number)) : ctx.lineTo(x(p.sequences), y(ys[i] as number))));
  ctx.stroke();
}
