import { isVoided, type QboEntity, type QuickBooksPostingClient } from '../../connectors/quickbooks/client.ts';
import { Decimal, sum } from '../../engine/decimal.ts';
import { ledgerStatusOf } from '../../mappings/accounting/ledger-status.ts';
import { creditApplication, lateCreditMemoNumberOf, quickbooksCreditMemoNumber, toQuickBooksCreditMemo } from '../../mappings/quickbooks/credit-memo.ts';
import { docNumberOf, lateDocNumberOf, toQuickBooksInvoice } from '../../mappings/quickbooks/invoice.ts';
import type { Kysely } from 'kysely';
import { mappingInForce } from '../../db/field-mappings.ts';
import type { Database } from '../../db/types.ts';
import { mappingObject } from '../../mappings/objects.ts';
import { mappedQuickBooksHeader, quickbooksInvoiceMapping, toMappedQuickBooksInvoice, type QuickBooksInvoiceMapping } from '../../mappings/quickbooks/mapped-invoice.ts';
import type { ErpDocument, ErpPoster } from './poster.ts';

/** Before tax: the SubTotalLineDetail line QuickBooks adds, else the sales lines added up. */
function subTotalOf(invoice: QboEntity): Decimal {
  const lines = (invoice.Line as { DetailType?: string; Amount?: number }[] | undefined) ?? [];
  const subTotal = lines.find((l) => l.DetailType === 'SubTotalLineDetail');
  if (subTotal) return new Decimal(String(subTotal.Amount ?? 0));
  return sum(lines.filter((l) => l.DetailType === 'SalesItemLineDetail').map((l) => new Decimal(String(l.Amount ?? 0))));
}

const documentOf = (invoice: QboEntity): ErpDocument => ({
  id: invoice.Id!,
  number: String(invoice.DocNumber),
  subTotal: subTotalOf(invoice),
  status: isVoided(invoice) ? 'Voided' : 'Posted',
});

/** The Item that books a sales line to an income account: one per account, made on first use. */
export const itemNameOf = (account: string) => `CSP Hub revenue - account ${account}`;
const itemKey = (account: string) => `hub-item-${account}`;
/** Item ids per client (one client per connection), so each job does not look them up again. */
const itemIds = new WeakMap<QuickBooksPostingClient, Map<string, Promise<string>>>();

/**
 * QuickBooks behind the posting job. Customers are found by DisplayName (unique in
 * QuickBooks; the hub id is kept in Notes). Sales lines need Items: the poster uses one
 * Service item per revenue account, found by name or created with that account as its
 * income account, so each line still lands on its mapped account.
 */
export function quickbooksPoster(client: QuickBooksPostingClient, mapping: QuickBooksInvoiceMapping = quickbooksInvoiceMapping(0, mappingObject('quickbooks', 'invoice')!.defaultRules)): ErpPoster {
  const mappingsUsed = new Map<string, number>();
  const items = itemIds.get(client) ?? new Map<string, Promise<string>>();
  itemIds.set(client, items);
  // The promise is kept, not the id, so invoices posted at the same time share one look-up; a failed one is forgotten.
  const itemFor = (account: string): Promise<string> => {
    let id = items.get(account);
    if (!id) {
      const name = itemNameOf(account);
      id = (async () => ((await client.findItemByName(name)) ?? (await client.createItem({ Name: name, Type: 'Service', IncomeAccountRef: { value: account } }, itemKey(account)))).Id!)();
      id.catch(() => items.delete(account));
      items.set(account, id);
    }
    return id;
  };
  const itemsFor = async (lines: readonly { account: string }[]) => {
    const itemOfAccount = new Map<string, string>();
    for (const account of new Set(lines.map((l) => l.account))) itemOfAccount.set(account, await itemFor(account));
    return itemOfAccount;
  };
  return {
    findCustomer: async ({ name }) => (await client.findCustomerByName(name))?.Id,
    createCustomer: async ({ hubCustomerId, name }, key) => (await client.createCustomer({ DisplayName: name, Notes: `CSP Hub customer ${hubCustomerId}` }, key)).Id!,
    mappingsUsed,
    findInvoice: async (number, _invoice, header) => {
      const docNumber = header ? mappedQuickBooksHeader(mapping, header).DocNumber : docNumberOf(number);
      if (header) mappingsUsed.set('invoice', mapping.version);
      const found = await client.findInvoiceByDocNumber(docNumber);
      return found ? documentOf(found) : undefined;
    },
    createInvoice: async (header, lines, key) => {
      const mapped = mappedQuickBooksHeader(mapping, header);
      mappingsUsed.set('invoice', mapping.version);
      return documentOf(await client.createInvoice(toMappedQuickBooksInvoice({ ...header, customerId: header.customerRef }, mapped, lines, await itemsFor(lines)), key));
    },
    voidInvoice: async (documentId, key) => {
      await client.voidInvoice(documentId, key);
    },
    readInvoiceState: async (documentId) => {
      const invoice = await client.getInvoice(documentId);
      const balance = new Decimal(String(invoice.Balance ?? 0));
      // What is settled on the invoice, by payments and applied credits alike: QuickBooks keeps only the balance on it.
      const amountPaid = new Decimal(String(invoice.TotalAmt ?? 0)).minus(balance);
      return { status: ledgerStatusOf({ voided: isVoided(invoice), amountPaid, balance }), amountPaid };
    },
    creditInvoice: async (documentId, credited, date, key) => {
      const invoice = await client.getInvoice(documentId);
      const number = credited.latePeriod ? lateCreditMemoNumberOf(credited.number, credited.latePeriod) : quickbooksCreditMemoNumber(credited.number);
      const memo = (await client.findCreditMemoByDocNumber(number)) ?? (await client.createCreditMemo(toQuickBooksCreditMemo(invoice, number, date), key));
      // Applied once: a memo whose credit was already used in part is not applied again.
      const owed = new Decimal(String(invoice.Balance ?? 0));
      const credit = new Decimal(String(memo.Balance ?? 0));
      if (credit.equals(String(memo.TotalAmt ?? 0)) && owed.gt(0) && credit.gt(0)) {
        const amount = Number(Decimal.min(owed, credit).toFixed(2));
        await client.createPayment(creditApplication((invoice.CustomerRef as { value: string }).value, documentId, memo.Id!, amount, date), `${key}-apply`);
      }
      return { id: memo.Id!, number: String(memo.DocNumber), subTotal: subTotalOf(memo) };
    },
    findAdjustment: async (header, type) => {
      const number = lateDocNumberOf(header.number, header.latePeriod);
      const found = type === 'credit_note' ? await client.findCreditMemoByDocNumber(number) : await client.findInvoiceByDocNumber(number);
      return found ? documentOf(found) : undefined;
    },
    // A CreditMemo carries the same header and sales lines as an Invoice; it is left unapplied, credit on the customer's account.
    createAdjustment: async (header, type, lines, key) => {
      const body = toQuickBooksInvoice({ ...header, number: lateDocNumberOf(header.number, header.latePeriod), customerId: header.customerRef }, lines, await itemsFor(lines));
      return documentOf(type === 'credit_note' ? await client.createCreditMemo(body, key) : await client.createInvoice(body, key));
    },
  };
}

/** The connection's QuickBooks invoice mapping in force (version 0: the built-in default). */
export async function quickbooksMappingInForce(db: Kysely<Database>, connectionId: string): Promise<QuickBooksInvoiceMapping> {
  const inForce = await mappingInForce(db, connectionId, 'invoice', mappingObject('quickbooks', 'invoice')!.defaultRules);
  return quickbooksInvoiceMapping(inForce.version, inForce.rules);
}
