/**
 * A self-contained SVG of brain score by layer: per metric the mean across
 * subjects with a ±1 sd band. Written by hand (no plotting dependency);
 * every piece of text is XML-escaped, since layer and model names come
 * from user files.
 */

/** One line of the plot. */
export interface PlotSeries {
  readonly label: string;
  readonly mean: readonly number[];
  readonly sd: readonly number[];
}

/** Escapes text for XML content and attribute values. */
export function escapeXml(s: string): string {
  return s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
const W = 720;
const H = 420;
const M = {left: 64, right: 160, top: 48, bottom: 72};

/** Renders the plot; non-finite values leave gaps. */
export function layerPlotSvg(
  title: string,
  layers: readonly string[],
  series: readonly PlotSeries[],
): string {
  const all = series.flatMap((s) =>
    s.mean.flatMap((m, i) => [m - (s.sd[i] || 0), m + (s.sd[i] || 0)]),
  );
  const finite = all.filter((v) => Number.isFinite(v));
  let lo = Math.min(0, ...finite);
  let hi = Math.max(0.1, ...finite);
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (i: number) =>
    M.left + (layers.length <= 1 ? pw / 2 : (i * pw) / (layers.length - 1));
  const y = (v: number) => M.top + ((hi - v) * ph) / (hi - lo);
  const f = (v: number) => v.toFixed(1);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
  // Axes and ticks: five y ticks, one x tick per layer (thinned to ~24).
  for (let t = 0; t <= 4; t++) {
    const v = lo + ((hi - lo) * t) / 4;
    parts.push(
      `<line x1="${M.left}" x2="${M.left + pw}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#ddd"/>`,
      `<text x="${M.left - 6}" y="${f(y(v) + 4)}" text-anchor="end">${v.toFixed(2)}</text>`,
    );
  }
  if (lo < 0 && hi > 0) {
    parts.push(
      `<line x1="${M.left}" x2="${M.left + pw}" y1="${f(y(0))}" y2="${f(y(0))}" stroke="#888"/>`,
    );
  }
  const step = Math.max(1, Math.ceil(layers.length / 24));
  for (const [i, name] of layers.entries()) {
    if (i % step !== 0) continue;
    parts.push(
      `<text transform="translate(${f(x(i))},${M.top + ph + 14}) rotate(45)" font-size="10">${escapeXml(name)}</text>`,
    );
  }
  parts.push(
    `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
    `<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle">layer</text>`,
    `<text transform="translate(16,${M.top + ph / 2}) rotate(-90)" text-anchor="middle">brain score (Pearson r)</text>`,
  );
  for (const [si, s] of series.entries()) {
    const colour = COLOURS[si % COLOURS.length]!;
    const ok = s.mean.map((m) => Number.isFinite(m));
    const upper: string[] = [];
    const lower: string[] = [];
    const line: string[] = [];
    for (const [i, m] of s.mean.entries()) {
      if (!ok[i]) continue;
      const sd = Number.isFinite(s.sd[i]) ? s.sd[i]! : 0;
      upper.push(`${f(x(i))},${f(y(m + sd))}`);
      lower.unshift(`${f(x(i))},${f(y(m - sd))}`);
      line.push(`${f(x(i))},${f(y(m))}`);
      parts.push(
        `<circle cx="${f(x(i))}" cy="${f(y(m))}" r="3" fill="${colour}"/>`,
      );
    }
    if (line.length > 0) {
      parts.push(
        `<polygon points="${[...upper, ...lower].join(' ')}" fill="${colour}" fill-opacity="0.15"/>`,
        `<polyline points="${line.join(' ')}" fill="none" stroke="${colour}" stroke-width="2"/>`,
      );
    }
    const ly = M.top + 16 + si * 20;
    parts.push(
      `<line x1="${M.left + pw + 12}" x2="${M.left + pw + 32}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`,
      `<text x="${M.left + pw + 38}" y="${ly + 4}">${escapeXml(s.label)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
