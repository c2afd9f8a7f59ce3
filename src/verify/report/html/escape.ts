/**
 * Everything a report page shows comes from outside (check texts, server names, a haproxy.cfg
 * someone edited, a JSON file given to `haplab report`): every piece of it goes through here.
 */

/** Text for HTML content and quoted attribute values (also inside inline SVG). */
export function escapeHtml(value: string | number): string {
  return String(value)
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A tagged template that escapes every interpolated value unless it is `raw(...)`. */
export interface RawHtml {
  readonly html: string;
}

export const raw = (html: string): RawHtml => ({ html });

export function html(strings: TemplateStringsArray, ...values: (string | number | RawHtml | readonly RawHtml[] | undefined)[]): RawHtml {
  let out = strings[0]!;
  values.forEach((v, i) => {
    if (v === undefined) out += '';
    else if (Array.isArray(v)) out += (v as readonly RawHtml[]).map((x) => x.html).join('');
    else if (typeof v === 'object') out += (v as RawHtml).html;
    else out += escapeHtml(v as string | number);
    out += strings[i + 1]!;
  });
  return raw(out);
}
