import { sql, type Transaction } from 'kysely';
import type { ActorContext } from '../../db/audit.ts';
import { createCustomer } from '../../db/customers.ts';
import { entityLinkedTo, externalIdOf } from '../../db/external-links.ts';
import { PARTNER_CENTER } from '../../db/ingest/customers.ts';
import type { Database } from '../../db/types.ts';
import { QuoteRefused } from './quote-refused.ts';

/** The CRM's company (HubSpot) or Account (Salesforce) a won deal belongs to. */
export interface CrmAccount {
  /** The CRM's system name in the identity map: hubspot, salesforce. */
  system: string;
  id: string;
  name: string | null;
  /** The customer's Microsoft tenant id, from the CRM field the connection names. */
  tenantId: string | null;
  /** That field's name, for the reasons a person reads. */
  tenantIdField: string;
  /** What the CRM calls it: company, Account. */
  noun: string;
}

/**
 * The hub customer a deal's company or Account stands for, through the identity map
 * only: the record's own link (system hubspot or salesforce), or its Microsoft tenant id
 * linked from Partner Center. Missing links are added; a new customer is created when
 * neither exists. Never a guess: links that disagree, or an unlinked customer of exactly
 * the record's name, refuse the deal for review.
 */
export async function matchAccountCustomer(trx: Transaction<Database>, account: CrmAccount, currency: string, actor: ActorContext): Promise<string> {
  const { system, id, tenantIdField, noun } = account;
  await sql`select pg_advisory_xact_lock(hashtext(${`${system}-account:${id}`}))`.execute(trx);
  const tenantId = account.tenantId?.trim() || null;
  const name = account.name?.trim() || `${system} ${noun} ${id}`;
  const byAccount = await entityLinkedTo(trx, 'customer', system, id);
  const byTenant = tenantId ? await entityLinkedTo(trx, 'customer', PARTNER_CENTER, tenantId) : undefined;
  if (byAccount && byTenant && byAccount !== byTenant) {
    throw new QuoteRefused('ambiguous customer', [
      { reason: `${noun} ${id} (${name}) is linked to customer ${byAccount}, but its ${tenantIdField} ${tenantId} belongs to customer ${byTenant}` },
    ]);
  }
  const customerId = byAccount ?? byTenant;
  if (customerId) {
    if (!byAccount) await addLink(trx, customerId, system, id, name);
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
        reason: `customer ${namesake.id} has the name "${name}" but nothing links it to ${noun} ${id}: link it (external link ${system} ${id}) or fill the ${noun}'s ${tenantIdField}`,
      },
    ]);
  }
  const links = [{ system, externalId: id }, ...(tenantId ? [{ system: PARTNER_CENTER, externalId: tenantId }] : [])];
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
