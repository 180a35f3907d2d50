/**
 * HTML built by a tagged template that escapes every interpolated value
 * unless it is already `Html`. Escaping is the default, so a job id, path,
 * param or table cell cannot reach the page as markup by forgetting a call.
 */

/** A fragment of trusted markup (built by `html` or `raw`). */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** What may be interpolated into `html`: arrays are joined, nullish dropped. */
export type HtmlValue =
  Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for an element's content or a quoted attribute value (both
 * quote kinds are escaped, so it is safe in either).
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** Marks markup as trusted: only for text this code wrote itself. */
export function raw(text: string): Html {
  return new Html(text);
}

/** Tagged template: `html\`<td>${cell}</td>\`` escapes `cell`. */
export function html(
  strings: TemplateStringsArray,
  ...values: readonly HtmlValue[]
): Html {
  let out = strings[0] ?? '';
  for (const [i, value] of values.entries()) {
    out += render(value) + (strings[i + 1] ?? '');
  }
  return new Html(out);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Html) return value.text;
  if (typeof value === 'object') return value.map(render).join('');
  return escapeHtml(String(value));
}
