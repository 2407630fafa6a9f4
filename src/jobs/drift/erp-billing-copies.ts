import { QuickBooksCallError } from '../../connectors/quickbooks/client.ts';
import type { HubContext } from '../../context.ts';
import { mappingObject, type MappingObject } from '../../mappings/objects.ts';
import { flatQuickBooksCustomer, quickBooksCustomerChange } from '../../mappings/quickbooks/customer-mapping.ts';
import { flatXeroContact, toXeroContact } from '../../mappings/xero/contact-mapping.ts';
import { quickbooksClientFor } from '../erp/quickbooks-client-for-connection.ts';
import { xeroClientFor } from '../erp/xero-client-for-connection.ts';

// The ERP records that hold a copy of the customer's billing contact and address: the
// Xero contact and the QuickBooks customer. Each says how its mapping names the fields,
// how to read the record as flat values, and how to write one field back, so drift
// detection and its push job treat both alike.

type Flat = Record<string, string | null>;

export interface ErpRecord {
  values: Flat;
  updatedAt: Date | null;
}

export interface ErpBillingCopy {
  system: 'xero' | 'quickbooks';
  /** The mapping from the hub customer to the record. */
  object: MappingObject;
  /** The mapping's target prefix, e.g. `contact.`; a finding's subject is `<record>:<field>`. */
  prefix: string;
  record: string;
  /** Read-write access to one connection's records. */
  open(ctx: HubContext, connectionId: string): Promise<ErpRecords>;
}

export interface ErpRecords {
  read(recordId: string): Promise<ErpRecord | undefined>;
  /** Sets one field (a path without the prefix) to `value`; answers the value it had, or undefined when it already holds it. */
  write(recordId: string, field: string, value: string, idempotencyKey: string): Promise<{ before: string | null } | undefined>;
}

export const asDate = (v: unknown): Date | null => (v instanceof Date ? v : typeof v === 'string' && v ? new Date(v) : null);

const xero: ErpBillingCopy = {
  system: 'xero',
  object: mappingObject('xero', 'contact')!,
  prefix: 'contact.',
  record: 'contact',
  async open(ctx, connectionId) {
    const client = await xeroClientFor(ctx, connectionId);
    return {
      async read(id) {
        const contact = await client.findContactById(id);
        return contact ? { values: flatXeroContact(contact), updatedAt: asDate(contact.updatedDateUTC) } : undefined;
      },
      async write(id, field, value, key) {
        const contact = await client.findContactById(id);
        if (!contact) throw new Error(`Xero has no contact ${id}`);
        const current = flatXeroContact(contact);
        if (current[field] === value) return undefined;
        // Xero replaces an address of a type as a whole: send the postal address with only this field changed.
        const changed = field.startsWith('postalAddress.') ? Object.fromEntries(Object.entries({ ...current, [field]: value }).filter(([k]) => k.startsWith('postalAddress.'))) : { [field]: value };
        await client.updateContact(id, toXeroContact(changed), key);
        return { before: current[field] ?? null };
      },
    };
  },
};

const quickbooks: ErpBillingCopy = {
  system: 'quickbooks',
  object: mappingObject('quickbooks', 'customer')!,
  prefix: 'Customer.',
  record: 'customer',
  async open(ctx, connectionId) {
    const client = await quickbooksClientFor(ctx, connectionId);
    return {
      async read(id) {
        const customer = await client.getCustomer(id).catch((err: unknown) => {
          // 610 Object Not Found: the customer was deleted or made inactive, so there is no copy to compare.
          if (err instanceof QuickBooksCallError && err.codes.includes('610')) return undefined;
          throw err;
        });
        if (!customer) return undefined;
        return { values: flatQuickBooksCustomer(customer), updatedAt: asDate((customer.MetaData as { LastUpdatedTime?: string } | undefined)?.LastUpdatedTime) };
      },
      async write(id, field, value, key) {
        const customer = await client.getCustomer(id);
        const before = flatQuickBooksCustomer(customer)[field] ?? null;
        if (before === value) return undefined;
        await client.updateCustomer(id, String(customer.SyncToken), quickBooksCustomerChange(customer, field, value), key);
        return { before };
      },
    };
  },
};

export const ERP_BILLING_COPIES: readonly ErpBillingCopy[] = [xero, quickbooks];

export function erpBillingCopy(system: string): ErpBillingCopy {
  const copy = ERP_BILLING_COPIES.find((c) => c.system === system);
  if (!copy) throw new Error(`no ERP billing copy for ${system}`);
  return copy;
}
