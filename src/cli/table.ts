// Plain text tables for people: a header row, columns padded to their widest cell.

import { visible } from './terminal-text.js';

export function renderTable(headers: string[], rows: string[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(visible))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
