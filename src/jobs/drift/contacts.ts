import { sql } from 'kysely';
import type { HubContext } from '../../context.ts';
import { activeConnections } from '../../db/connection-secrets.ts';
import { mappingInForce } from '../../db/field-mappings.ts';
import type { FieldOwner } from '../../db/field-owners.ts';
import { checkedRules } from '../../mappings/checked.ts';
import { ownedFieldOf } from '../../mappings/customer/billing.ts';
import { applyMapping } from '../../mappings/engine/apply.ts';
import type { JsonRecord, MappingRule } from '../../mappings/engine/types.ts';
import { lineItemPropertiesRead } from '../../mappings/hubspot/line-item-mapping.ts';
import { mappingObject } from '../../mappings/objects.ts';
import { flatXeroContact } from '../../mappings/xero/contact-mapping.ts';
import { xeroClientFor } from '../erp/xero-client-for-connection.ts';
import { hubspotClientFor } from '../hubspot/client-for-connection.ts';
import { closeUncompared, keepFinding, type DriftRunSummary } from './findings.ts';

const COMPANY = mappingObject('hubspot', 'company')!;
const XERO_CONTACT = mappingObject('xero', 'contact')!;
const CONTACT_FIELDS = ['customer.billing_contact', 'customer.billing_address'];

/** Which of a contact finding's systems a write goes to, and what it needs to write there. */
export interface ContactRef {
  object: 'contacts';
  kind: 'billing-contact';
  xeroConnectionId: string;
  contactId: string;
  hubspotConnectionId: string;
  companyId: string;
  /** The Xero field, e.g. EmailAddress or postalAddress.City. */
  xeroField: string;
  /** The company property behind it when both mappings copy it unchanged; null when a write to the CRM cannot be derived. */
  crmProperty: string | null;
  crmValue: string;
  xeroValue: string;
}

/** The canonical paths a rule reads: its source and any path named inside its transform. */
function pathsRead(rule: MappingRule): string[] {
  return [...JSON.stringify(rule).matchAll(/customer\.[A-Za-z.]+/g)].map((m) => m[0]).filter((p) => p !== rule.target);
}

/** The company property a canonical path is a plain copy of, if it is one. */
function copiedProperty(rules: readonly MappingRule[], canonical: string): string | null {
  const rule = rules.find((r) => r.target === canonical);
  return rule?.transform.type === 'copy' && rule.source?.startsWith('properties.') ? rule.source.slice('properties.'.length) : null;
}

const asDate = (v: unknown): Date | null => {
  if (v instanceof Date) return v;
  if (typeof v === 'string' && v) return new Date(v);
  return null;
};

/**
 * Compares the billing contact and address the CRM owns (by default; the owner table
 * decides) with the copy on the customer's Xero contact: the HubSpot company is read
 * through the connection's company mapping, turned into the Xero contact the contact
 * mapping would send, and each mapped billing field that differs is one finding. A field
 * empty on either side is not compared: there is no copy to disagree with (a contact the
 * posting job creates carries only name and number until someone fills it in). Customers
 * need a link to a HubSpot company (with a deal on a HubSpot connection) and to a Xero contact.
 */
export async function compareBillingContacts(ctx: HubContext, owners: ReadonlyMap<string, FieldOwner>, summary: DriftRunSummary): Promise<void> {
  const comparedOwners = CONTACT_FIELDS.filter((f) => ['crm', 'erp'].includes(owners.get(f)?.owner ?? 'crm'));
  for (const xero of await activeConnections(ctx, 'xero')) {
    const seen = new Set<string>();
    const linked = await sql<{ customer_id: string; name: string; contact_id: string; company_id: string; hubspot_connection_id: string }>`
      select c.id as customer_id, c.name, x.external_id as contact_id, h.external_id as company_id,
             (select d.connection_id from deals d join connections n on n.id = d.connection_id and n.provider = 'hubspot' and n.status = 'active'
               where d.customer_id = c.id order by d.updated_at desc limit 1) as hubspot_connection_id
      from customers c
      join external_links x on x.entity = 'customer' and x.entity_id = c.id and x.system = 'xero'
      join external_links h on h.entity = 'customer' and h.entity_id = c.id and h.system = 'hubspot'
      order by c.id`.execute(ctx.db);
    try {
      const client = await xeroClientFor(ctx, xero.id);
      const contactMapping = await mappingInForce(ctx.db, xero.id, XERO_CONTACT.object, XERO_CONTACT.defaultRules);
      const contactChecked = checkedRules(XERO_CONTACT, contactMapping.rules);
      for (const row of linked.rows.filter((r) => r.hubspot_connection_id !== null)) {
        const companyMapping = await mappingInForce(ctx.db, row.hubspot_connection_id, COMPANY.object, COMPANY.defaultRules);
        const companyChecked = checkedRules(COMPANY, companyMapping.rules);
        const { client: crm } = await hubspotClientFor(ctx, row.hubspot_connection_id);
        const company = await crm.readCompany(row.company_id, lineItemPropertiesRead(companyChecked.specs.keys()));
        const contact = await client.findContactById(row.contact_id);
        if (!company || !contact) continue;
        const canonical = applyMapping(companyChecked, COMPANY.source, COMPANY.target, company).output;
        const customer = { ...((canonical.customer as JsonRecord | undefined) ?? {}), id: row.customer_id, name: row.name };
        const expected = applyMapping(contactChecked, XERO_CONTACT.source, XERO_CONTACT.target, { customer });
        const actual = flatXeroContact(contact);
        for (const rule of contactMapping.rules) {
          const reads = pathsRead(rule);
          const field = reads.map(ownedFieldOf).find((f) => f !== undefined);
          if (!field || !comparedOwners.includes(field)) continue;
          const crmValue = expected.fields.find((f) => f.target === rule.target)?.value;
          if (typeof crmValue !== 'string' || crmValue.trim() === '') continue;
          const xeroField = rule.target.slice('contact.'.length);
          const xeroValue = actual[xeroField] ?? null;
          if (xeroValue === null) continue;
          const key = `${xero.id}:${row.customer_id}:${field}:xero:${xeroField}`;
          seen.add(key);
          const owner = owners.get(field)?.owner ?? 'crm';
          const crmSide = { value: crmValue, seenAt: asDate(company.properties.hs_lastmodifieddate) };
          const xeroSide = { value: xeroValue, seenAt: asDate(contact.updatedDateUTC) };
          const [ownerSide, otherSide] = owner === 'erp' ? [xeroSide, crmSide] : [crmSide, xeroSide];
          const canonicalPath = reads.find((p) => ownedFieldOf(p) === field)!;
          const ref: ContactRef = {
            object: 'contacts',
            kind: 'billing-contact',
            xeroConnectionId: xero.id,
            contactId: row.contact_id,
            hubspotConnectionId: row.hubspot_connection_id,
            companyId: row.company_id,
            xeroField,
            crmProperty: rule.transform.type === 'copy' ? copiedProperty(companyMapping.rules, canonicalPath) : null,
            crmValue,
            xeroValue,
          };
          const differs = crmValue.trim() !== xeroValue.trim();
          await keepFinding(
            ctx,
            key,
            differs
              ? {
                  connectionId: xero.id,
                  customerId: row.customer_id,
                  system: 'xero',
                  field,
                  subject: `contact:${xeroField}`,
                  owner,
                  ownerValue: ownerSide.value,
                  ownerSeenAt: ownerSide.seenAt,
                  otherValue: otherSide.value,
                  otherSeenAt: otherSide.seenAt,
                  moneyAtStake: null,
                  currency: null,
                  vendorRef: { ...ref },
                }
              : null,
            summary,
          );
        }
      }
    } catch (err) {
      // One unreachable system must not hide the drift of the others; the next run tries again.
      ctx.logger.warn({ err, connectionId: xero.id }, 'drift: billing contacts skipped');
      continue;
    }
    await closeUncompared(ctx, xero.id, CONTACT_FIELDS, seen, 'the field is no longer compared (mapping, owner or link changed)', summary);
  }
}
