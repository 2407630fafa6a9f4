import type { MappingIndex } from './line-accounts.ts';
import type { PostingLine } from './posting-lines.ts';

/**
 * Upfront revenue goes to deferred revenue at invoicing: the invoice lines whose revenue
 * is recognised over time (their schedules say so) post to the ERP's deferred revenue
 * account instead of their revenue account, keeping their tax code and cost centre; the
 * period journals later move it to the revenue account month by month.
 *
 * @example
 *   // an annual seat line, deferred, with 2450 mapped as { kind: 'deferredRevenue', value: '*' }
 *   toDeferredRevenue(lines, new Set([line.id]), index, 'xero') // that line now on account '2450'
 */
export function toDeferredRevenue(lines: readonly PostingLine[], deferredLineIds: ReadonlySet<string>, index: MappingIndex, system: string): PostingLine[] {
  if (!lines.some((l) => deferredLineIds.has(l.lineId))) return [...lines];
  const account = index.get('deferredRevenue', '*')?.account;
  if (!account) {
    throw new Error(`invoice lines recognised over time need a deferred revenue account: PUT /v1/accounting-mappings with { kind: 'deferredRevenue', value: '*', account } for ${system}`);
  }
  return lines.map((l) => (deferredLineIds.has(l.lineId) ? { ...l, account } : l));
}
