import type { HubContext } from '../../context.ts';
import { minorUnits } from '../../engine/money.ts';
import type { ErpSystem } from '../../mappings/accounting/line-accounts.ts';
import type { ErpPoster } from './poster.ts';

const ERP_NAMES: Record<ErpSystem, string> = { quickbooks: 'QuickBooks', xero: 'Xero', netsuite: 'NetSuite' };

/**
 * Reads a posted document back from the ERP after its webhook said it changed, and
 * records where it stands in the ledger on the hub's posting: paid, partly paid, or
 * voided in the ERP (a posted document voided there also turns the posting 'voided').
 * The webhook only names the document; this read is what the hub believes. A document
 * the hub never posted is ignored. Idempotent: the same read gives the same row.
 */
export async function recordLedgerState(ctx: HubContext, system: ErpSystem, documentId: string, poster: () => Promise<ErpPoster>): Promise<void> {
  const posting = await ctx.db
    .selectFrom('erp_postings as p')
    .innerJoin('invoices as i', 'i.id', 'p.invoice_id')
    .select(['p.id', 'p.status', 'i.currency'])
    .where('p.system', '=', system)
    .where('p.document_id', '=', documentId)
    .executeTakeFirst();
  if (!posting || !['posted', 'credited', 'voided'].includes(posting.status)) return;
  const state = await (await poster()).readInvoiceState(documentId);
  const voidedHere = state.status === 'voided_in_erp' && posting.status === 'posted';
  await ctx.db
    .updateTable('erp_postings')
    .set({
      erp_status: state.status,
      amount_paid: state.amountPaid.toFixed(minorUnits(posting.currency)),
      erp_status_at: new Date(),
      ...(voidedHere ? { status: 'voided', voided_at: new Date(), last_error: `voided in ${ERP_NAMES[system]}` } : {}),
    })
    .where('id', '=', posting.id)
    .execute();
}
