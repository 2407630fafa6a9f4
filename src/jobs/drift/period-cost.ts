import type { HubContext } from '../../context.ts';
import { Decimal } from '../../engine/decimal.ts';

/**
 * What a category actually cost the customer in its last invoiced period (the newest
 * current invoice): the sum of its invoice lines' cost. Undefined before the first
 * invoice, or when that invoice has no line of the category.
 */
export async function lastPeriodCost(ctx: HubContext, customerId: string, category: string): Promise<{ period: string; cost: Decimal; currency: string } | undefined> {
  const invoice = await ctx.db
    .selectFrom('invoices')
    .select(['id', 'period', 'currency'])
    .where('customer_id', '=', customerId)
    .where('superseded_by', 'is', null)
    .orderBy('period', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!invoice) return undefined;
  const lines = await ctx.db.selectFrom('invoice_lines').select('cost').where('invoice_id', '=', invoice.id).where('category', '=', category).execute();
  if (lines.length === 0) return undefined;
  return { period: invoice.period, cost: lines.reduce((sum, l) => sum.plus(l.cost), new Decimal(0)), currency: invoice.currency };
}
