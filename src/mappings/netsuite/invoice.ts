import type { NetSuiteRecord } from '../../connectors/netsuite/client.ts';
import type { Dimensions } from '../accounting/line-accounts.ts';
import type { PostingLine } from '../accounting/posting-lines.ts';

export interface NetSuiteInvoiceHeader {
  externalId: string;
  customerId: string;
  subsidiaryId: string | null;
  currencyId: string;
  /** The hub invoice number, carried in the memo and as the customer-facing reference. */
  number: string;
  tranDate: string;
  dueDate: string | null;
  reference: string;
}

/**
 * The external id of a hub invoice in NetSuite: the invoice id (one per revision) and
 * its revision, so each revision is its own NetSuite document and a repeat upserts the same.
 *
 * @example invoiceExternalId('0b9c…', 2) // 'hub-inv-0b9c…-r2'
 */
export const invoiceExternalId = (invoiceId: string, revision: number) => `hub-inv-${invoiceId}-r${revision}`;
/** A late-usage adjustment's own document on that invoice: an invoice, or a credit memo when it takes away. */
export const lateExternalId = (invoiceId: string, revision: number, latePeriod: string) => `${invoiceExternalId(invoiceId, revision)}-late-${latePeriod}`;
/** The credit memo that cancels an earlier revision's invoice. */
export const creditMemoExternalId = (invoiceExternalId: string) => invoiceExternalId.replace(/^hub-inv-/, 'hub-cm-');
/** The sale item that books to one income account. */
export const itemExternalId = (account: string) => `hub-item-${account}`;

const ref = (id: string) => ({ id });

/** department/class/location as NetSuite references, only those the mapping gives. */
export function dimensionRefs(dimensions: Dimensions | null): Record<string, { id: string }> {
  const out: Record<string, { id: string }> = {};
  if (dimensions?.department) out.department = ref(dimensions.department);
  if (dimensions?.class) out.class = ref(dimensions.class);
  if (dimensions?.location) out.location = ref(dimensions.location);
  return out;
}

/**
 * A hub invoice as a NetSuite invoice. NetSuite books a sales line to the income account
 * of its item, so each line names the hub's item for its revenue account
 * (`itemOfAccount`), with the line's department, class, location and tax code. Each
 * line goes as quantity 1 at its amount, crossing to JSON as a number only here: a
 * decimal with the currency's places converts exactly.
 */
export function toNetSuiteInvoice(header: NetSuiteInvoiceHeader, lines: readonly PostingLine[], itemOfAccount: ReadonlyMap<string, string>): NetSuiteRecord {
  return {
    externalId: header.externalId,
    entity: ref(header.customerId),
    ...(header.subsidiaryId ? { subsidiary: ref(header.subsidiaryId) } : {}),
    currency: ref(header.currencyId),
    tranDate: header.tranDate,
    ...(header.dueDate ? { dueDate: header.dueDate } : {}),
    otherRefNum: header.number,
    memo: `${header.number} (${header.reference})`,
    item: {
      items: lines.map((l) => {
        const item = itemOfAccount.get(l.account);
        if (!item) throw new Error(`no NetSuite item books to account ${l.account}`);
        const amount = Number(l.amount.toFixed());
        return {
          item: ref(item),
          quantity: 1,
          rate: amount,
          amount,
          description: l.description,
          ...dimensionRefs(l.dimensions),
          ...(l.taxCode ? { taxCode: ref(l.taxCode) } : {}),
        };
      }),
    },
  };
}

type Line = Record<string, unknown> & { amount?: unknown };

/**
 * The credit memo that cancels an invoice NetSuite holds (read with its sublists
 * expanded): its customer, currency and lines (item, amount, dimensions, tax code) as
 * they are there, applied to what is still open on it. What the customer already paid
 * stays as unapplied credit for finance to refund or carry over. It is dated when the
 * revision replaces the invoice (`tranDate`), not back in the invoice's period, which
 * NetSuite may have closed.
 */
export function creditMemoFor(invoice: NetSuiteRecord, externalId: string, memo: string, tranDate: string): NetSuiteRecord {
  const refId = (v: unknown) => (v && typeof v === 'object' && 'id' in v ? ref(String((v as { id: unknown }).id)) : undefined);
  const items = (invoice.item as { items?: Line[] } | undefined)?.items;
  if (!items) throw new Error(`NetSuite invoice ${String(invoice.id)} was read without its item lines (expandSubResources)`);
  const lines = items.map((l) => {
    const out: Record<string, unknown> = { quantity: 1, rate: Number(l.amount), amount: Number(l.amount), description: l.description };
    for (const field of ['item', 'department', 'class', 'location', 'taxCode']) {
      const r = refId(l[field]);
      if (r) out[field] = r;
    }
    return out;
  });
  return {
    externalId,
    entity: refId(invoice.entity),
    ...(refId(invoice.subsidiary) ? { subsidiary: refId(invoice.subsidiary) } : {}),
    currency: refId(invoice.currency),
    tranDate,
    memo,
    item: { items: lines },
    ...(Number(invoice.amountRemaining) > 0 ? { apply: { items: [{ doc: ref(String(invoice.id)), apply: true, amount: Number(invoice.amountRemaining) }] } } : {}),
  };
}
