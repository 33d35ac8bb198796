export type Cell = string | number;

/** A plain-text table: first column left-aligned, the others right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = [header, ...rows].map((row) => row.map((cell) => format(cell)));
  const widths = header.map((_, i) => Math.max(...text.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(text[0]!), rule, ...text.slice(1).map(line)].join('\n');
}

export function printTable(
  title: string,
  header: readonly string[],
  rows: readonly (readonly Cell[])[],
): void {
  console.log(`\n${title}\n${formatTable(header, rows)}`);
}

function format(cell: Cell): string {
  if (typeof cell === 'string') return cell;
  if (!Number.isFinite(cell)) return String(cell);
  if (Number.isInteger(cell)) return String(cell);
  return Math.abs(cell) >= 100
    ? cell.toFixed(0)
    : Math.abs(cell) >= 10
      ? cell.toFixed(1)
      : cell.toFixed(2);
}

/** Two decimals, for ratios. */
export const fixed2 = (value: number): string =>
  Number.isFinite(value) ? value.toFixed(2) : 'n/a';

/** PASS or FAIL for a target that machine noise may miss: reported, never fatal. */
export const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
