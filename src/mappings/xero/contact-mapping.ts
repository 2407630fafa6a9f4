import type { Address, Contact } from 'xero-node';
import type { MappingRule, RecordSchema } from '../engine/types.ts';
import { xeroEnum } from './enum.ts';

// The hub customer as a Xero contact: what the posting job sends when it creates the
// contact, and what drift detection expects to find on it. The billing address is
// Xero's postal address (POBOX), the one Xero prints on invoices.

const POSTAL = ['AddressLine1', 'AddressLine2', 'City', 'Region', 'PostalCode', 'Country'] as const;

export const XERO_CONTACT_TARGET: RecordSchema = {
  name: 'xero contact',
  fields: {
    'contact.Name': { type: 'string', description: 'Unique per organisation' },
    'contact.ContactNumber': { type: 'string', description: 'The hub reads contacts back by it: keep it the hub customer id' },
    'contact.AccountNumber': { type: 'string' },
    'contact.FirstName': { type: 'string' },
    'contact.LastName': { type: 'string' },
    'contact.EmailAddress': { type: 'string' },
    ...Object.fromEntries(POSTAL.map((f) => [`contact.postalAddress.${f}`, { type: 'string' as const }])),
    'contact.postalAddress.AttentionTo': { type: 'string' },
  },
};

const copy = (id: string, source: string, target: string): MappingRule => ({ id, source: `customer.${source}`, target: `contact.${target}`, transform: { type: 'copy' } });

export const XERO_CONTACT_DEFAULT: readonly MappingRule[] = [
  copy('name', 'name', 'Name'),
  copy('contact-number', 'id', 'ContactNumber'),
  copy('first-name', 'billingContact.firstName', 'FirstName'),
  copy('last-name', 'billingContact.lastName', 'LastName'),
  copy('email', 'billingContact.email', 'EmailAddress'),
  copy('address-line1', 'billingAddress.line1', 'postalAddress.AddressLine1'),
  copy('address-line2', 'billingAddress.line2', 'postalAddress.AddressLine2'),
  copy('city', 'billingAddress.city', 'postalAddress.City'),
  copy('region', 'billingAddress.region', 'postalAddress.Region'),
  copy('postal-code', 'billingAddress.postalCode', 'postalAddress.PostalCode'),
  copy('country', 'billingAddress.country', 'postalAddress.Country'),
];

type Flat = Record<string, string | null>;

const CONTACT_FIELDS = { Name: 'name', ContactNumber: 'contactNumber', AccountNumber: 'accountNumber', FirstName: 'firstName', LastName: 'lastName', EmailAddress: 'emailAddress' } as const;
const ADDRESS_FIELDS = { AddressLine1: 'addressLine1', AddressLine2: 'addressLine2', City: 'city', Region: 'region', PostalCode: 'postalCode', Country: 'country', AttentionTo: 'attentionTo' } as const;

/** The mapped values (target paths without `contact.`) as a xero-node contact; unmapped fields are left out. */
export function toXeroContact(values: Flat): Contact {
  const contact: Record<string, unknown> = {};
  for (const [xero, sdk] of Object.entries(CONTACT_FIELDS)) if (values[xero] != null) contact[sdk] = values[xero];
  const address: Record<string, unknown> = {};
  for (const [xero, sdk] of Object.entries(ADDRESS_FIELDS)) if (values[`postalAddress.${xero}`] != null) address[sdk] = values[`postalAddress.${xero}`];
  if (Object.keys(address).length > 0) contact.addresses = [{ addressType: xeroEnum<typeof Address.AddressTypeEnum>('POBOX'), ...address }];
  return contact as Contact;
}

/** A Xero contact's values under the target paths without `contact.` (empty text as null, as Xero returns unset fields either way). */
export function flatXeroContact(contact: Contact): Flat {
  const flat: Flat = {};
  const source = contact as Record<string, unknown>;
  for (const [xero, sdk] of Object.entries(CONTACT_FIELDS)) flat[xero] = textOrNull(source[sdk]);
  const postal = (contact.addresses ?? []).find((a) => String(a.addressType) === 'POBOX') as Record<string, unknown> | undefined;
  for (const [xero, sdk] of Object.entries(ADDRESS_FIELDS)) flat[`postalAddress.${xero}`] = textOrNull(postal?.[sdk]);
  return flat;
}

const textOrNull = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : null);
