/**
 * An invoice document as an A4 PDF, drawn with pdfkit and its bundled standard fonts
 * (Helvetica; nothing is fetched at run time).
 *
 * Page 1 carries the header (seller, "INVOICE" with number, dates, period and amount
 * due, the bill-to block); every later page a running header (seller, invoice number,
 * customer, period). The table's header row is repeated at the top of every page the
 * table runs onto, a section or group heading is never left alone at the foot of a
 * page, and every page ends with "Page x of y". The totals block and notes follow the
 * table. Text is placed at explicit positions (never flowed by pdfkit), so pages break
 * exactly where this module decides.
 *
 * Deterministic: the document's issue date is the PDF's creation date and its file id
 * derives from the document info, so the same document renders the same bytes.
 *
 * Standard PDF fonts cover Windows-1252 (Latin-1 plus €, ‚, „, …, –, —, ™, …): a
 * character outside it is drawn without its accent when it has one ('ő' → 'o'), else '?'.
 */
import { lazyImport } from '../lazy-import.ts';
import type { DocumentFormat, InvoiceDocument } from './invoice-view.ts';
import { type Column, type TableRow, documentFacts, documentNotes, documentTable, documentTitle, documentTotals, partyLines } from './layout.ts';

const PAGE = { width: 595.28, height: 841.89 };
const MARGIN = 40;
const RIGHT = PAGE.width - MARGIN;
const CONTENT_WIDTH = RIGHT - MARGIN;
/** Lowest y content may reach; below it sit the footer rule and "Page x of y". */
const BOTTOM = PAGE.height - MARGIN - 22;

const FONT = 'Helvetica';
const BOLD = 'Helvetica-Bold';
const OBLIQUE = 'Helvetica-Oblique';
const INK = '#1a1a1a';
const MUTED = '#666666';
const RULE = '#c8ccd2';
const SHADE = '#eef0f3';

/** Characters Windows-1252 has beyond Latin-1 (0x80–0x9F). */
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

/**
 * Text the standard fonts can draw: control characters become spaces, a character
 * outside Windows-1252 loses its accent when that brings it inside, else becomes '?'.
 * @example winAnsi('Müller – Łódź 東京') // 'Müller – ?ódz ??'
 */
export function winAnsi(value: string): string {
  let out = '';
  for (const ch of value.normalize('NFC')) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code < 0xa0)) out += ' ';
    else if (code <= 0xff || WIN_ANSI_EXTRA.has(ch)) out += ch;
    else {
      const base = ch.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
      const baseCode = base.codePointAt(0) ?? 0;
      out += base.length === 1 && baseCode >= 0x20 && baseCode <= 0xff ? base : '?';
    }
  }
  return out;
}

interface TextStyle {
  font?: string;
  size?: number;
  color?: string;
  align?: 'left' | 'right';
  /** Width available: left-aligned text is cut with an ellipsis, right-aligned (figures) shrinks to fit. */
  width?: number;
}

/** The pages under construction and the y where the next thing goes. */
class PdfWriter {
  readonly pdf: PDFKit.PDFDocument;
  y = MARGIN;

  constructor(pdf: PDFKit.PDFDocument) {
    this.pdf = pdf;
  }

  /** Draw one line of text at (x, y): x is the left edge, or the right edge when align is 'right'. Returns the width drawn. */
  text(value: string, x: number, y: number, style: TextStyle = {}): number {
    const { font = FONT, color = INK, align = 'left', width } = style;
    let size = style.size ?? 9;
    let shown = winAnsi(value);
    this.pdf.font(font).fontSize(size);
    if (width !== undefined && this.pdf.widthOfString(shown) > width) {
      if (align === 'right') {
        // A figure is never cut: make it smaller until it fits.
        while (size > 5 && this.pdf.fontSize(size).widthOfString(shown) > width) size -= 0.5;
      } else {
        while (shown.length > 1 && this.pdf.widthOfString(`${shown}…`) > width) shown = shown.slice(0, -1);
        shown = `${shown.trimEnd()}…`;
      }
    }
    const drawn = this.pdf.widthOfString(shown);
    const left = align === 'right' ? x - drawn : x;
    this.pdf.fillColor(color).text(shown, left, y, { lineBreak: false });
    return drawn;
  }

  rule(y: number, color = RULE, width = 0.5, from = MARGIN, to = RIGHT): void {
    this.pdf.moveTo(from, y).lineTo(to, y).lineWidth(width).strokeColor(color).stroke();
  }

  shade(y: number, height: number, color = SHADE): void {
    this.pdf.rect(MARGIN, y, CONTENT_WIDTH, height).fill(color);
  }

  newPage(): void {
    this.pdf.addPage();
    this.y = MARGIN;
  }
}

function drawFirstPageHeader(w: PdfWriter, doc: InvoiceDocument, format: DocumentFormat): void {
  const half = CONTENT_WIDTH / 2 - 10;
  let left = MARGIN;
  w.text(doc.seller.name, MARGIN, left, { font: BOLD, size: 14, width: half });
  left += 20;
  for (const line of partyLines(doc.seller)) {
    w.text(line, MARGIN, left, { size: 8.5, color: MUTED, width: half });
    left += 11;
  }

  let right = MARGIN;
  w.text('INVOICE', RIGHT, right, { font: BOLD, size: 20, align: 'right' });
  right += 28;
  for (const [label, value] of documentFacts(doc)) {
    const strong = label.startsWith('Amount due');
    w.text(label, RIGHT - 230, right, { size: 8.5, color: MUTED, width: 105 });
    w.text(value, RIGHT, right, { font: BOLD, size: strong ? 10 : 8.5, align: 'right', width: 125 });
    right += strong ? 14 : 12;
  }

  let y = Math.max(left, right) + 14;
  w.text('BILL TO', MARGIN, y, { font: BOLD, size: 7.5, color: MUTED });
  y += 11;
  w.text(doc.customer.name, MARGIN, y, { font: BOLD, size: 11, width: CONTENT_WIDTH });
  y += 15;
  for (const line of partyLines(doc.customer)) {
    w.text(line, MARGIN, y, { size: 8.5, color: MUTED, width: CONTENT_WIDTH });
    y += 11;
  }

  y += 14;
  const { title, subtitle } = documentTitle(doc, format);
  w.text(title, MARGIN, y, { font: BOLD, size: 12 });
  y += 16;
  w.text(subtitle, MARGIN, y, { size: 8, color: MUTED, width: CONTENT_WIDTH });
  w.y = y + 16;
}

function drawRunningHeader(w: PdfWriter, doc: InvoiceDocument): void {
  w.text(doc.seller.name, MARGIN, MARGIN, { font: BOLD, size: 9, width: CONTENT_WIDTH / 3 });
  const revision = doc.revision > 1 ? ` (revision ${doc.revision})` : '';
  w.text(`Invoice ${doc.invoiceNumber}${revision} · ${doc.customer.name} · ${doc.period.label}`, RIGHT, MARGIN + 1, {
    size: 8,
    color: MUTED,
    align: 'right',
    width: (CONTENT_WIDTH * 2) / 3 - 10,
  });
  w.rule(MARGIN + 15);
  w.y = MARGIN + 26;
}

function drawTableHeader(w: PdfWriter, columns: Column[]): void {
  const height = 16;
  w.shade(w.y, height);
  let x = MARGIN;
  for (const c of columns) {
    const inner = c.width - 8;
    if (c.align === 'right') w.text(c.label, x + c.width - 4, w.y + 4.5, { font: BOLD, size: 7.5, align: 'right', width: inner });
    else w.text(c.label, x + 4, w.y + 4.5, { font: BOLD, size: 7.5, width: inner });
    x += c.width;
  }
  w.rule(w.y + height);
  w.y += height + 2;
}

const CONTINUED_HEIGHT = 13;

function rowHeight(row: TableRow): number {
  if (row.type === 'section') return 19;
  if (row.type === 'group') return row.level === 1 ? 15 : 13;
  return row.detail ? 22 : 15;
}

function drawRow(w: PdfWriter, row: TableRow, columns: Column[]): void {
  const amountColumn = columns[columns.length - 1] as Column;
  const labelWidth = CONTENT_WIDTH - amountColumn.width - 8;
  const y = w.y;
  if (row.type === 'section') {
    w.shade(y + 2, 15, '#f6f7f9');
    w.rule(y + 2);
    w.text(row.label, MARGIN + 4, y + 6, { font: BOLD, size: 9, width: labelWidth });
    w.text(row.amount, RIGHT - 4, y + 6, { font: BOLD, size: 9, align: 'right', width: amountColumn.width - 8 });
  } else if (row.type === 'group') {
    const indent = row.level === 1 ? 4 : 14;
    const style = row.level === 1 ? { font: BOLD, size: 8.5 } : { font: OBLIQUE, size: 8 };
    const drawn = w.text(row.label, MARGIN + indent, y + 3.5, { ...style, width: labelWidth - indent });
    // Small print on the same line, after the label, so a named row takes no more room than before.
    const room = labelWidth - indent - drawn - 8;
    if (row.detail && room > 30) w.text(row.detail, MARGIN + indent + drawn + 6, y + 4.5, { size: 6.5, color: MUTED, width: room });
    w.text(row.amount, RIGHT - 4, y + 3.5, { ...style, align: 'right', width: amountColumn.width - 8 });
  } else {
    let x = MARGIN;
    row.cells.forEach((cell, i) => {
      const c = columns[i] as Column;
      const indent = i === 0 && row.detail ? 20 : 4;
      if (c.align === 'right') w.text(cell, x + c.width - 4, y + 3.5, { size: 8.5, align: 'right', width: c.width - 8 });
      else w.text(cell, x + indent, y + 3.5, { size: 8.5, width: c.width - indent - 4 });
      x += c.width;
    });
    if (row.detail) w.text(row.detail, MARGIN + 20, y + 13, { size: 6.5, color: MUTED, width: CONTENT_WIDTH - amountColumn.width - 24 });
    w.rule(y + rowHeight(row), '#eceef1', 0.4);
  }
  w.y += rowHeight(row);
}

/** "Charges for November 2026 › Subscription … › Resource group … (continued)" at the top of a continuation page. */
function drawContinued(w: PdfWriter, context: string[]): void {
  w.text(`${context.join(' › ')} (continued)`, MARGIN + 4, w.y + 3, { font: OBLIQUE, size: 7.5, color: MUTED, width: CONTENT_WIDTH - 8 });
  w.y += CONTINUED_HEIGHT;
}

function drawTotals(w: PdfWriter, doc: InvoiceDocument): void {
  const rows = documentTotals(doc);
  const labelX = MARGIN + 200;
  const height = rows.reduce((h, r) => h + (r.strong ? 22 : 14), 12);
  if (w.y + height > BOTTOM) {
    w.newPage();
    drawRunningHeader(w, doc);
  }
  w.y += 12;
  for (const r of rows) {
    if (r.strong) {
      w.y += 4;
      w.rule(w.y, INK, 1, labelX, RIGHT);
      w.y += 5;
    }
    const style = r.strong ? { font: BOLD, size: 11 } : { size: 8.5 };
    w.text(r.label, labelX, w.y, { ...style, width: RIGHT - labelX - 95 });
    w.text(r.amount, RIGHT - 4, w.y, { ...style, align: 'right', width: 88 });
    w.y += r.strong ? 13 : 14;
  }
}

function drawNotes(w: PdfWriter, doc: InvoiceDocument): void {
  const notes = documentNotes(doc);
  if (notes.length === 0) return;
  const width = CONTENT_WIDTH - 10;
  const heightOf = (note: string): number => w.pdf.font(FONT).fontSize(8).heightOfString(winAnsi(note), { width }) + 3;
  const first = notes[0] ?? '';
  if (w.y + 36 + heightOf(first) > BOTTOM) {
    w.newPage();
    drawRunningHeader(w, doc);
  } else {
    w.y += 22;
  }
  w.text('NOTES', MARGIN, w.y, { font: BOLD, size: 7.5, color: MUTED });
  w.y += 12;
  for (const note of notes) {
    let height = heightOf(note);
    if (w.y + height > BOTTOM) {
      w.newPage();
      drawRunningHeader(w, doc);
    }
    height = Math.min(height, BOTTOM - w.y);
    // Measured to fit above BOTTOM (a note taller than a page is cut with an ellipsis), so pdfkit never adds a page itself.
    w.pdf.font(FONT).fontSize(8).fillColor(INK).text(winAnsi(note), MARGIN + 10, w.y, { width, height, ellipsis: true });
    w.text('•', MARGIN + 2, w.y, { size: 8 });
    w.y += height;
  }
}

function drawFooters(w: PdfWriter, doc: InvoiceDocument): void {
  const { start, count } = w.pdf.bufferedPageRange();
  for (let i = 0; i < count; i += 1) {
    w.pdf.switchToPage(start + i);
    const y = PAGE.height - MARGIN - 10;
    w.rule(y - 6);
    const revision = doc.revision > 1 ? ` · revision ${doc.revision}` : '';
    w.text(`${doc.seller.name} · Invoice ${doc.invoiceNumber}${revision}`, MARGIN, y, { size: 7.5, color: MUTED, width: CONTENT_WIDTH - 100 });
    w.text(`Page ${i + 1} of ${count}`, RIGHT, y, { size: 7.5, color: MUTED, align: 'right' });
  }
}

const loadPdfkit = lazyImport(() => import('pdfkit'));

/**
 * Render the document as an A4 PDF.
 * @example (await renderPdf(doc, 'summary')).subarray(0, 5).toString() // '%PDF-'
 */
export async function renderPdf(doc: InvoiceDocument, format: DocumentFormat): Promise<Buffer> {
  const { default: PDFDocument } = await loadPdfkit();
  const pdf = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, bottom: MARGIN, left: MARGIN, right: MARGIN },
    bufferPages: true,
    lang: 'en',
    displayTitle: true,
    info: {
      Title: winAnsi(`Invoice ${doc.invoiceNumber}`),
      Author: winAnsi(doc.seller.name),
      Subject: winAnsi(`${doc.customer.name} · ${doc.period.label}`),
      Creator: 'CSP Billing Hub',
      CreationDate: new Date(`${doc.issuedAt}T00:00:00Z`),
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });

  const w = new PdfWriter(pdf);
  const { columns, rows } = documentTable(doc, format);
  drawFirstPageHeader(w, doc, format);
  drawTableHeader(w, columns);
  // The headings the current line sits under, to repeat them when the lines run onto a new page.
  let context: string[] = [];
  rows.forEach((row, i) => {
    if (row.type === 'section') context = [row.label];
    else if (row.type === 'group') context = [...context.slice(0, row.level), row.label];
    // A heading keeps the row after it on its page.
    const next = rows[i + 1];
    const needed = rowHeight(row) + (row.type !== 'line' && next ? rowHeight(next) : 0);
    if (w.y + needed > BOTTOM) {
      w.newPage();
      drawRunningHeader(w, doc);
      drawTableHeader(w, columns);
      if (row.type === 'line' && context.length > 0) drawContinued(w, context);
    }
    drawRow(w, row, columns);
  });
  drawTotals(w, doc);
  drawNotes(w, doc);
  drawFooters(w, doc);
  pdf.end();
  return done;
}
