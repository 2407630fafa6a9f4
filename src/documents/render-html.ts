/**
 * An invoice document as one self-contained, printable HTML page: inline CSS, no
 * scripts, no external resources, every text escaped. Printing it gives A4 pages
 * whose table header repeats on each page (`thead` as a table-header-group) and,
 * in browsers that support CSS page margin boxes, "Page x of y" at the foot.
 * Deterministic: the same document renders the same bytes.
 */
import type { DocumentFormat, InvoiceDocument } from './invoice-view.ts';
import { documentFacts, documentNotes, documentTable, documentTitle, documentTotals, partyLines } from './layout.ts';

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escape text for HTML element content and quoted attribute values.
 * @example escapeHtml('Smith & Sons <Ltd>') // 'Smith &amp; Sons &lt;Ltd&gt;'
 */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const CSS = `
@page { size: A4; margin: 16mm 14mm 18mm; @bottom-right { content: "Page " counter(page) " of " counter(pages); font: 8pt Helvetica, Arial, sans-serif; color: #666; } }
* { box-sizing: border-box; }
body { margin: 0; font: 10pt/1.35 Helvetica, Arial, sans-serif; color: #1a1a1a; background: #fff; }
main { max-width: 190mm; margin: 0 auto; padding: 8mm 0; }
.masthead { display: flex; justify-content: space-between; gap: 12mm; }
.seller h1 { font-size: 15pt; margin: 0 0 2mm; }
.seller p, .bill-to p { margin: 0; color: #444; }
.meta { text-align: right; }
.meta h2 { font-size: 20pt; margin: 0 0 2mm; letter-spacing: 0.04em; }
.meta dl { display: grid; grid-template-columns: auto auto; gap: 0.5mm 4mm; margin: 0; }
.meta dt { color: #666; }
.meta dd { margin: 0; font-weight: bold; }
.bill-to { margin: 7mm 0 6mm; }
.bill-to h3, .notes h3 { font-size: 8pt; text-transform: uppercase; letter-spacing: 0.08em; color: #666; margin: 0 0 1mm; }
.title { font-size: 12pt; margin: 0; }
.subtitle { margin: 0 0 3mm; color: #666; font-size: 8.5pt; }
table { width: 100%; border-collapse: collapse; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { padding: 1.2mm 1.5mm; vertical-align: top; }
.lines thead th { background: #eef0f3; font-size: 8pt; text-align: left; border-bottom: 1px solid #c8ccd2; }
.lines thead th.num { text-align: right; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.lines .section th, .lines .section td { background: #f6f7f9; font-weight: bold; border-top: 1px solid #c8ccd2; text-align: left; }
.lines .section td.num { text-align: right; }
.lines .group th, .lines .group td { font-weight: bold; font-size: 9pt; text-align: left; }
.lines .group td.num { text-align: right; }
.lines .group-2 th { padding-left: 5mm; font-weight: normal; font-style: italic; }
.lines .line td { border-bottom: 1px solid #eceef1; font-size: 9pt; }
.lines.detailed .line td:first-child { padding-left: 8mm; }
.detail { color: #777; font-size: 7.5pt; }
.totals { width: 60%; margin: 5mm 0 0 auto; }
.totals th { text-align: left; font-weight: normal; }
.totals .total th, .totals .total td { font-weight: bold; font-size: 11pt; border-top: 2px solid #1a1a1a; }
.notes { margin-top: 7mm; font-size: 8.5pt; color: #444; }
.notes ul { margin: 0; padding-left: 5mm; }
@media print { main { padding: 0; max-width: none; } }
`.trim();

/**
 * Render the document as HTML.
 * @example renderHtml(doc, 'summary').toString('utf8').startsWith('<!DOCTYPE html>') // true
 */
export function renderHtml(doc: InvoiceDocument, format: DocumentFormat): Buffer {
  const e = escapeHtml;
  const { title, subtitle } = documentTitle(doc, format);
  const table = documentTable(doc, format);
  const span = table.columns.length - 1;
  const out: string[] = [];
  const lines = (values: string[]): string => values.map(e).join('<br>');

  out.push('<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">');
  out.push('<meta name="viewport" content="width=device-width, initial-scale=1">');
  out.push(`<title>${e(`Invoice ${doc.invoiceNumber} – ${doc.customer.name} – ${doc.period.label}`)}</title>`);
  out.push(`<style>\n${CSS}\n</style>`, '</head>', '<body>', `<main class="invoice ${format}">`);

  out.push('<header class="masthead">', '<div class="seller">', `<h1>${e(doc.seller.name)}</h1>`);
  const seller = partyLines(doc.seller);
  if (seller.length > 0) out.push(`<p>${lines(seller)}</p>`);
  out.push('</div>', '<div class="meta">', '<h2>INVOICE</h2>', '<dl>');
  for (const [label, value] of documentFacts(doc)) out.push(`<dt>${e(label)}</dt><dd>${e(value)}</dd>`);
  out.push('</dl>', '</div>', '</header>');

  out.push('<section class="bill-to">', '<h3>Bill to</h3>', `<p><strong>${e(doc.customer.name)}</strong>`);
  const customer = partyLines(doc.customer);
  if (customer.length > 0) out.push(`<br>${lines(customer)}`);
  out.push('</p>', '</section>');

  out.push(`<h2 class="title">${e(title)}</h2>`, `<p class="subtitle">${e(subtitle)}</p>`);
  out.push(`<table class="lines ${format}">`, '<colgroup>');
  for (const c of table.columns) out.push(`<col style="width:${((c.width / 515) * 100).toFixed(1)}%">`);
  out.push('</colgroup>', '<thead><tr>');
  for (const c of table.columns) out.push(`<th scope="col"${c.align === 'right' ? ' class="num"' : ''}>${e(c.label)}</th>`);
  out.push('</tr></thead>', '<tbody>');
  for (const row of table.rows) {
    if (row.type === 'section') {
      out.push(`<tr class="section"><th scope="rowgroup" colspan="${span}">${e(row.label)}</th><td class="num">${e(row.amount)}</td></tr>`);
    } else if (row.type === 'group') {
      const detail = row.detail ? ` <span class="detail">${e(row.detail)}</span>` : '';
      out.push(`<tr class="group group-${row.level}"><th scope="rowgroup" colspan="${span}">${e(row.label)}${detail}</th><td class="num">${e(row.amount)}</td></tr>`);
    } else {
      const cells = row.cells.map((cell, i) => {
        const numeric = table.columns[i]?.align === 'right';
        const detail = i === 0 && row.detail ? `<div class="detail">${e(row.detail)}</div>` : '';
        return `<td${numeric ? ' class="num"' : ''}>${e(cell)}${detail}</td>`;
      });
      out.push(`<tr class="line">${cells.join('')}</tr>`);
    }
  }
  out.push('</tbody>', '</table>');

  out.push('<table class="totals">', '<tbody>');
  for (const t of documentTotals(doc)) {
    out.push(`<tr${t.strong ? ' class="total"' : ''}><th scope="row">${e(t.label)}</th><td class="num">${e(t.amount)}</td></tr>`);
  }
  out.push('</tbody>', '</table>');

  const notes = documentNotes(doc);
  if (notes.length > 0) {
    out.push('<section class="notes">', '<h3>Notes</h3>', '<ul>');
    for (const note of notes) out.push(`<li>${e(note)}</li>`);
    out.push('</ul>', '</section>');
  }
  out.push('</main>', '</body>', '</html>', '');
  return Buffer.from(out.join('\n'), 'utf8');
}
