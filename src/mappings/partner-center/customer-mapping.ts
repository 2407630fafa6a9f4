import type { MappingRule, RecordSchema } from '../engine/types.ts';
import { copyRule } from '../rules.ts';

// A Partner Center customer (as the customer list gives it) as a mapping source: the
// tenant id that links it to a hub customer, and the name a customer first met in a sync
// is created with, as the connector's default mapping.

export const PC_CUSTOMER_SOURCE: RecordSchema = {
  name: 'partner center customer',
  fields: {
    id: { type: 'string', description: "The customer's tenant id" },
    commerceId: { type: 'string' },
    relationshipToPartner: { type: 'string' },
    associatedPartnerId: { type: 'string' },
    'companyProfile.tenantId': { type: 'string' },
    'companyProfile.domain': { type: 'string', description: 'The tenant domain, e.g. contoso.onmicrosoft.com' },
    'companyProfile.companyName': { type: 'string' },
    'companyProfile.*': { type: 'string' },
    'billingProfile.companyName': { type: 'string' },
    'billingProfile.email': { type: 'string' },
    'billingProfile.culture': { type: 'string' },
    'billingProfile.language': { type: 'string' },
    'billingProfile.defaultAddress.*': { type: 'string', description: 'country, city, state, addressLine1, postalCode, …' },
  },
};

export const PC_CUSTOMER_TARGET: RecordSchema = {
  name: 'customer as the hub links it',
  fields: {
    'customer.tenantId': { type: 'string', description: 'Links the hub customer (compared in lower case)' },
    'customer.name': { type: 'string', description: 'The name a customer first met in a sync is created with (a known customer keeps its own)' },
  },
};

/** What the connector did before customer mappings were data, as data. */
export const PC_CUSTOMER_DEFAULT: readonly MappingRule[] = [copyRule('tenant-id', 'id', 'customer.tenantId'), copyRule('name', 'companyProfile.companyName', 'customer.name')];
