import type { Decimal } from '../../engine/decimal.ts';
import type { LedgerStatus } from '../../mappings/accounting/ledger-status.ts';
import type { PostingLine } from '../../mappings/accounting/posting-lines.ts';
import type { DocumentType } from '../../mappings/accounting/posting-parts.ts';

/** A document an ERP holds for a hub invoice, as the posting job needs to know it. */
export interface ErpDocument {
  id: string;
  number: string;
  /** Total before tax, to compare with the hub invoice to the cent. */
  subTotal: Decimal;
  status: string;
}

/** What the ERP's ledger says of a posted invoice, and what was paid on it there. */
export interface ErpInvoiceState {
  status: LedgerStatus;
  amountPaid: Decimal;
}

/** A credit note (Xero) or credit memo (QuickBooks) that reverses a posted invoice. */
export interface ErpCredit {
  id: string;
  number: string;
  /** Total before tax, equal to the credited invoice's. */
  subTotal: Decimal;
}

export interface ErpInvoiceHeader {
  /** The hub invoice (one per revision) and its revision, for ERPs that key documents by them. */
  invoiceId: string;
  revision: number;
  customerRef: string;
  number: string;
  date: string;
  dueDate: string | null;
  currency: string;
  reference: string;
  /** YYYY-MM, and the customer's name in the hub: what an ERP's invoice mapping may read besides the above. */
  period: string;
  customerName: string;
}

/** The hub document a credit note reverses: an invoice, or the late-usage document of one of its late periods. */
export interface CreditedDocument {
  number: string;
  latePeriod?: string;
}

/** A late-usage adjustment's own document: the invoice it came on, and the late period. */
export interface ErpAdjustmentHeader extends ErpInvoiceHeader {
  latePeriod: string;
}

/**
 * What the posting job asks of an ERP. Each ERP implements it on its own client and
 * mapping; the exactly-once rules (read back before create, idempotency keys) live in
 * the job, once.
 */
export interface ErpPoster {
  /** The ERP's id of the customer: by the hub customer id stored on it (or, where the ERP has no field for it, its unique name), else undefined. */
  findCustomer(customer: { hubCustomerId: string; name: string }): Promise<string | undefined>;
  createCustomer(customer: { hubCustomerId: string; name: string }, idempotencyKey: string): Promise<string>;
  /** The document of a hub invoice, read back by what the ERP's invoice mapping makes of `header` (by the hub number where it has none). */
  findInvoice(number: string, invoice: { id: string; revision: number }, header?: ErpInvoiceHeader): Promise<ErpDocument | undefined>;
  createInvoice(header: ErpInvoiceHeader, lines: readonly PostingLine[], idempotencyKey: string): Promise<ErpDocument>;
  voidInvoice(documentId: string, idempotencyKey: string): Promise<void>;
  readInvoiceState(documentId: string): Promise<ErpInvoiceState>;
  /**
   * Reverses a posted invoice that can no longer be voided: a credit note of its own lines
   * (accounts, tax, dimensions), numbered after the hub invoice and found by that number
   * before it is made, then applied once to what the invoice still owes.
   */
  creditInvoice(documentId: string, credited: CreditedDocument, date: string, idempotencyKey: string): Promise<ErpCredit>;
  /** A late-usage adjustment's document (an invoice, or a credit note when it takes away), by the number or key the ERP holds it under. */
  findAdjustment(header: ErpAdjustmentHeader, type: DocumentType): Promise<ErpDocument | undefined>;
  /** Makes it; a credit note's `lines` come as positive amounts, what it credits. */
  createAdjustment(header: ErpAdjustmentHeader, type: DocumentType, lines: readonly PostingLine[], idempotencyKey: string): Promise<ErpDocument>;
  /** The field mappings (object → version) this poster applied, for the posting to record in mapping_uses; none where the ERP maps in code. */
  readonly mappingsUsed?: Map<string, number>;
}
