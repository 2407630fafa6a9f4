import type { Selectable, Transaction } from 'kysely';
import type { Database } from '../../db/types.ts';
import type { PsaSeatRef } from './psa-seats.ts';

type FindingRow = Selectable<Database['drift_findings']>;

/**
 * How an open PSA seat quantity finding is resolved: the agreement changes only through
 * its seat to-do (the approval queue), never by a direct write, and the hub's seats are
 * Microsoft's, which change only through an order. Returns the finding's new state, or
 * the reason it cannot be resolved that way (the route answers 409 with it).
 */
export async function psaSeatResolution(
  trx: Transaction<Database>,
  finding: FindingRow,
  action: 'push-owner-value' | 'accept-other-value',
  reason: string,
): Promise<{ refused: string } | { note: string }> {
  const psaChanges = action === 'push-owner-value' ? finding.owner !== 'psa' : finding.owner === 'psa';
  if (!psaChanges) {
    const why = action === 'accept-other-value' ? `the PSA does not own ${finding.field} (the ${finding.owner} does)` : `${finding.field} is owned by the PSA`;
    return { refused: `${why}, and the hub's seats are Microsoft's: they change only through a subscription order (POST /v1/subscriptions/{id}/seat-changes), and the next drift run closes this finding` };
  }
  const ref = finding.vendor_ref as unknown as PsaSeatRef;
  const todo = await trx
    .selectFrom('psa_todos')
    .select(['id', 'status'])
    .where('connection_id', '=', finding.connection_id)
    .where('customer_id', '=', finding.customer_id)
    .where('sku', '=', ref.sku)
    .where('status', 'in', ['open', 'approved'])
    .executeTakeFirst();
  if (!todo) return { refused: `no seat to-do is open for ${ref.sku}: run the seat reconciliation (or the drift job) again, then resolve` };
  const next = todo.status === 'open' ? `approve it with POST /v1/psa-todos/${todo.id}/approve` : 'it is approved and its write is queued';
  return { note: `${reason} (the agreement changes through PSA seat to-do ${todo.id}: ${next}; the drift run after the write resolves this finding)` };
}
