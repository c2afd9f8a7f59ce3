/**
 * Fitting a text table to a terminal: column widths that share the width there is, and cells
 * wrapped at spaces (a word longer than its column is cut where it must be). Widths count
 * UTF-16 code units: the report's texts use only single-width characters (χ², ≤, →, …).
 */

/** Wraps `text` into lines of at most `width` characters, breaking at spaces where it can. */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      let rest = word;
      // A word that fits nowhere whole is cut into column-wide pieces.
      while (rest.length > w) {
        const room = line ? w - line.length - 1 : w;
        if (room >= 1 && line) {
          lines.push(`${line} ${rest.slice(0, room)}`);
          rest = rest.slice(room);
        } else {
          if (line) lines.push(line);
          lines.push(rest.slice(0, w));
          rest = rest.slice(w);
        }
        line = '';
      }
      if (!line) line = rest;
      else if (line.length + 1 + rest.length <= w) line = `${line} ${rest}`;
      else {
        lines.push(line);
        line = rest;
      }
    }
    lines.push(line);
  }
  return lines;
}

/** At most `maxLines` lines; the last one kept ends with "…" when some were dropped. */
export function limitLines(lines: readonly string[], maxLines: number, width: number): string[] {
  if (lines.length <= maxLines) return [...lines];
  const kept = lines.slice(0, maxLines);
  const last = kept[maxLines - 1]!;
  kept[maxLines - 1] = last.length < width ? `${last}…` : `${last.slice(0, width - 1)}…`;
  return kept;
}

/** The narrowest a wrapped column may become: narrower, a cell turns into a column of letters. */
export const MIN_COLUMN = 8;

/**
 * Widths for columns whose natural (unwrapped) widths are `natural`, in `available`
 * characters: each column gets its natural width when all fit; otherwise the narrow ones
 * keep theirs and the rest share what is left equally (never below MIN_COLUMN, even if the
 * table then overflows a very narrow terminal).
 */
export function fitColumns(natural: readonly number[], available: number): number[] {
  const total = natural.reduce((s, n) => s + n, 0);
  if (total <= available) return [...natural];
  const widths = natural.map(() => 0);
  let open = natural.map((_, i) => i);
  let left = available;
  // Water-filling: a column narrower than the fair share keeps its width, and what it does
  // not use goes to the others.
  for (;;) {
    const share = Math.floor(left / Math.max(1, open.length));
    const small = open.filter((i) => natural[i]! <= share);
    if (small.length === 0) {
      for (const i of open) widths[i] = Math.max(MIN_COLUMN, Math.min(natural[i]!, share));
      return widths;
    }
    for (const i of small) {
      widths[i] = natural[i]!;
      left -= natural[i]!;
    }
    open = open.filter((i) => !small.includes(i));
    if (open.length === 0) return widths;
  }
}
