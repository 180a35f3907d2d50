import type {
  PlotArtifact,
  SliceArtifact,
  TableArtifact,
} from './collect-artifacts.js';
import {RESULTS_TASK} from './collect-artifacts.js';
import {html, type Html} from './html.js';
import type {ResultBlock} from './result-tables.js';

// The results half of the report: tables, plots and slice previews. Every
// string goes through `html`, so file paths, job ids and cells are escaped.

/** Results tables, each file under its path. */
export function tablesSection(tables: readonly TableArtifact[]): Html {
  if (tables.length === 0) {
    return html`<section id="tables">
      <h2>Results tables</h2>
      <p class="note">
        No results tables: no ${RESULTS_TASK} step (and no output named table*)
        in this pipeline.
      </p>
    </section>`;
  }
  return html`<section id="tables">
    <h2>Results tables</h2>
    ${tables.map(
      (t) =>
        html`<h3>
            <span class="mono">${t.path}</span> ${synthBadge(t.synthetic)}
          </h3>
          <p class="note">output ${t.output} of ${t.job}</p>
          ${t.problem === undefined ? t.blocks.map(block) : html`<p class="note">${t.problem}</p>`}`,
    )}
  </section>`;
}

function block(b: ResultBlock): Html {
  switch (b.kind) {
    case 'heading':
      return html`<h3>${b.text}</h3>`;
    case 'text':
      return html`<p>${b.text}</p>`;
    case 'table':
      return html`<table class="result">
        <thead>
          <tr>
            ${b.columns.map((c) => html`<th>${c}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${b.rows.map(
            (r) =>
              html`<tr>
                ${r.map((c) => html`<td>${c}</td>`)}
              </tr>`,
          )}
        </tbody>
      </table>`;
  }
}

/**
 * SVG plots are embedded as <img> with a data: URL, never inline: an image
 * document runs no script and loads nothing, so a hostile SVG (a shell
 * step can write anything) stays a picture. Sanitising inline SVG would
 * mean trusting our own filter against every trick; the browser's image
 * mode is the boundary it is designed to be.
 */
export function plotSection(
  id: string,
  title: string,
  plots: readonly PlotArtifact[],
  none: string,
): Html {
  if (plots.length === 0) {
    return html`<section id="${id}">
      <h2>${title}</h2>
      <p class="note">${none}</p>
    </section>`;
  }
  return html`<section id="${id}">
    <h2>${title}</h2>
    <div class="plots">
      ${plots.map(
        (p) =>
          html`<figure>
            ${p.problem === undefined ? html`<img alt="${p.path}" src="data:image/svg+xml;base64,${p.svg.toString('base64')}" />` : html`<p class="note">${p.problem}</p>`}
            <figcaption>
              <span class="mono">${p.path}</span> (${p.output} of ${p.job})
              ${synthBadge(p.synthetic)}${p.warning === undefined ? '' : html` <span class="badge">${p.warning}</span>`}
            </figcaption>
          </figure>`,
      )}
    </div>
  </section>`;
}

export function slicesSection(
  mask: SliceArtifact | undefined,
  atlas: SliceArtifact | undefined,
): Html {
  const figure = (
    what: string,
    s: SliceArtifact | undefined,
    none: string,
  ): Html => {
    if (s === undefined)
      return html`<figure class="slice">
        <p class="note">${none}</p>
        <figcaption>${what}</figcaption>
      </figure>`;
    const p = s.preview;
    return html`<figure class="slice">
      ${p === undefined ? html`<p class="note">${s.problem ?? ''}</p>` : html`<img class="slice" alt="${what}: ${s.path}" width="${p.width}" height="${p.height}" src="data:image/png;base64,${p.png.toString('base64')}" />`}
      <figcaption>
        <b>${what}</b> ${synthBadge(s.synthetic)}<br /><span class="mono"
          >${s.path}</span
        >
        (${s.output} of
        ${s.job})${p === undefined ? '' : html`<br />middle axial slice, ${p.where}; ${p.summary}`}
      </figcaption>
    </figure>`;
  };
  return html`<section id="slices">
    <h2>Mask and atlas</h2>
    <div class="plots">
      ${figure('Brain mask', mask, 'No fmri.mask output yet.')}${figure('Atlas', atlas, 'No prepared or generated atlas yet.')}
    </div>
  </section>`;
}

function synthBadge(synthetic: boolean): Html {
  return synthetic ? html`<span class="badge">SYNTHETIC</span>` : html``;
}
