import { hubspotDeclaration } from './hubspot/declaration.ts';
import { partnerCenterDeclaration } from './partner-center/declaration.ts';
import { xeroDeclaration } from './xero/declaration.ts';

/**
 * Static facts about each vendor the hub connects to, as data (after Nango's
 * providers.yaml): which credential fields a connection needs, which of them are
 * secret, and which settings it may carry. Code exists only where a vendor truly
 * behaves differently; that lives in the provider's own folder.
 */
export interface CredentialField {
  name: string;
  secret: boolean;
  required: boolean;
  description: string;
}

export interface ProviderDeclaration {
  name: string;
  displayName: string;
  credentialFields: CredentialField[];
  /** Non-secret settings, e.g. base URL overrides that point the connector at a sandbox. */
  settingFields: { name: string; description: string }[];
  /** Ways to authenticate: when given, every field of at least one set is required. */
  credentialAlternatives?: readonly (readonly string[])[];
}

const publicFields = (fields: readonly CredentialField[]): CredentialField[] =>
  fields.map(({ name, secret, required, description }) => ({ name, secret, required, description }));

export const PROVIDERS: readonly ProviderDeclaration[] = [
  {
    name: partnerCenterDeclaration.vendor,
    displayName: partnerCenterDeclaration.displayName,
    credentialFields: publicFields(partnerCenterDeclaration.credentials),
    settingFields: [
      { name: 'partnerCenterBaseUrl', description: `Default ${partnerCenterDeclaration.baseUrls.partnerCenter}` },
      { name: 'graphBaseUrl', description: `Default ${partnerCenterDeclaration.baseUrls.graph}` },
      { name: 'authorityUrl', description: `Default ${partnerCenterDeclaration.baseUrls.authority}` },
      { name: 'blobBaseUrl', description: 'Replaces the scheme and host of export blob URLs (for a sandbox)' },
      {
        name: 'currencies',
        description:
          "ISO 4217 codes to request unbilled data in (e.g. [\"EUR\", \"GBP\"]), added to the currencies of the connection's customers, of the lines Microsoft billed them in and of its recent invoices; USD when none is known",
      },
      { name: 'currency', description: 'One currency code for unbilled data (older form of currencies)' },
      { name: 'requestsPerMinute', description: `Override of the documented Partner Center limit (${partnerCenterDeclaration.limits.partnerCenter.requestsPerMinute}/min)` },
      { name: 'graphRequestsPerMinute', description: `Override of the Graph billing-export limit (${partnerCenterDeclaration.limits.graph.requestsPerMinute}/min)` },
    ],
  },
  {
    name: hubspotDeclaration.vendor,
    displayName: hubspotDeclaration.displayName,
    credentialFields: publicFields(hubspotDeclaration.credentials),
    credentialAlternatives: hubspotDeclaration.credentialAlternatives,
    settingFields: [
      { name: 'baseUrl', description: `Default ${hubspotDeclaration.baseUrls.api} (CRM API and OAuth token endpoint)` },
      { name: 'portalId', description: 'The HubSpot account (portal) id; webhook events naming another account are refused' },
      {
        name: 'tenantIdProperty',
        description: "Company property holding the customer's Microsoft tenant id, used to find the hub customer (default partner_center_tenant_id)",
      },
      {
        name: 'requestsPerTenSeconds',
        description: `Override of the documented limit (${hubspotDeclaration.limits.privateApp.requestsPerTenSeconds} per 10 s for a private app, ${hubspotDeclaration.limits.oauthApp.requestsPerTenSeconds} for OAuth)`,
      },
    ],
  },
  {
    name: xeroDeclaration.vendor,
    displayName: xeroDeclaration.displayName,
    credentialFields: publicFields(xeroDeclaration.credentials),
    settingFields: [
      { name: 'tenantId', description: 'The Xero organisation (tenant id from GET https://api.xero.com/connections) to post to; required' },
      { name: 'apiUrl', description: `Default ${xeroDeclaration.baseUrls.api}` },
      { name: 'tokenUrl', description: `Default ${xeroDeclaration.baseUrls.token}` },
      { name: 'createMissingCustomers', description: 'true: a hub customer with no Xero contact gets one (ContactNumber = hub customer id); default false: its invoices are blocked until linked' },
      { name: 'requestsPerMinute', description: `Override of the documented per-organisation limit (${xeroDeclaration.limits.requestsPerMinute}/min, ${xeroDeclaration.limits.maxConcurrent} concurrent)` },
    ],
  },
];

export function findProvider(name: string): ProviderDeclaration | undefined {
  return PROVIDERS.find((p) => p.name === name);
}

/** Problems with a credentials object, each naming its field; empty when valid. */
export function credentialProblems(
  provider: ProviderDeclaration,
  credentials: Record<string, unknown>,
  options: { partial?: boolean } = {},
): { field: string; reason: string }[] {
  const problems: { field: string; reason: string }[] = [];
  const known = new Set(provider.credentialFields.map((f) => f.name));
  for (const [key, value] of Object.entries(credentials)) {
    if (!known.has(key)) problems.push({ field: `credentials.${key}`, reason: `is not a ${provider.name} credential (expected one of ${[...known].join(', ')})` });
    else if (typeof value !== 'string' || value.length === 0) problems.push({ field: `credentials.${key}`, reason: 'must be a non-empty string' });
  }
  if (!options.partial) {
    for (const field of provider.credentialFields) {
      if (field.required && credentials[field.name] === undefined) problems.push({ field: `credentials.${field.name}`, reason: 'is required' });
    }
    const ways = provider.credentialAlternatives ?? [];
    if (ways.length > 0 && !ways.some((set) => set.every((name) => credentials[name] !== undefined))) {
      const first = ways[0]!.find((name) => credentials[name] === undefined)!;
      problems.push({ field: `credentials.${first}`, reason: `one way to authenticate is required: ${ways.map((set) => set.join(' + ')).join(', or ')}` });
    }
  }
  return problems;
}
