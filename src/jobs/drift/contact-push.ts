import type { Selectable } from 'kysely';
import type { HubContext } from '../../context.ts';
import type { Database } from '../../db/types.ts';
import { flatXeroContact, toXeroContact } from '../../mappings/xero/contact-mapping.ts';
import { xeroClientFor } from '../erp/xero-client-for-connection.ts';
import { hubspotClientFor } from '../hubspot/client-for-connection.ts';
import type { ContactRef } from './contacts.ts';

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
export function contactWriteSystem(owner: string, action: 'push-owner-value' | 'accept-other-value'): 'xero' | 'hubspot' {
  const ownerSystem = owner === 'erp' ? 'xero' : 'hubspot';
  if (action === 'accept-other-value') return ownerSystem;
  return ownerSystem === 'xero' ? 'hubspot' : 'xero';
}

/**
 * Writes the resolved value of one billing field: the CRM's value onto the Xero contact,
 * or Xero's onto the HubSpot company property. An address goes to Xero whole (Xero
 * replaces an address of a type as a whole), with only the finding's field changed.
 * Undefined when the target already holds the value (nothing to write).
 */
export async function pushContactFinding(ctx: HubContext, finding: FindingRow): Promise<VendorWrite | undefined> {
  const ref = finding.vendor_ref as unknown as ContactRef;
  const action = finding.resolution === 'accept-other-value' ? 'accept-other-value' : 'push-owner-value';
  const target = contactWriteSystem(finding.owner, action);
  const value = target === 'xero' ? ref.crmValue : ref.xeroValue;
  if (target === 'hubspot') {
    if (!ref.crmProperty) throw new Error(`finding ${finding.id}: no company property copies ${ref.xeroField}, so the CRM cannot take Xero's value`);
    const { client } = await hubspotClientFor(ctx, ref.hubspotConnectionId);
    const company = await client.readCompany(ref.companyId, [ref.crmProperty]);
    const before = company?.properties[ref.crmProperty] ?? null;
    if (before === value) return undefined;
    await client.updateCompany(ref.companyId, { [ref.crmProperty]: value });
    return { object: 'companies', externalId: ref.companyId, before: { [ref.crmProperty]: before }, after: { [ref.crmProperty]: value } };
  }
  const client = await xeroClientFor(ctx, ref.xeroConnectionId);
  const contact = await client.findContactById(ref.contactId);
  if (!contact) throw new Error(`finding ${finding.id}: Xero has no contact ${ref.contactId}`);
  const current = flatXeroContact(contact);
  if (current[ref.xeroField] === value) return undefined;
  const changed = ref.xeroField.startsWith('postalAddress.')
    ? Object.fromEntries(Object.entries({ ...current, [ref.xeroField]: value }).filter(([k]) => k.startsWith('postalAddress.')))
    : { [ref.xeroField]: value };
  await client.updateContact(ref.contactId, toXeroContact(changed), `drift:${finding.id}`);
  return { object: 'contacts', externalId: ref.contactId, before: { [ref.xeroField]: current[ref.xeroField] ?? null }, after: { [ref.xeroField]: value } };
}
