import { autotaskDeclaration } from './autotask/declaration.ts';
import { connectwiseDeclaration } from './connectwise/declaration.ts';
import { hubspotDeclaration } from './hubspot/declaration.ts';
import { netsuiteDeclaration } from './netsuite/declaration.ts';
import { partnerCenterDeclaration } from './partner-center/declaration.ts';
import { quickbooksDeclaration } from './quickbooks/declaration.ts';
import { SALESFORCE_DEFAULT_FIELDS, salesforceDeclaration } from './salesforce/declaration.ts';
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
      {
        name: 'gdapRequiredRoles',
        description:
          "Microsoft Entra role definition ids a customer's GDAP relationship must assign for its syncs to run (default: Directory Readers, 88d8e3e3-8f55-4a1e-953a-9b9898b8876b)",
      },
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
      {
        name: 'onboardingTemplateProperty',
        description: 'Deal property naming the onboarding template a won deal applies (its value, lower-cased, is a template key); none: no template',
      },
    ],
  },
  {
    name: connectwiseDeclaration.vendor,
    displayName: connectwiseDeclaration.displayName,
    credentialFields: publicFields(connectwiseDeclaration.credentials),
    settingFields: [
      { name: 'site', description: 'The API host, e.g. api-na.myconnectwise.net (api-eu, api-au; on-premises: your server); required' },
      { name: 'codebase', description: 'e.g. v2025_1/; default: discovered from /login/companyinfo/{companyId}' },
      { name: 'apiVersion', description: `The model version pinned in the Accept header (default ${connectwiseDeclaration.defaultApiVersion})` },
      { name: 'requestsPerMinute', description: `Override of the hub's own budget (${connectwiseDeclaration.limits.requestsPerMinute}/min; ConnectWise throttles above ~1,000/min)` },
    ],
  },
  {
    name: salesforceDeclaration.vendor,
    displayName: salesforceDeclaration.displayName,
    credentialFields: publicFields(salesforceDeclaration.credentials),
    credentialAlternatives: salesforceDeclaration.credentialAlternatives,
    settingFields: [
      { name: 'instanceUrl', description: "Required: the org's My Domain URL (https://<domain>.my.salesforce.com); REST calls go there, and the client credentials flow's token endpoint is there" },
      { name: 'loginUrl', description: `JWT bearer flow: the assertion's audience and token endpoint (default ${salesforceDeclaration.baseUrls.login}; https://test.salesforce.com for a sandbox org)` },
      { name: 'organizationId', description: 'Required for webhooks: the org id (00D…); Outbound Messages and Flow callouts naming another org are refused' },
      { name: 'apiVersion', description: `REST API version (default ${salesforceDeclaration.apiVersion})` },
      { name: 'tenantIdField', description: `Account field holding the customer's Microsoft tenant id, used to find the hub customer (default ${SALESFORCE_DEFAULT_FIELDS.tenantIdField})` },
      { name: 'unitCostField', description: `OpportunityLineItem field with the MSP's monthly cost per unit (default ${SALESFORCE_DEFAULT_FIELDS.unitCostField})` },
      { name: 'billingFrequencyField', description: `OpportunityLineItem field saying how a line is billed; only Monthly lines map (default ${SALESFORCE_DEFAULT_FIELDS.billingFrequencyField})` },
      { name: 'termField', description: `OpportunityLineItem field with the commitment term, e.g. P12M (default ${SALESFORCE_DEFAULT_FIELDS.termField})` },
      { name: 'orgCurrency', description: "Orgs without multi-currency only: the org's currency (ISO 4217); otherwise each Opportunity's CurrencyIsoCode is read" },
      {
        name: 'onboardingTemplateField',
        description: 'Opportunity field (e.g. a picklist Onboarding_Template__c) naming the onboarding template a won opportunity applies (its value, lower-cased, is a template key); none: no template',
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
      { name: 'baseCurrency', description: "The organisation's base currency (ISO 4217). Needed for revenue journals: Xero posts manual journals in the base currency only, so journals in other currencies are refused" },
    ],
  },
  {
    name: quickbooksDeclaration.vendor,
    displayName: quickbooksDeclaration.displayName,
    credentialFields: publicFields(quickbooksDeclaration.credentials),
    settingFields: [
      { name: 'realmId', description: 'The QuickBooks company (realmId, returned on the OAuth redirect) to post to; required' },
      { name: 'endpoint', description: `Default ${quickbooksDeclaration.baseUrls.api} (https://sandbox-quickbooks.api.intuit.com/v3/company/ for an Intuit sandbox company)` },
      { name: 'tokenUrl', description: `Default ${quickbooksDeclaration.baseUrls.token}` },
      { name: 'createMissingCustomers', description: 'true: a hub customer with no QuickBooks customer of the same DisplayName gets one; default false: its invoices are blocked until linked' },
      { name: 'requestsPerMinute', description: `Override of the documented per-realm limit (${quickbooksDeclaration.limits.requestsPerMinute}/min, ${quickbooksDeclaration.limits.maxConcurrent} concurrent)` },
    ],
  },
  {
    name: autotaskDeclaration.vendor,
    displayName: autotaskDeclaration.displayName,
    credentialFields: publicFields(autotaskDeclaration.credentials),
    settingFields: [
      { name: 'zoneInformationUrl', description: `Default ${autotaskDeclaration.zoneInformationUrl}; the zone found is kept with the connection` },
      { name: 'requestsPerHour', description: `The hub's share of the database's ${autotaskDeclaration.limits.requestsPerHour} requests per rolling hour (all integrations share it; default all of it)` },
    ],
  },
  {
    name: netsuiteDeclaration.vendor,
    displayName: netsuiteDeclaration.displayName,
    credentialFields: publicFields(netsuiteDeclaration.credentials),
    settingFields: [
      { name: 'accountId', description: 'The NetSuite account id (Setup > Company > Company Information), e.g. 1234567 or 1234567_SB1 for a sandbox; required. It is the OAuth realm and names the REST host' },
      { name: 'baseUrl', description: 'Default https://<account id, lower case, _ as ->.suitetalk.api.netsuite.com' },
      { name: 'subsidiaryId', description: "OneWorld accounts: the internal id of the subsidiary the hub's customers, invoices and journals belong to" },
      { name: 'createMissingCustomers', description: 'true: a hub customer with no NetSuite customer (external id hub-customer-<id>) gets one; default false: its invoices are blocked until linked' },
      { name: 'concurrencyLimit', description: `The share of the account's concurrency limit the hub may use (default ${netsuiteDeclaration.limits.maxConcurrent}, the Standard tier's whole limit; Premium 15, Enterprise/Ultimate 20, +10 per SuiteCloud Plus licence)` },
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
