/**
 * A self-contained SVG of the heads task's learning curves: four panels
 * (ETHICS loss, ETHICS accuracy, fMRI MSE, fMRI cosine) against the epoch
 * over all stages, with dashed lines where a stage ends. Written by hand
 * like the brain-score plot; every piece of text is XML-escaped, since
 * titles carry user-given model names.
 */
import {escapeXml} from '../brain/layer-plot.js';
import type {EpochRecord} from './train-heads.js';

/** One line of a panel: a value per epoch, null where not measured. */
interface Line {
  readonly label: string;
  readonly colour: string;
  readonly values: readonly (number | null)[];
}

const PANEL_W = 360;
const PANEL_H = 220;
const M = {left: 56, right: 12, top: 28, bottom: 34};
const f = (v: number) => v.toFixed(1);

/** A tick label with about three significant digits. */
function tick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 100 || a < 0.01 ? v.toExponential(1) : v.toPrecision(3);
}

function panel(
  x0: number,
  y0: number,
  title: string,
  lines: readonly Line[],
  epochs: number,
  boundaries: readonly number[],
): string[] {
  const values = lines.flatMap((l) =>
    l.values.filter((v): v is number => v !== null && Number.isFinite(v)),
  );
  const pw = PANEL_W - M.left - M.right;
  const ph = PANEL_H - M.top - M.bottom;
  const parts = [
    `<text x="${f(x0 + M.left + pw / 2)}" y="${f(y0 + 18)}" text-anchor="middle" font-size="13">${escapeXml(title)}</text>`,
    `<rect x="${f(x0 + M.left)}" y="${f(y0 + M.top)}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
  ];
  if (values.length === 0) {
    parts.push(
      `<text x="${f(x0 + M.left + pw / 2)}" y="${f(y0 + M.top + ph / 2)}" text-anchor="middle" fill="#888">not trained or not evaluated</text>`,
    );
    return parts;
  }
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < 1e-12) {
    lo -= 0.5;
    hi += 0.5;
  }
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const x = (e: number) =>
    x0 + M.left + (epochs <= 1 ? pw / 2 : ((e - 1) * pw) / (epochs - 1));
  const y = (v: number) => y0 + M.top + ((hi - v) * ph) / (hi - lo);
  for (let t = 0; t <= 3; t++) {
    const v = lo + ((hi - lo) * t) / 3;
    parts.push(
      `<line x1="${f(x0 + M.left)}" x2="${f(x0 + M.left + pw)}" y1="${f(y(v))}" y2="${f(y(v))}" stroke="#eee"/>`,
      `<text x="${f(x0 + M.left - 4)}" y="${f(y(v) + 4)}" text-anchor="end" font-size="10">${tick(v)}</text>`,
    );
  }
  for (const b of boundaries) {
    const bx = x(b + 0.5);
    parts.push(
      `<line x1="${f(bx)}" x2="${f(bx)}" y1="${f(y0 + M.top)}" y2="${f(y0 + M.top + ph)}" stroke="#999" stroke-dasharray="4 3"/>`,
    );
  }
  parts.push(
    `<text x="${f(x0 + M.left + pw / 2)}" y="${f(y0 + PANEL_H - 6)}" text-anchor="middle" font-size="11">epoch</text>`,
  );
  for (const [li, line] of lines.entries()) {
    // Gaps (null) split a line into runs, e.g. a head not trained in a stage.
    let path = '';
    let pen = false;
    for (const [i, v] of line.values.entries()) {
      if (v === null || !Number.isFinite(v)) {
        pen = false;
        continue;
      }
      path += `${pen ? 'L' : 'M'}${f(x(i + 1))},${f(y(v))}`;
      pen = true;
    }
    if (path !== '') {
      parts.push(
        `<path d="${path}" fill="none" stroke="${line.colour}" stroke-width="1.8"/>`,
      );
    }
    const ly = y0 + M.top + 12 + li * 14;
    parts.push(
      `<line x1="${f(x0 + M.left + pw - 110)}" x2="${f(x0 + M.left + pw - 94)}" y1="${f(ly - 4)}" y2="${f(ly - 4)}" stroke="${line.colour}" stroke-width="2"/>`,
      `<text x="${f(x0 + M.left + pw - 90)}" y="${f(ly)}" font-size="10">${escapeXml(line.label)}</text>`,
    );
  }
  return parts;
}

/** The learning-curves SVG of one training run. */
export function learningCurvesSvg(
  title: string,
  curve: readonly EpochRecord[],
): string {
  const epochs = curve.length;
  const boundaries = curve
    .filter((r, i) => i + 1 < curve.length && curve[i + 1]!.stage !== r.stage)
    .map((r) => r.global_epoch);
  const col = (k: keyof EpochRecord) =>
    curve.map((r) => {
      const v = r[k];
      return typeof v === 'number' ? v : null;
    });
  const w = 2 * PANEL_W;
  const h = 2 * PANEL_H + 40;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${w}" height="${h}" fill="white"/>`,
    `<text x="${w / 2}" y="22" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
    ...panel(
      0,
      40,
      'ETHICS loss (BCE)',
      [
        {label: 'train', colour: '#1f77b4', values: col('train_ethics_loss')},
        {label: 'test', colour: '#d62728', values: col('eval_ethics_loss')},
      ],
      epochs,
      boundaries,
    ),
    ...panel(
      PANEL_W,
      40,
      'ETHICS accuracy',
      [{label: 'test', colour: '#d62728', values: col('eval_ethics_accuracy')}],
      epochs,
      boundaries,
    ),
    ...panel(
      0,
      40 + PANEL_H,
      'fMRI loss (MSE)',
      [
        {label: 'train', colour: '#1f77b4', values: col('train_fmri_loss')},
        {label: 'validation', colour: '#2ca02c', values: col('eval_fmri_mse')},
      ],
      epochs,
      boundaries,
    ),
    ...panel(
      PANEL_W,
      40 + PANEL_H,
      'fMRI cosine',
      [
        {
          label: 'validation',
          colour: '#2ca02c',
          values: col('eval_fmri_cosine'),
        },
      ],
      epochs,
      boundaries,
    ),
    '</svg>',
  ];
  return parts.join('\n') + '\n';
}
