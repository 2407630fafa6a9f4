import { sql, type Transaction } from 'kysely';
import type { CrmRecord } from '../../connectors/hubspot/client.ts';
import type { ActorContext } from '../../db/audit.ts';
import { entityLinkedTo, externalIdOf } from '../../db/external-links.ts';
import { PARTNER_CENTER } from '../../db/ingest/customers.ts';
import type { Database } from '../../db/types.ts';
import { createCustomer } from '../../server/routes/customers.ts';
import { QuoteRefused } from './quote-refused.ts';

export const HUBSPOT = 'hubspot';

/**
 * The hub customer a deal's company stands for, through the identity map only: the
 * company's own link (system hubspot), or its Microsoft tenant id (the connection's
 * tenant-id company property) linked from Partner Center. Missing links are added;
 * a new customer is created when neither exists. Never a guess: links that disagree,
 * or an unlinked customer of exactly the company's name, refuse the deal for review.
 */
export async function matchDealCustomer(
  trx: Transaction<Database>,
  company: CrmRecord,
  tenantIdProperty: string,
  currency: string,
  actor: ActorContext,
): Promise<string> {
  await sql`select pg_advisory_xact_lock(hashtext(${`hubspot-company:${company.id}`}))`.execute(trx);
  const tenantId = company.properties[tenantIdProperty]?.trim() || null;
  const name = company.properties.name?.trim() || `HubSpot company ${company.id}`;
  const byCompany = await entityLinkedTo(trx, 'customer', HUBSPOT, company.id);
  const byTenant = tenantId ? await entityLinkedTo(trx, 'customer', PARTNER_CENTER, tenantId) : undefined;
  if (byCompany && byTenant && byCompany !== byTenant) {
    throw new QuoteRefused('ambiguous customer', [
      { reason: `company ${company.id} (${name}) is linked to customer ${byCompany}, but its ${tenantIdProperty} ${tenantId} belongs to customer ${byTenant}` },
    ]);
  }
  const customerId = byCompany ?? byTenant;
  if (customerId) {
    if (!byCompany) await addLink(trx, customerId, HUBSPOT, company.id, name);
    if (tenantId && !byTenant) await addLink(trx, customerId, PARTNER_CENTER, tenantId, name);
    return customerId;
  }
  const namesake = await trx
    .selectFrom('customers')
    .select('id')
    .where(sql<string>`lower(trim(name))`, '=', name.toLowerCase())
    .executeTakeFirst();
  if (namesake) {
    throw new QuoteRefused('ambiguous customer', [
      {
        reason: `customer ${namesake.id} has the name "${name}" but nothing links it to company ${company.id}: link it (external link hubspot ${company.id}) or fill the company's ${tenantIdProperty}`,
      },
    ]);
  }
  const links = [{ system: HUBSPOT, externalId: company.id }, ...(tenantId ? [{ system: PARTNER_CENTER, externalId: tenantId }] : [])];
  const customer = await createCustomer(trx, { name, billingCurrency: currency, externalLinks: links }, actor);
  return customer.id;
}

async function addLink(trx: Transaction<Database>, customerId: string, system: string, externalId: string, name: string): Promise<void> {
  const existing = await externalIdOf(trx, 'customer', customerId, system);
  if (existing !== undefined && existing !== externalId) {
    throw new QuoteRefused('ambiguous customer', [{ reason: `customer ${customerId} is already linked to ${system} ${existing}, not ${externalId} (${name})` }]);
  }
  if (existing === undefined) await trx.insertInto('external_links').values({ entity: 'customer', entity_id: customerId, system, external_id: externalId }).execute();
}
