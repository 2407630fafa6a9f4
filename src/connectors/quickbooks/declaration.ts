// Static facts about QuickBooks Online's Accounting API, as data. Sources: Intuit's
// developer pages (OAuth 2.0, limits and throttles, request id, error codes) and the
// node-quickbooks 2.0.50 source (see test/fixtures/vendor/quickbooks/facts.md).

export const quickbooksDeclaration = {
  vendor: 'quickbooks',
  displayName: 'QuickBooks Online',

  baseUrls: {
    /** node-quickbooks appends `{realmId}/{entity}`. */
    api: 'https://quickbooks.api.intuit.com/v3/company/',
    token: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
  },

  /** Every request is served as minor version 75 since August 2025; the hub says so explicitly. */
  minorVersion: 75,

  auth: {
    /** Access tokens last an hour; refresh this long before they run out. */
    refreshBeforeExpiryMs: 5 * 60_000,
  },

  /** Per realm (company): 500 requests a minute, 10 at a time. */
  limits: { requestsPerMinute: 500, maxConcurrent: 10 },

  retry: {
    header: 'retry-after',
    statuses: [429, 500, 503],
    /** QuickBooks documents no Retry-After: "wait 60 s" after a 429. */
    throttledWaitMs: 60_000,
    backoff: { baseMs: 1_000, maxMs: 30_000 },
    maxAttempts: 6,
  },

  /** `requestid`: at most 50 characters, unique per company; a repeat returns the first answer. */
  requestIdMaxLength: 50,
  /** DocNumber: at most 21 characters. */
  docNumberMaxLength: 21,

  credentials: [
    { name: 'clientId', secret: false, required: true, description: "The Intuit app's client id." },
    { name: 'clientSecret', secret: true, required: true, description: "The Intuit app's client secret." },
    {
      name: 'refreshToken',
      secret: true,
      required: true,
      description: 'A refresh token from the consent flow (scope com.intuit.quickbooks.accounting). Intuit may answer any refresh with a new one: the hub stores each.',
    },
    { name: 'webhookVerifierToken', secret: true, required: false, description: "The verifier token of the app's webhook (Intuit developer portal, Webhooks): it signs intuit-signature." },
  ],

  webhooks: { signatureHeader: 'intuit-signature' },
} as const;
