import type { MappingRule, RecordSchema } from '../engine/types.ts';

// The hub customer as a QuickBooks Online Customer: what drift detection expects to find
// on the customer the posting job links. The billing address is the Customer's BillAddr
// (a US state goes in CountrySubDivisionCode); the e-mail is PrimaryEmailAddr.Address.

const BILL_ADDR = ['Line1', 'Line2', 'City', 'CountrySubDivisionCode', 'PostalCode', 'Country'] as const;

export const QUICKBOOKS_CUSTOMER_TARGET: RecordSchema = {
  name: 'quickbooks customer',
  fields: {
    'Customer.DisplayName': { type: 'string', description: 'Unique across customers, vendors and employees' },
    'Customer.GivenName': { type: 'string' },
    'Customer.FamilyName': { type: 'string' },
    'Customer.PrimaryEmailAddr.Address': { type: 'string' },
    ...Object.fromEntries(BILL_ADDR.map((f) => [`Customer.BillAddr.${f}`, { type: 'string' as const }])),
  },
};

const copy = (id: string, source: string, target: string): MappingRule => ({ id, source: `customer.${source}`, target: `Customer.${target}`, transform: { type: 'copy' } });

export const QUICKBOOKS_CUSTOMER_DEFAULT: readonly MappingRule[] = [
  copy('display-name', 'name', 'DisplayName'),
  copy('given-name', 'billingContact.firstName', 'GivenName'),
  copy('family-name', 'billingContact.lastName', 'FamilyName'),
  copy('email', 'billingContact.email', 'PrimaryEmailAddr.Address'),
  copy('address-line1', 'billingAddress.line1', 'BillAddr.Line1'),
  copy('address-line2', 'billingAddress.line2', 'BillAddr.Line2'),
  copy('city', 'billingAddress.city', 'BillAddr.City'),
  copy('region', 'billingAddress.region', 'BillAddr.CountrySubDivisionCode'),
  copy('postal-code', 'billingAddress.postalCode', 'BillAddr.PostalCode'),
  copy('country', 'billingAddress.country', 'BillAddr.Country'),
];

type Flat = Record<string, string | null>;
const TOP = ['DisplayName', 'GivenName', 'FamilyName'] as const;

const textOrNull = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : null);
const objectOf = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/** A QuickBooks customer's values under the target paths without `Customer.` (unset or empty text as null). */
export function flatQuickBooksCustomer(customer: Record<string, unknown>): Flat {
  const flat: Flat = {};
  for (const field of TOP) flat[field] = textOrNull(customer[field]);
  flat['PrimaryEmailAddr.Address'] = textOrNull(objectOf(customer.PrimaryEmailAddr).Address);
  const address = objectOf(customer.BillAddr);
  for (const field of BILL_ADDR) flat[`BillAddr.${field}`] = textOrNull(address[field]);
  return flat;
}

/**
 * The sparse-update body that sets one field (a path without `Customer.`) on a customer:
 * BillAddr goes whole with the one line changed, since QuickBooks takes a sent aggregate
 * as the new one (its Id kept, so the address is updated rather than replaced).
 */
export function quickBooksCustomerChange(customer: Record<string, unknown>, field: string, value: string): Record<string, unknown> {
  if (field.startsWith('BillAddr.')) return { BillAddr: { ...objectOf(customer.BillAddr), [field.slice('BillAddr.'.length)]: value } };
  if (field === 'PrimaryEmailAddr.Address') return { PrimaryEmailAddr: { Address: value } };
  return { [field]: value };
}
