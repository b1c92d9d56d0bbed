/** Plain-text table: columns padded, numbers right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const numeric = header.map(
    (_, c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number' || /^[-\d.[\], %]+$/.test(String(r[c]))),
  );
  const line = (r: string[]) =>
    r
      .map((cell, c) => (numeric[c] && c > 0 ? (cell ?? '').padStart(widths[c]) : (cell ?? '').padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(cells[0]), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

/** Fixed 3 decimals, or '-' when there is no value (undefined, or null: nothing graded). */
export const num = (value: number | null | undefined, digits = 3): string =>
  value === undefined || value === null || Number.isNaN(value) ? '-' : value.toFixed(digits);

/** A 95% CI as `[lo, hi]`, or '-' when there is none (nothing graded). */
export const ci = (value: readonly [number, number] | null | undefined): string => (value ? `[${num(value[0])}, ${num(value[1])}]` : '-');

/** Indent every line. */
export const indent = (text: string, by = '  '): string =>
  text
    .split('\n')
    .map((l) => by + l)
    .join('\n');

/** Shorten long text for terminal display. */
export const clip = (text: string, max = 400): string =>
  text.length > max ? `${text.slice(0, max)}… (${text.length - max} more chars)` : text;
