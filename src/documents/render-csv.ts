/**
 * An invoice document as CSV (RFC 4180) for a finance person to pivot: one header
 * row, then one row per invoice line, then subtotal rows and the total row.
 *
 * - `row_type` tells them apart: `line` rows add up to the total exactly; `subtotal`
 *   rows (per category in the detailed file, per cost node in both, and on a combined
 *   invoice each engagement's infrastructure and labour) and the one
 *   `total` row repeat figures already in the lines, so filter on `row_type = line`
 *   before summing.
 * - Money is a plain decimal string in the currency's minor unit ('1234.50', JPY
 *   '601', BHD '6.703'); quantities are exact; no thousands separators.
 * - Fields holding a comma, a quote or a line break are quoted, quotes doubled; rows
 *   end with CRLF. A text field that a spreadsheet would run as a formula (starting
 *   with = + - @, a tab or a carriage return) is prefixed with an apostrophe;
 *   numeric columns are never altered.
 */
import type { DocumentFormat, InvoiceDocument } from './invoice-view.ts';

export const CSV_COLUMNS = [
  'invoice_number',
  'row_type',
  'section',
  'period',
  'category',
  'subscription',
  'subscription_name',
  'resource_group',
  'meter',
  'description',
  'cost_node',
  'quantity',
  'unit',
  'unit_price',
  'amount',
  'currency',
  'source_line_count',
] as const;

export type CsvColumn = (typeof CSV_COLUMNS)[number];
type CsvRow = Partial<Record<CsvColumn, string | number | null>>;

const NUMERIC: ReadonlySet<CsvColumn> = new Set<CsvColumn>(['quantity', 'unit_price', 'amount', 'source_line_count']);

/**
 * One CSV field: quoted when it must be (RFC 4180), formula-neutralised when it is text.
 * @example csvField('Smith, "Sons"', false) // '"Smith, ""Sons"""'
 */
export function csvField(value: string, numeric: boolean): string {
  const safe = !numeric && /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function csvLine(row: CsvRow): string {
  return CSV_COLUMNS.map((column) => {
    const value = row[column];
    return csvField(value === null || value === undefined ? '' : String(value), NUMERIC.has(column));
  }).join(',');
}

/**
 * Render the document as CSV.
 * @example renderCsv(doc, 'summary').toString('utf8').split('\r\n')[0] // 'invoice_number,row_type,section,…'
 */
export function renderCsv(doc: InvoiceDocument, format: DocumentFormat): Buffer {
  const common = { invoice_number: doc.invoiceNumber, currency: doc.currency };
  const costNodeName = new Map(doc.costNodes.map((n) => [n.costNodeId, n.label]));
  const rows: CsvRow[] = [];

  if (format === 'detailed') {
    for (const section of doc.detailed) {
      for (const sub of section.subscriptions) {
        for (const rg of sub.resourceGroups) {
          for (const line of rg.lines) {
            rows.push({
              ...common,
              row_type: 'line',
              section: section.kind === 'charges' ? 'charge' : 'adjustment',
              period: section.period,
              category: line.category,
              subscription: sub.subscriptionId,
              subscription_name: sub.name,
              resource_group: rg.resourceGroup,
              meter: line.meter,
              description: section.kind === 'adjustment' ? `${section.title}: ${line.description}` : line.description,
              cost_node: line.costNodeLabel,
              quantity: line.quantity?.value,
              unit: line.unit,
              unit_price: line.unitPrice?.value,
              amount: line.amount.value,
              source_line_count: line.sourceLineCount,
            });
          }
        }
      }
    }
  } else {
    for (const r of doc.summary) {
      rows.push({
        ...common,
        row_type: 'line',
        section: r.kind,
        period: r.period,
        category: r.category,
        description: r.label,
        amount: r.amount.value,
        source_line_count: r.sourceLineCount,
      });
    }
  }
  for (const l of doc.labour) {
    rows.push({
      ...common,
      row_type: 'line',
      section: 'labour',
      period: doc.period.code,
      description: l.label,
      cost_node: costNodeName.get(l.costNodeId) ?? null,
      quantity: l.hours.value,
      unit: 'hours',
      unit_price: l.unitPrice?.value,
      amount: l.amount.value,
      source_line_count: l.entryCount,
    });
  }
  for (const t of doc.totals) {
    if (t.kind !== 'minimum' && t.kind !== 'rounding') continue;
    rows.push({ ...common, row_type: 'line', section: t.kind, period: t.period, description: t.label, amount: t.amount.value, source_line_count: 0 });
  }

  if (format === 'detailed') {
    for (const r of doc.summary.filter((s) => s.kind === 'charge')) {
      rows.push({ ...common, row_type: 'subtotal', section: 'category', period: r.period, category: r.category, description: r.label, amount: r.amount.value, source_line_count: r.sourceLineCount });
    }
  }
  for (const n of doc.costNodes) {
    rows.push({ ...common, row_type: 'subtotal', section: 'cost_node', period: doc.period.code, cost_node: n.label, description: `Cost node ${n.label}`, amount: n.amount.value });
  }
  for (const e of doc.engagements) {
    for (const [part, figure] of [['infrastructure', e.infrastructure], ['labour', e.labour]] as const) {
      rows.push({ ...common, row_type: 'subtotal', section: `engagement_${part}`, period: doc.period.code, cost_node: e.label, description: `Engagement ${e.label}: ${part}`, amount: figure.value });
    }
  }
  rows.push({ ...common, row_type: 'total', section: 'total', period: doc.period.code, description: `Total due (${doc.currency})`, amount: doc.total.value });

  return Buffer.from([CSV_COLUMNS.join(','), ...rows.map(csvLine)].map((l) => `${l}\r\n`).join(''), 'utf8');
}
