import type { NetSuiteClient, NetSuiteRecord } from '../../connectors/netsuite/client.ts';
import { Decimal } from '../../engine/decimal.ts';
import { ledgerStatusOf } from '../../mappings/accounting/ledger-status.ts';
import { lateDocumentNumber } from '../../mappings/accounting/posting-parts.ts';
import { creditMemoExternalId, creditMemoFor, invoiceExternalId, itemExternalId, lateExternalId, toNetSuiteInvoice } from '../../mappings/netsuite/invoice.ts';
import type { PostingLine } from '../../mappings/accounting/posting-lines.ts';
import type { NetSuiteConnection } from './netsuite-client-for-connection.ts';
import type { ErpDocument, ErpInvoiceHeader, ErpPoster } from './poster.ts';

const documentOf = (invoice: NetSuiteRecord): ErpDocument => ({
  id: String(invoice.id),
  number: String(invoice.tranId),
  subTotal: new Decimal(String(invoice.subtotal ?? 0)),
  status: String((invoice.status as { refName?: string } | undefined)?.refName ?? invoice.status ?? ''),
});

const customerExternalId = (hubCustomerId: string) => `hub-customer-${hubCustomerId}`;
/** The name of the item that books to one income account (as QuickBooks: NetSuite puts sales lines on items). */
export const itemNameOf = (account: string) => `CSP Hub revenue - account ${account}`;
/** Item ids per client (one client per connection), so each job does not upsert them again. */
const itemIds = new WeakMap<NetSuiteClient, Map<string, Promise<string>>>();

/**
 * NetSuite behind the posting job. Everything the hub writes carries an external id
 * derived from the hub record (customer, item per income account, invoice id and
 * revision, credit memo), and is written by upsert on it, so a repeat after a lost answer
 * updates the same record instead of making a second; the job's read-back by external id
 * comes first. An earlier revision is cancelled by a credit memo applied to it (NetSuite
 * has no void over REST for a posted invoice that keeps the audit trail).
 */
export function netsuitePoster({ client, subsidiaryId }: NetSuiteConnection): ErpPoster {
  const items = itemIds.get(client) ?? new Map<string, Promise<string>>();
  itemIds.set(client, items);
  const subsidiary = subsidiaryId ? { subsidiary: { id: subsidiaryId } } : {};
  // The promise is kept, not the id, so invoices posted at the same time share one upsert; a failed one is forgotten.
  const itemFor = (account: string): Promise<string> => {
    let id = items.get(account);
    if (!id) {
      id = client.upsert('nonInventorySaleItem', itemExternalId(account), { itemId: itemNameOf(account), incomeAccount: { id: account }, ...subsidiary });
      id.catch(() => items.delete(account));
      items.set(account, id);
    }
    return id;
  };
  const read = async (id: string, expand = false) => {
    const record = await client.getRecord('invoice', { id }, { expand });
    if (!record) throw new Error(`NetSuite invoice ${id} could not be read back`);
    return record;
  };
  /** The credit memo (external id after the invoice's) that cancels a posted invoice: found first, made once. */
  const creditMemoOf = async (documentId: string, why: string, date: string): Promise<NetSuiteRecord> => {
    const invoice = await read(documentId, true);
    const externalId = creditMemoExternalId(String(invoice.externalId ?? `hub-inv-${documentId}`));
    const existing = await client.getRecord('creditMemo', { externalId });
    if (existing) return existing;
    const id = await client.upsert('creditMemo', externalId, creditMemoFor(invoice, externalId, `Cancels ${String(invoice.tranId)} (${String(invoice.otherRefNum ?? '')}): ${why}`, date), { replace: 'item' });
    const made = await client.getRecord('creditMemo', { id });
    if (!made) throw new Error(`NetSuite credit memo ${id} could not be read back`);
    return made;
  };
  /** Upserts an invoice or a credit memo (same header and item lines) by its external id, and reads it back. */
  const upsertSale = async (type: 'invoice' | 'creditMemo', externalId: string, header: ErpInvoiceHeader, lines: readonly PostingLine[]): Promise<ErpDocument> => {
    const currencyId = await client.currencyId(header.currency);
    if (!currencyId) throw new Error(`NetSuite has no currency ${header.currency}: enable Multiple Currencies and add it (Lists > Accounting > Currencies)`);
    const itemOfAccount = new Map<string, string>();
    for (const account of new Set(lines.map((l) => l.account))) itemOfAccount.set(account, await itemFor(account));
    const body = toNetSuiteInvoice(
      { externalId, customerId: header.customerRef, subsidiaryId, currencyId, number: header.number, tranDate: header.date, dueDate: header.dueDate, reference: header.reference },
      lines,
      itemOfAccount,
    );
    const id = await client.upsert(type, externalId, body, { replace: 'item' });
    const made = await client.getRecord(type, { id });
    if (!made) throw new Error(`NetSuite ${type} ${id} could not be read back`);
    return documentOf(made);
  };
  const saleType = (type: 'invoice' | 'credit_note') => (type === 'credit_note' ? 'creditMemo' : 'invoice');
  return {
    findCustomer: async ({ hubCustomerId }) => (await client.getRecord('customer', { externalId: customerExternalId(hubCustomerId) }))?.id,
    createCustomer: ({ hubCustomerId, name }) => client.upsert('customer', customerExternalId(hubCustomerId), { companyName: name, isPerson: false, ...subsidiary }),
    findInvoice: async (_number, invoice) => {
      const found = await client.getRecord('invoice', { externalId: invoiceExternalId(invoice.id, invoice.revision) });
      return found ? documentOf(found) : undefined;
    },
    createInvoice: (header, lines) => upsertSale('invoice', invoiceExternalId(header.invoiceId, header.revision), header, lines),
    voidInvoice: async (documentId) => {
      await creditMemoOf(documentId, 'replaced by a new revision', new Date().toISOString().slice(0, 10));
    },
    readInvoiceState: async (documentId) => {
      // NetSuite keeps what is still owed (amountRemaining); payments and credits applied both reduce it.
      const invoice = await read(documentId);
      const total = new Decimal(String(invoice.total ?? 0));
      const balance = new Decimal(String(invoice.amountRemaining ?? total));
      return { status: ledgerStatusOf({ voided: false, amountPaid: total.minus(balance), balance }), amountPaid: total.minus(balance) };
    },
    creditInvoice: async (documentId, _credited, date) => {
      const memo = await creditMemoOf(documentId, 'credited for a new revision', date);
      return { id: String(memo.id), number: String(memo.tranId ?? memo.externalId), subTotal: new Decimal(String(memo.subtotal ?? memo.total ?? 0)) };
    },
    findAdjustment: async (header, type) => {
      const found = await client.getRecord(saleType(type), { externalId: lateExternalId(header.invoiceId, header.revision, header.latePeriod) });
      return found ? documentOf(found) : undefined;
    },
    createAdjustment: (header, type, lines) =>
      upsertSale(saleType(type), lateExternalId(header.invoiceId, header.revision, header.latePeriod), { ...header, number: lateDocumentNumber(header.number, header.latePeriod) }, lines),
  };
}
