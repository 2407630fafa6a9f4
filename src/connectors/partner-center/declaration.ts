// Static facts about Microsoft Partner Center and the Graph partner billing reports,
// kept as data so code only exists where the vendor truly behaves differently.
// Sources: learn.microsoft.com/partner-center/developer (partner-center-rest-urls,
// headers, api-throttling-guidance, customer-resources, enable-secure-app-model,
// get-billed-unbilled-usage-reconciliation) and microsoft-graph-docs-contrib
// api-reference/v1.0/api/partners-billing-*.md; the facts the tests hold it to are in test/fixtures/vendor/partner-center.json.

export interface CredentialField {
  name: 'tenantId' | 'clientId' | 'clientSecret' | 'refreshToken';
  label: string;
  secret: boolean;
  required: boolean;
  description: string;
}

export const partnerCenterDeclaration = {
  vendor: 'partner-center',
  displayName: 'Microsoft Partner Center',

  baseUrls: {
    /** Partner Center REST origin; every documented path starts with `/v1`. */
    partnerCenter: 'https://api.partnercenter.microsoft.com',
    /** Microsoft Graph, where the asynchronous billing exports live (global cloud only). */
    graph: 'https://graph.microsoft.com/v1.0',
    /** Microsoft Entra ID; a sandbox replaces it to issue its own tokens. */
    authority: 'https://login.microsoftonline.com',
  },

  apiVersionPath: '/v1',

  auth: {
    /** `{tenantId}` is the partner's own tenant. v1 takes `resource`, v2 takes `scope`. */
    tokenPaths: {
      v1: '/{tenantId}/oauth2/token',
      v2: '/{tenantId}/oauth2/v2.0/token',
    },
    audiences: {
      // The Secure Application Model's documented exchange: app + partner user's
      // refresh token against the v1 endpoint with the Partner Center resource.
      'partner-center': {
        resource: 'https://api.partnercenter.microsoft.com',
        scope: 'https://api.partnercenter.microsoft.com/.default',
        endpoint: 'v1',
      },
      // Partner billing reports: application permission PartnerBilling.Read.All,
      // consented in the partner tenant; client credentials on the v2 endpoint.
      graph: {
        resource: 'https://graph.microsoft.com',
        scope: 'https://graph.microsoft.com/.default',
        endpoint: 'v2',
        permission: 'PartnerBilling.Read.All',
      },
    },
    /** Refresh an access token this long before it expires. */
    refreshBeforeExpiryMs: 5 * 60_000,
    /** Refresh tokens live 90 days and every exchange returns a new one to store. */
    refreshTokenLifetimeDays: 90,
  },

  limits: {
    // Customer, Subscription and Order resources: 500 requests per minute per tenant
    // identifier. Nothing is published for invoices and line items, so they share
    // the same budget rather than run unlimited.
    partnerCenter: { requestsPerMinute: 500, maxConcurrent: 8 },
    // No figure is published for /reports/partners/billing. Graph's nearest documented
    // family, the Microsoft 365 /reports APIs, allows 100 JSON requests per 10 minutes
    // per app per tenant; an export flow is a handful of calls, so stay under it.
    graph: { requestsPerMinute: 10, maxConcurrent: 2 },
    // Entra ID token endpoint: tokens are cached, so a trickle is enough.
    authority: { requestsPerSecond: 5, maxConcurrent: 2 },
    // Azure Blob Storage scales far beyond one partner's downloads; cap parallel streams.
    blob: { maxConcurrent: 4 },
  },

  retry: {
    header: 'retry-after',
    statuses: [429, 502, 503, 504],
  },

  headers: {
    continuationToken: 'MS-ContinuationToken',
    requestId: 'MS-RequestId',
    correlationId: 'MS-CorrelationId',
    application: 'MS-PartnerCenter-Application',
  },

  paging: {
    customersPageSize: 100,
    /** Line-item endpoints document 2,000 as both default and maximum. */
    lineItemsPageSize: 2000,
  },

  credentials: [
    { name: 'tenantId', label: 'Partner tenant ID', secret: false, required: true, description: "The partner's Microsoft Entra tenant (directory) ID." },
    { name: 'clientId', label: 'Application (client) ID', secret: false, required: true, description: 'The Entra app registration used for the Secure Application Model.' },
    { name: 'clientSecret', label: 'Client secret', secret: true, required: true, description: "A secret of that app registration." },
    {
      name: 'refreshToken',
      label: 'Refresh token',
      secret: true,
      required: false,
      description: 'Obtained once by a partner user signing in with MFA; required for app + user calls. Rotated on every use.',
    },
  ] satisfies readonly CredentialField[],
} as const;

export type PartnerCenterAudience = keyof typeof partnerCenterDeclaration.auth.audiences;

/** Which credential fields must never be returned by the API or written to logs. */
export const secretCredentialFields: readonly CredentialField['name'][] = partnerCenterDeclaration.credentials
  .filter((field) => field.secret)
  .map((field) => field.name);
