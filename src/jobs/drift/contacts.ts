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
import { hubspotClientFor } from '../hubspot/client-for-connection.ts';
import { asDate, ERP_BILLING_COPIES, type ErpBillingCopy } from './erp-billing-copies.ts';
import { closeUncompared, keepFinding, type DriftRunSummary } from './findings.ts';

const COMPANY = mappingObject('hubspot', 'company')!;
const CONTACT_FIELDS = ['customer.billing_contact', 'customer.billing_address'];

/** Which of a contact finding's systems a write goes to, and what it needs to write there. */
export interface ContactRef {
  object: 'contacts';
  kind: 'billing-contact';
  /** The ERP holding the copy. */
  erp: 'xero' | 'quickbooks';
  erpConnectionId: string;
  /** The Xero ContactID or the QuickBooks Customer Id. */
  recordId: string;
  hubspotConnectionId: string;
  companyId: string;
  /** The ERP field (its mapping's target path without the prefix), e.g. EmailAddress, postalAddress.City or BillAddr.City. */
  erpField: string;
  /** The company property behind it when both mappings copy it unchanged; null when a write to the CRM cannot be derived. */
  crmProperty: string | null;
  crmValue: string;
  erpValue: string;
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

/**
 * Compares the billing contact and address the CRM owns (by default; the owner table
 * decides) with each ERP's copy: the Xero contact and the QuickBooks customer. The HubSpot
 * company is read through the connection's company mapping, turned into the record the
 * ERP's mapping (xero contact, quickbooks customer) describes, and each mapped billing
 * field that differs is one finding. A field empty on either side is not compared: there
 * is no copy to disagree with (a record the posting job creates carries only name and
 * number until someone fills it in). Customers need a link to a HubSpot company (with a
 * deal on a HubSpot connection) and to the ERP record.
 */
export async function compareBillingContacts(ctx: HubContext, owners: ReadonlyMap<string, FieldOwner>, summary: DriftRunSummary): Promise<void> {
  for (const copy of ERP_BILLING_COPIES) {
    for (const connection of await activeConnections(ctx, copy.system)) await compareWithErp(ctx, owners, summary, copy, connection.id);
  }
}

async function compareWithErp(ctx: HubContext, owners: ReadonlyMap<string, FieldOwner>, summary: DriftRunSummary, copy: ErpBillingCopy, connectionId: string): Promise<void> {
  const comparedOwners = CONTACT_FIELDS.filter((f) => ['crm', 'erp'].includes(owners.get(f)?.owner ?? 'crm'));
  const seen = new Set<string>();
  const linked = await sql<{ customer_id: string; name: string; record_id: string; company_id: string; hubspot_connection_id: string }>`
    select c.id as customer_id, c.name, x.external_id as record_id, h.external_id as company_id,
           (select d.connection_id from deals d join connections n on n.id = d.connection_id and n.provider = 'hubspot' and n.status = 'active'
             where d.customer_id = c.id order by d.updated_at desc limit 1) as hubspot_connection_id
    from customers c
    join external_links x on x.entity = 'customer' and x.entity_id = c.id and x.system = ${copy.system}
    join external_links h on h.entity = 'customer' and h.entity_id = c.id and h.system = 'hubspot'
    order by c.id`.execute(ctx.db);
  try {
    const records = await copy.open(ctx, connectionId);
    const recordMapping = await mappingInForce(ctx.db, connectionId, copy.object.object, copy.object.defaultRules);
    const recordChecked = checkedRules(copy.object, recordMapping.rules);
    for (const row of linked.rows.filter((r) => r.hubspot_connection_id !== null)) {
      const companyMapping = await mappingInForce(ctx.db, row.hubspot_connection_id, COMPANY.object, COMPANY.defaultRules);
      const companyChecked = checkedRules(COMPANY, companyMapping.rules);
      const { client: crm } = await hubspotClientFor(ctx, row.hubspot_connection_id);
      const company = await crm.readCompany(row.company_id, lineItemPropertiesRead(companyChecked.specs.keys()));
      const record = await records.read(row.record_id);
      if (!company || !record) continue;
      const canonical = applyMapping(companyChecked, COMPANY.source, COMPANY.target, company).output;
      const customer = { ...((canonical.customer as JsonRecord | undefined) ?? {}), id: row.customer_id, name: row.name };
      const expected = applyMapping(recordChecked, copy.object.source, copy.object.target, { customer });
      for (const rule of recordMapping.rules) {
        const reads = pathsRead(rule);
        const field = reads.map(ownedFieldOf).find((f) => f !== undefined);
        if (!field || !comparedOwners.includes(field)) continue;
        const crmValue = expected.fields.find((f) => f.target === rule.target)?.value;
        if (typeof crmValue !== 'string' || crmValue.trim() === '') continue;
        const erpField = rule.target.slice(copy.prefix.length);
        const erpValue = record.values[erpField] ?? null;
        if (erpValue === null) continue;
        const key = `${connectionId}:${row.customer_id}:${field}:${copy.system}:${erpField}`;
        seen.add(key);
        const owner = owners.get(field)?.owner ?? 'crm';
        const crmSide = { value: crmValue, seenAt: asDate(company.properties.hs_lastmodifieddate) };
        const erpSide = { value: erpValue, seenAt: record.updatedAt };
        const [ownerSide, otherSide] = owner === 'erp' ? [erpSide, crmSide] : [crmSide, erpSide];
        const canonicalPath = reads.find((p) => ownedFieldOf(p) === field)!;
        const ref: ContactRef = {
          object: 'contacts',
          kind: 'billing-contact',
          erp: copy.system,
          erpConnectionId: connectionId,
          recordId: row.record_id,
          hubspotConnectionId: row.hubspot_connection_id,
          companyId: row.company_id,
          erpField,
          crmProperty: rule.transform.type === 'copy' ? copiedProperty(companyMapping.rules, canonicalPath) : null,
          crmValue,
          erpValue,
        };
        const differs = crmValue.trim() !== erpValue.trim();
        await keepFinding(
          ctx,
          key,
          differs
            ? {
                connectionId,
                customerId: row.customer_id,
                system: copy.system,
                field,
                subject: `${copy.record}:${erpField}`,
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
    ctx.logger.warn({ err, connectionId }, 'drift: billing contacts skipped');
    return;
  }
  await closeUncompared(ctx, connectionId, CONTACT_FIELDS, seen, 'the field is no longer compared (mapping, owner or link changed)', summary);
}
