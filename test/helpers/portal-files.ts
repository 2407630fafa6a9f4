import { LICENSE_LINE_FIELDS, USAGE_LINE_FIELDS } from '../../src/mappings/partner-center/fields.ts';

/** One CSV field as the portal (and Excel) writes it: quoted only when it holds a comma, a quote or a line break. */
function csvField(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A reconciliation file as downloaded from the Partner Center portal: UTF-8 BOM, header row, CRLF. */
export function portalCsv(columns: readonly string[], records: Record<string, unknown>[]): string {
  const lines = [columns.join(','), ...records.map((r) => columns.map((c) => csvField(r[c])).join(','))];
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

export const usageCsv = (records: Record<string, unknown>[]) => portalCsv(USAGE_LINE_FIELDS.map((f) => f.column), records);
export const licenseCsv = (records: Record<string, unknown>[]) => portalCsv(LICENSE_LINE_FIELDS.map((f) => f.column), records);

/** JSON lines, one record per line. */
export const jsonLines = (records: Record<string, unknown>[]) => records.map((r) => JSON.stringify(r)).join('\n') + '\n';
