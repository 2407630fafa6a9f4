/**
 * The one entry point of invoice documents: one `InvoiceDocument`, two layouts
 * (`detailed` for enterprise clients, `summary` for SMB clients), three files
 * (PDF, HTML, CSV). Serves `GET /v1/invoices/{id}/document?format=&type=`.
 */
import { DocumentError } from './errors.ts';
import { DOCUMENT_FORMATS, DOCUMENT_TYPES, type DocumentFormat, type DocumentType, type InvoiceDocument } from './invoice-view.ts';
import { renderCsv } from './render-csv.ts';
import { renderHtml } from './render-html.ts';
import { renderPdf } from './render-pdf.ts';

export interface RenderOptions {
  format: DocumentFormat;
  type: DocumentType;
}

export interface RenderedDocument {
  /** The response's Content-Type. */
  contentType: string;
  /** A safe file name for Content-Disposition, e.g. 'invoice-INV-2026-0042-summary.pdf'. */
  filename: string;
  body: Buffer;
}

export const CONTENT_TYPES: Readonly<Record<DocumentType, string>> = Object.freeze({
  pdf: 'application/pdf',
  html: 'text/html; charset=utf-8',
  csv: 'text/csv; charset=utf-8; header=present',
});

/**
 * The file name of a rendered document: only letters, digits, '.', '_' and '-'.
 * @example documentFilename({ invoiceNumber: 'INV/2026 42', revision: 2 }, 'summary', 'pdf') // 'invoice-INV-2026-42-rev2-summary.pdf'
 */
export function documentFilename(doc: Pick<InvoiceDocument, 'invoiceNumber' | 'revision'>, format: DocumentFormat, type: DocumentType): string {
  const number = doc.invoiceNumber.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '') || 'invoice';
  return `invoice-${number}${doc.revision > 1 ? `-rev${doc.revision}` : ''}-${format}.${type}`;
}

/**
 * Render an invoice document.
 *
 * @example
 *   const doc = toInvoiceDocument(invoice, header);
 *   const { contentType, filename, body } = await renderInvoiceDocument(doc, { format: 'summary', type: 'pdf' });
 *   reply.type(contentType).header('content-disposition', `attachment; filename="${filename}"`).send(body);
 */
export async function renderInvoiceDocument(doc: InvoiceDocument, options: RenderOptions): Promise<RenderedDocument> {
  const { format, type } = options;
  if (!DOCUMENT_FORMATS.includes(format)) throw new DocumentError(`Unknown document format "${String(format)}": use ${DOCUMENT_FORMATS.join(' or ')}`, { field: 'format', value: format });
  if (!DOCUMENT_TYPES.includes(type)) throw new DocumentError(`Unknown document type "${String(type)}": use ${DOCUMENT_TYPES.join(', ')}`, { field: 'type', value: type });
  const body = type === 'pdf' ? await renderPdf(doc, format) : type === 'html' ? renderHtml(doc, format) : renderCsv(doc, format);
  return { contentType: CONTENT_TYPES[type], filename: documentFilename(doc, format, type), body };
}
