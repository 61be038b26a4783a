// Bar charts as inline SVG, drawn on the server: the report page needs no script and no chart
// library, prints, and passes the page's Content-Security-Policy (presentation attributes only).
export interface Series {
  name: string;
  /** CSS class that colours the bars (see app.css). */
  cls: string;
}

export interface BarChartInput {
  label: string;
  categories: string[];
  series: Series[];
  /** values[s][c]: series s in category c; null draws no bar. */
  values: (number | null)[][];
  /** Stacked bars add the series up; grouped bars stand side by side. */
  stacked?: boolean;
  /** Fixed top of the scale, e.g. 100 for percentages. */
  max?: number;
  unit?: string;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** A readable top for the axis: 1, 2 or 5 times a power of ten. */
export function niceMax(n: number): number {
  if (n <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= n)!;
}

export function barChart(c: BarChartInput): string {
  const W = 420;
  const H = 210;
  const left = 40;
  const bottom = 40;
  const top = 24;
  const plotH = H - top - bottom;
  const plotW = W - left - 8;
  const n = Math.max(1, c.categories.length);
  const sums = c.categories.map((_, i) => (c.stacked ? c.values.reduce((s, v) => s + (v[i] ?? 0), 0) : Math.max(0, ...c.values.map((v) => v[i] ?? 0))));
  const max = c.max ?? niceMax(Math.max(0, ...sums));
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const band = plotW / n;
  const gap = Math.min(12, band * 0.2);
  const barW = c.stacked ? band - gap : (band - gap) / c.series.length;
  const unit = c.unit ?? '';

  const parts: string[] = [];
  for (const t of [0, 0.5, 1]) {
    const v = max * t;
    parts.push(`<line class="grid" x1="${left}" x2="${W - 8}" y1="${y(v)}" y2="${y(v)}"/>`);
    parts.push(`<text class="axis" x="${left - 4}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}${esc(unit)}</text>`);
  }
  // Show every category's name when they fit, else every k-th.
  const every = Math.ceil(n / 8);
  c.categories.forEach((cat, i) => {
    const x0 = left + i * band + gap / 2;
    let base = 0;
    c.series.forEach((s, si) => {
      const v = c.values[si][i];
      if (v === null || v === undefined) return;
      const x = c.stacked ? x0 : x0 + si * barW;
      const y1 = y(base + v);
      const h = Math.max(0, y(base) - y1);
      parts.push(`<rect class="${esc(s.cls)}" x="${x.toFixed(1)}" y="${y1.toFixed(1)}" width="${Math.max(1, barW - 1).toFixed(1)}" height="${h.toFixed(1)}"><title>${esc(cat)} · ${esc(s.name)}: ${fmt(v)}${esc(unit)}</title></rect>`);
      if (c.stacked) base += v;
    });
    if (i % every === 0) parts.push(`<text class="axis" x="${(x0 + (band - gap) / 2).toFixed(1)}" y="${H - bottom + 16}" text-anchor="middle">${esc(cat)}</text>`);
  });
  const legend = c.series
    .map((s, i) => `<rect class="${esc(s.cls)}" x="${left + i * 125}" y="${H - 14}" width="10" height="10"/><text class="axis" x="${left + i * 125 + 14}" y="${H - 5}">${esc(s.name)}</text>`)
    .join('');
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(c.label)}" xmlns="http://www.w3.org/2000/svg"><title>${esc(c.label)}</title>${parts.join('')}${legend}</svg>`;
}
