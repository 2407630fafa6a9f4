/**
 * What a printed invoice shows, in order, independent of the medium: the header
 * facts, the table (columns and rows) of each format, and the totals block. The HTML
 * and PDF renderers both draw from here, so the two always show the same rows with
 * the same words and figures; only the drawing differs.
 */
import type { DocumentFormat, InvoiceDocument } from './invoice-view.ts';

export interface Column {
  label: string;
  align: 'left' | 'right';
  /** Width on an A4 page in PDF points (the HTML uses them as proportions). */
  width: number;
}

export type TableRow =
  /** A section: this period's charges, one adjustment, the cost-node subtotals. */
  | { type: 'section'; label: string; amount: string }
  /** A group inside a section: level 1 = subscription, level 2 = resource group; `detail` is small print under the label (a named subscription's id). */
  | { type: 'group'; level: 1 | 2; label: string; amount: string; detail: string | null }
  /** A line: one cell per column; `detail` is a second, smaller line under the first cell. */
  | { type: 'line'; cells: string[]; detail: string | null };

export interface Table {
  columns: Column[];
  rows: TableRow[];
}

export interface TotalsRow {
  label: string;
  amount: string;
  /** The total due, drawn stronger. */
  strong: boolean;
}

/** Title and subtitle of the table, per format. */
export function documentTitle(doc: InvoiceDocument, format: DocumentFormat): { title: string; subtitle: string } {
  return {
    title: format === 'summary' ? 'Summary of charges' : 'Detailed charges',
    subtitle:
      format === 'summary'
        ? `By category · ${doc.period.label} (${doc.period.range}) · amounts in ${doc.currency}`
        : `By subscription, resource group and meter · ${doc.period.label} (${doc.period.range}) · amounts in ${doc.currency}`,
  };
}

/** Label / value pairs of the invoice's header. */
export function documentFacts(doc: InvoiceDocument): Array<[string, string]> {
  const facts: Array<[string, string]> = [['Invoice number', doc.invoiceNumber]];
  if (doc.revision > 1) facts.push(['Revision', String(doc.revision)]);
  facts.push(['Issued', doc.issuedAtLabel]);
  if (doc.dueDateLabel) facts.push(['Due', doc.dueDateLabel]);
  facts.push(['Period', doc.period.label]);
  facts.push([`Amount due (${doc.currency})`, doc.total.display]);
  return facts;
}

/** The party's address block, line by line. */
export function partyLines(p: InvoiceDocument['customer']): string[] {
  return [...p.addressLines, ...(p.billingEmail ? [p.billingEmail] : []), ...(p.taxId ? [`Tax ID: ${p.taxId}`] : [])];
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * The table of a format.
 * - summary: Description | Source lines | Amount;
 * - detailed: Description (with meter, cost node and source-line count under it) | Category | Quantity | Unit | Unit price | Amount.
 * Both end with the cost-node subtotals.
 */
export function documentTable(doc: InvoiceDocument, format: DocumentFormat): Table {
  const amountLabel = `Amount (${doc.currency})`;
  const rows: TableRow[] = [];
  let columns: Column[];
  const blank = (count: number): string[] => Array.from({ length: count }, () => '');

  if (format === 'summary') {
    columns = [
      { label: 'Description', align: 'left', width: 335 },
      { label: 'Source lines', align: 'right', width: 80 },
      { label: amountLabel, align: 'right', width: 100 },
    ];
    const charges = doc.summary.filter((r) => r.kind === 'charge');
    const adjustments = doc.summary.filter((r) => r.kind === 'adjustment');
    const chargesTotal = doc.totals.find((t) => t.kind === 'charges');
    if (charges.length > 0) {
      rows.push({ type: 'section', label: `Charges for ${doc.period.label}`, amount: chargesTotal?.amount.display ?? '' });
      for (const r of charges) rows.push({ type: 'line', cells: [r.label, String(r.sourceLineCount), r.amount.display], detail: null });
    }
    if (adjustments.length > 0) {
      rows.push({ type: 'section', label: 'Adjustments for earlier periods', amount: '' });
      for (const r of adjustments) rows.push({ type: 'line', cells: [r.label, String(r.sourceLineCount), r.amount.display], detail: null });
    }
  } else {
    columns = [
      { label: 'Description', align: 'left', width: 196 },
      { label: 'Category', align: 'left', width: 62 },
      { label: 'Quantity', align: 'right', width: 62 },
      { label: 'Unit', align: 'left', width: 60 },
      { label: 'Unit price', align: 'right', width: 60 },
      { label: amountLabel, align: 'right', width: 75 },
    ];
    for (const section of doc.detailed) {
      rows.push({ type: 'section', label: section.title, amount: section.subtotal.display });
      for (const sub of section.subscriptions) {
        // A client knows its subscriptions by name (Microsoft's friendly name); the id stays in small print for support.
        rows.push({ type: 'group', level: 1, label: `Subscription ${sub.name ?? sub.label}`, amount: sub.subtotal.display, detail: sub.name ? sub.subscriptionId : null });
        for (const rg of sub.resourceGroups) {
          rows.push({ type: 'group', level: 2, label: rg.resourceGroup === null ? rg.label : `Resource group ${rg.label}`, amount: rg.subtotal.display, detail: null });
          for (const line of rg.lines) {
            const detail = [line.meter, line.costNodeLabel ? `Cost node: ${line.costNodeLabel}` : null, plural(line.sourceLineCount, 'source line')]
              .filter((part): part is string => Boolean(part))
              .join(' · ');
            rows.push({
              type: 'line',
              cells: [line.description, line.categoryLabel, line.quantity?.display ?? '', line.unit ?? '', line.unitPrice?.display ?? '', line.amount.display],
              detail,
            });
          }
        }
      }
    }
  }

  const labourTotal = doc.totals.find((t) => t.kind === 'labour');
  if (doc.labour.length > 0) {
    rows.push({ type: 'section', label: labourTotal?.label ?? 'Labour', amount: labourTotal?.amount.display ?? '' });
    for (const l of doc.labour) {
      const cells = format === 'summary' ? [l.label, String(l.entryCount), l.amount.display] : [l.label, 'Labour', l.hours.display, 'hours', l.unitPrice?.display ?? '', l.amount.display];
      rows.push({ type: 'line', cells, detail: format === 'summary' ? null : `${l.entryCount} time ${l.entryCount === 1 ? 'entry' : 'entries'}` });
    }
  }

  if (doc.engagements.length > 0) {
    // A combined invoice: each engagement's infrastructure and labour, with their subtotal.
    rows.push({ type: 'section', label: 'By engagement', amount: doc.costNodesTotal.display });
    for (const e of doc.engagements) {
      rows.push({ type: 'group', level: 1, label: e.label, amount: e.subtotal.display, detail: null });
      rows.push({ type: 'line', cells: ['Infrastructure', ...blank(columns.length - 2), e.infrastructure.display], detail: null });
      rows.push({ type: 'line', cells: ['Labour', ...blank(columns.length - 2), e.labour.display], detail: null });
    }
  } else if (doc.costNodes.length > 0) {
    rows.push({ type: 'section', label: 'By cost node', amount: doc.costNodesTotal.display });
    for (const n of doc.costNodes) rows.push({ type: 'line', cells: [n.label, ...blank(columns.length - 2), n.amount.display], detail: null });
  }
  return { columns, rows };
}

/** The totals block: every part of the total, then the total due. */
export function documentTotals(doc: InvoiceDocument): TotalsRow[] {
  return [
    ...doc.totals.map((t) => ({ label: t.label, amount: t.amount.display, strong: false })),
    { label: `Total due (${doc.currency})`, amount: doc.total.display, strong: true },
  ];
}

/**
 * The notes printed at the end: the header's notes, then a remark when the cost-node
 * subtotals do not add up to the total on their own (the minimum top-up is not allocated).
 */
export function documentNotes(doc: InvoiceDocument): string[] {
  const minimum = doc.totals.some((t) => t.kind === 'minimum');
  const remark = doc.costNodes.length > 0 && minimum
    ? ['The minimum monthly charge applies to the account as a whole and is not split across cost nodes.']
    : [];
  return [...doc.notes, ...remark];
}
