import { sql } from 'kysely';
import type { Db } from './database.ts';
import { PARTNER_CENTER } from './ingest/customers.ts';

/**
 * The names a client knows its subscriptions by, for the ids invoice lines carry.
 * A licence line's id is a Partner Center subscription: its friendlyName, else its
 * offer name, as the last sync stored them. A usage line's id is an Azure subscription
 * (EntitlementId): the EntitlementDescription Microsoft puts on its usage lines, read
 * from one of the customer's lines (usage_lines_customer_idx, then the first match).
 * Ids without a name are left out: documents then show the id.
 *
 * @example
 *   await subscriptionNames(db, customerId, ['9f1c…', 'a0b2…'])
 *   // { '9f1c…': 'Microsoft 365 Business Premium', 'a0b2…': 'Contoso Production' }
 */
export async function subscriptionNames(db: Db, customerId: string, ids: readonly string[]): Promise<Record<string, string>> {
  const wanted = [...new Set(ids.filter((id) => id !== ''))];
  if (wanted.length === 0) return {};
  const { rows } = await sql<{ id: string; name: string | null }>`
    select w.id, coalesce(
      (select coalesce(nullif(trim(s.friendly_name), ''), nullif(trim(s.offer_name), ''))
         from external_links x join subscriptions s on s.id = x.entity_id
        where x.system = ${PARTNER_CENTER} and x.entity = 'subscription' and x.external_id = w.id and s.customer_id = ${customerId}
        limit 1),
      (select nullif(trim(u.entitlement_description), '')
         from usage_lines u
        where u.customer_id = ${customerId} and u.entitlement_id = w.id and coalesce(trim(u.entitlement_description), '') <> ''
        limit 1)
    ) as name
    from unnest(${wanted}::text[]) as w(id)`.execute(db);
  return Object.fromEntries(rows.flatMap((r) => (r.name ? [[r.id, r.name]] : [])));
}
