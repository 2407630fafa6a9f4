import type { Selectable } from 'kysely';
import type { HubContext } from '../../context.ts';
import type { Database } from '../../db/types.ts';
import { hubspotClientFor } from '../hubspot/client-for-connection.ts';
import type { ContactRef } from './contacts.ts';
import { erpBillingCopy } from './erp-billing-copies.ts';

type FindingRow = Selectable<Database['drift_findings']>;

/** One write the hub made to a vendor record: the origin marker stored in sync_writes. */
export interface VendorWrite {
  object: string;
  externalId: string;
  before: Record<string, string | null>;
  after: Record<string, string>;
}

/**
 * Which system a contact finding's resolution writes: push-owner-value writes the copy
 * that is not the owner's, accept-other-value the owner's.
 */
export function contactWriteSystem(owner: string, action: 'push-owner-value' | 'accept-other-value'): 'erp' | 'hubspot' {
  const ownerSystem = owner === 'erp' ? 'erp' : 'hubspot';
  if (action === 'accept-other-value') return ownerSystem;
  return ownerSystem === 'erp' ? 'hubspot' : 'erp';
}

/**
 * Writes the resolved value of one billing field: the CRM's value onto the ERP's record
 * (Xero contact, QuickBooks customer), or the ERP's onto the HubSpot company property.
 * Undefined when the target already holds the value (nothing to write).
 */
export async function pushContactFinding(ctx: HubContext, finding: FindingRow): Promise<VendorWrite | undefined> {
  const ref = finding.vendor_ref as unknown as ContactRef;
  const action = finding.resolution === 'accept-other-value' ? 'accept-other-value' : 'push-owner-value';
  const target = contactWriteSystem(finding.owner, action);
  if (target === 'hubspot') {
    const value = ref.erpValue;
    if (!ref.crmProperty) throw new Error(`finding ${finding.id}: no company property copies ${ref.erpField}, so the CRM cannot take the ERP's value`);
    const { client } = await hubspotClientFor(ctx, ref.hubspotConnectionId);
    const company = await client.readCompany(ref.companyId, [ref.crmProperty]);
    const before = company?.properties[ref.crmProperty] ?? null;
    if (before === value) return undefined;
    await client.updateCompany(ref.companyId, { [ref.crmProperty]: value });
    return { object: 'companies', externalId: ref.companyId, before: { [ref.crmProperty]: before }, after: { [ref.crmProperty]: value } };
  }
  const copy = erpBillingCopy(ref.erp);
  const records = await copy.open(ctx, ref.erpConnectionId);
  const written = await records.write(ref.recordId, ref.erpField, ref.crmValue, `drift:${finding.id}`);
  if (!written) return undefined;
  return { object: `${copy.record}s`, externalId: ref.recordId, before: { [ref.erpField]: written.before }, after: { [ref.erpField]: ref.crmValue } };
}
