import type { QboEntity } from '../../connectors/quickbooks/client.ts';
import { quickbooksDeclaration } from '../../connectors/quickbooks/declaration.ts';
import type { PostingLine } from '../accounting/posting-lines.ts';

export interface QuickBooksInvoiceHeader {
  customerId: string;
  /** The hub invoice number; it becomes the DocNumber (see docNumberOf). */
  number: string;
  date: string;
  dueDate: string | null;
  currency: string;
  reference: string;
}

/**
 * The DocNumber of a hub invoice. QuickBooks allows 21 characters and the hub's numbers
 * (INV-2026-10-1A2B3C4D-r1) have 23, so the constant "INV-" prefix is left off; the
 * rest is still unique per customer, period and revision, and the job reads back by it.
 *
 * @example docNumberOf('INV-2026-10-1A2B3C4D-r1') // '2026-10-1A2B3C4D-r1'
 */
export function docNumberOf(number: string): string {
  const max = quickbooksDeclaration.docNumberMaxLength;
  const doc = number.length <= max ? number : number.replace(/^INV-/, '');
  if (doc.length > max) throw new Error(`invoice number ${number} does not fit QuickBooks' DocNumber (${max} characters)`);
  return doc;
}

/**
 * The DocNumber of a late-usage adjustment's own document: "L", the late period and the
 * invoice's period as YYMM, then the rest of the hub number, within the 21 characters.
 * Credit memos number apart from invoices, so a negative adjustment uses the same form.
 *
 * @example lateDocNumberOf('INV-2026-11-1A2B3C4D-r1', '2026-10') // 'L26102611-1A2B3C4D-r1'
 */
export function lateDocNumberOf(number: string, latePeriod: string): string {
  const max = quickbooksDeclaration.docNumberMaxLength;
  const parts = /^(?:INV-)?\d{2}(\d{2})-(\d{2})-(.+)$/.exec(number);
  const late = /^\d{2}(\d{2})-(\d{2})$/.exec(latePeriod);
  if (!parts || !late) throw new Error(`invoice number ${number} or late period ${latePeriod} is not in the hub's form`);
  const doc = `L${late[1]}${late[2]}${parts[1]}${parts[2]}-${parts[3]}`;
  if (doc.length > max) throw new Error(`late document number ${doc} does not fit QuickBooks' DocNumber (${max} characters)`);
  return doc;
}

/**
 * A hub invoice as a QuickBooks invoice. QuickBooks puts sales lines on Items, not on
 * accounts, so each line names the Item that books to its revenue account
 * (`itemOfAccount`); its Class goes on the line, its Department on the header, as
 * QuickBooks has one Department per transaction: lines that map to different
 * departments are refused here rather than silently booked to one. Each line goes as
 * quantity 1 at its amount (Amount must equal Qty × UnitPrice), crossing to the SDK as a
 * number here only: a decimal string with 2 places converts exactly.
 */
export function toQuickBooksInvoice(header: QuickBooksInvoiceHeader, lines: readonly PostingLine[], itemOfAccount: ReadonlyMap<string, string>): QboEntity {
  const departments = new Set(lines.map((l) => l.dimensions?.department).filter((d): d is string => Boolean(d)));
  if (departments.size > 1) {
    throw new Error(`QuickBooks carries one Department per invoice, but the lines of ${header.number} map to departments ${[...departments].join(', ')}: map their cost nodes to one department (classes may differ per line)`);
  }
  const [department] = departments;
  return {
    CustomerRef: { value: header.customerId },
    DocNumber: docNumberOf(header.number),
    TxnDate: header.date,
    ...(header.dueDate ? { DueDate: header.dueDate } : {}),
    CurrencyRef: { value: header.currency },
    PrivateNote: `${header.number} (${header.reference})`,
    ...(department ? { DepartmentRef: { value: department } } : {}),
    Line: lines.map((l) => {
      const item = itemOfAccount.get(l.account);
      if (!item) throw new Error(`no QuickBooks item books to account ${l.account}`);
      const amount = Number(l.amount.toFixed());
      return {
        DetailType: 'SalesItemLineDetail',
        Amount: amount,
        Description: l.description,
        SalesItemLineDetail: {
          ItemRef: { value: item },
          Qty: 1,
          UnitPrice: amount,
          ...(l.dimensions?.class ? { ClassRef: { value: l.dimensions.class } } : {}),
          ...(l.taxCode ? { TaxCodeRef: { value: l.taxCode } } : {}),
        },
      };
    }),
  };
}
