import type { MappingRule, RecordSchema } from '../engine/types.ts';

// The HubSpot company as the source of the customer's billing contact and address.
// The address is HubSpot's own company properties; HubSpot has no billing contact on a
// company, so the default reads three custom properties an MSP creates for it (admins map
// their own through the API).

export const HUBSPOT_COMPANY_SOURCE: RecordSchema = {
  name: 'hubspot company',
  fields: {
    id: { type: 'string', description: "HubSpot's company id" },
    'properties.name': { type: 'string' },
    'properties.address': { type: 'string', description: 'Street address' },
    'properties.address2': { type: 'string' },
    'properties.city': { type: 'string' },
    'properties.state': { type: 'string', description: 'State or region' },
    'properties.zip': { type: 'string', description: 'Postal code' },
    'properties.country': { type: 'string' },
    'properties.billing_contact_firstname': { type: 'string', description: 'Custom property (default name)' },
    'properties.billing_contact_lastname': { type: 'string', description: 'Custom property (default name)' },
    'properties.billing_contact_email': { type: 'string', description: 'Custom property (default name)' },
    'properties.*': { type: 'string', description: 'Any other company property, custom ones included, as text' },
  },
};

const copy = (id: string, property: string, target: string): MappingRule => ({ id, source: `properties.${property}`, target: `customer.${target}`, transform: { type: 'copy' } });

export const HUBSPOT_COMPANY_DEFAULT: readonly MappingRule[] = [
  copy('contact-first-name', 'billing_contact_firstname', 'billingContact.firstName'),
  copy('contact-last-name', 'billing_contact_lastname', 'billingContact.lastName'),
  copy('contact-email', 'billing_contact_email', 'billingContact.email'),
  copy('address-line1', 'address', 'billingAddress.line1'),
  copy('address-line2', 'address2', 'billingAddress.line2'),
  copy('address-city', 'city', 'billingAddress.city'),
  copy('address-region', 'state', 'billingAddress.region'),
  copy('address-postal-code', 'zip', 'billingAddress.postalCode'),
  copy('address-country', 'country', 'billingAddress.country'),
];
