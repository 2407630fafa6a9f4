import type { QboEntity } from '../../connectors/quickbooks/client.ts';
import { quickbooksDeclaration } from '../../connectors/quickbooks/declaration.ts';
import { docNumberOf, lateDocNumberOf } from './invoice.ts';

/**
 * The DocNumber of the credit memo that reverses a hub invoice's QuickBooks invoice: "C"
 * and the invoice's own DocNumber, within QuickBooks' 21 characters; the job reads back
 * by it before it creates.
 *
 * @example quickbooksCreditMemoNumber('INV-2026-10-1A2B3C4D-r1') // 'C2026-10-1A2B3C4D-r1'
 */
export function quickbooksCreditMemoNumber(hubInvoiceNumber: string): string {
  const number = `C${docNumberOf(hubInvoiceNumber)}`;
  if (number.length > quickbooksDeclaration.docNumberMaxLength) throw new Error(`credit memo number ${number} does not fit QuickBooks' DocNumber (${quickbooksDeclaration.docNumberMaxLength} characters)`);
  return number;
}

/**
 * The DocNumber of the credit memo that reverses a late-usage document's invoice: its own
 * DocNumber with "C" for the leading "L" (the 21 characters are used up). It cannot meet
 * an invoice's credit memo number, whose fifth character is a dash.
 *
 * @example lateCreditMemoNumberOf('INV-2026-11-1A2B3C4D-r1', '2026-10') // 'C26102611-1A2B3C4D-r1'
 */
export const lateCreditMemoNumberOf = (hubInvoiceNumber: string, latePeriod: string): string => `C${lateDocNumberOf(hubInvoiceNumber, latePeriod).slice(1)}`;

/**
 * A credit memo that reverses `invoice` exactly: its own sales lines as QuickBooks holds
 * them (items, hence income accounts; classes; tax codes) and its department, so the
 * reversal hits what the invoice hit even if the hub's mappings changed since.
 */
export function toQuickBooksCreditMemo(invoice: QboEntity, docNumber: string, date: string): QboEntity {
  const lines = ((invoice.Line as QboEntity[] | undefined) ?? []).filter((l) => l.DetailType === 'SalesItemLineDetail');
  return {
    CustomerRef: { value: (invoice.CustomerRef as { value: string }).value },
    DocNumber: docNumber,
    TxnDate: date,
    CurrencyRef: { value: (invoice.CurrencyRef as { value?: string } | undefined)?.value ?? 'USD' },
    PrivateNote: `Reverses invoice ${String(invoice.DocNumber)}`,
    ...(invoice.DepartmentRef ? { DepartmentRef: { value: (invoice.DepartmentRef as { value: string }).value } } : {}),
    Line: lines.map((l) => {
      const detail = l.SalesItemLineDetail as Record<string, unknown>;
      return {
        DetailType: 'SalesItemLineDetail',
        Amount: l.Amount,
        Description: l.Description,
        SalesItemLineDetail: {
          ItemRef: { value: (detail.ItemRef as { value: string }).value },
          ...(detail.Qty !== undefined ? { Qty: detail.Qty } : {}),
          ...(detail.UnitPrice !== undefined ? { UnitPrice: detail.UnitPrice } : {}),
          ...(detail.ClassRef ? { ClassRef: { value: (detail.ClassRef as { value: string }).value } } : {}),
          ...(detail.TaxCodeRef ? { TaxCodeRef: { value: (detail.TaxCodeRef as { value: string }).value } } : {}),
        },
      };
    }),
  };
}

/**
 * The zero-amount payment that applies `amount` of a credit memo to an invoice: QuickBooks
 * links the two through a Payment whose lines name each (no money changes hands).
 */
export function creditApplication(customerId: string, invoiceId: string, creditMemoId: string, amount: number, date: string): QboEntity {
  return {
    CustomerRef: { value: customerId },
    TotalAmt: 0,
    TxnDate: date,
    Line: [
      { Amount: amount, LinkedTxn: [{ TxnId: invoiceId, TxnType: 'Invoice' }] },
      { Amount: amount, LinkedTxn: [{ TxnId: creditMemoId, TxnType: 'CreditMemo' }] },
    ],
  };
}
