// Static facts about Xero's Accounting API, as data. Sources: developer.xero.com (OAuth 2.0,
// limits, idempotent requests, invoices, manual journals, webhooks), the Xero-OpenAPI
// accounting spec and the xero-node 20.0.0 source (see test/fixtures/vendor/xero/).

export const xeroDeclaration = {
  vendor: 'xero',
  displayName: 'Xero Accounting',

  baseUrls: {
    api: 'https://api.xero.com/api.xro/2.0',
    token: 'https://identity.xero.com/connect/token',
  },

  auth: {
    /** Access tokens last 30 minutes; refresh this long before they run out. */
    refreshBeforeExpiryMs: 5 * 60_000,
  },

  /** Per tenant (app + organisation): 60 calls a minute, 5 at a time (and 5,000 a day). */
  limits: { requestsPerMinute: 60, maxConcurrent: 5 },

  retry: {
    header: 'retry-after',
    statuses: [429, 503],
    backoff: { baseMs: 1_000, maxMs: 30_000 },
    maxAttempts: 6,
  },

  /** Idempotency-Key: at most 128 characters; Xero replays the first answer for 6 minutes. */
  idempotencyKeyMaxLength: 128,

  webhooks: { signatureHeader: 'x-xero-signature' },

  credentials: [
    { name: 'clientId', secret: false, required: true, description: "The Xero app's client id." },
    { name: 'clientSecret', secret: true, required: true, description: "The Xero app's client secret." },
    {
      name: 'refreshToken',
      secret: true,
      required: true,
      description: 'A refresh token from the consent flow (scope offline_access). Single use: the hub stores each rotated one.',
    },
    { name: 'webhookKey', secret: true, required: false, description: "The webhook signing key of the app's Xero webhook subscription." },
  ],
} as const;
