/**
 * The documents layer's one error type: an invoice or header that cannot be rendered
 * faithfully (an unrounded amount, a missing invoice number, totals that do not add
 * up). The route maps it to a problem+json 422; `details` carries the offending values.
 *
 * @example
 *   throw new DocumentError('The invoice number is blank', { field: 'invoiceNumber' });
 */
export class DocumentError extends Error {
  readonly code = 'invalid_invoice_document';
  readonly details: Readonly<Record<string, unknown>>;

  constructor(message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'DocumentError';
    this.details = details;
  }
}
