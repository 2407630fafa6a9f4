import type { RecordSchema } from '../engine/types.ts';

// The customer as the hub hands it to an ERP, and as a CRM fills its billing part: who
// receives the invoices and where they go. The CRM owns the billing contact and address
// by default (field_owners); the ERP keeps a copy on its contact or customer record.

export const CUSTOMER_BILLING: RecordSchema = {
  name: 'customer billing',
  fields: {
    'customer.id': { type: 'string', description: "The hub's customer id" },
    'customer.name': { type: 'string' },
    'customer.billingContact.firstName': { type: 'string' },
    'customer.billingContact.lastName': { type: 'string' },
    'customer.billingContact.email': { type: 'string' },
    'customer.billingAddress.line1': { type: 'string' },
    'customer.billingAddress.line2': { type: 'string' },
    'customer.billingAddress.city': { type: 'string' },
    'customer.billingAddress.region': { type: 'string', description: 'State, county or province' },
    'customer.billingAddress.postalCode': { type: 'string' },
    'customer.billingAddress.country': { type: 'string' },
  },
};

/** The owned field (field_owners) a canonical billing path belongs to, if any. */
export function ownedFieldOf(path: string): 'customer.billing_contact' | 'customer.billing_address' | undefined {
  if (path.startsWith('customer.billingContact.')) return 'customer.billing_contact';
  if (path.startsWith('customer.billingAddress.')) return 'customer.billing_address';
  return undefined;
}
