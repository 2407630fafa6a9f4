// Static facts about HubSpot's CRM API and webhooks, kept as data so code only exists
// where the vendor truly behaves differently. Sources: developers.hubspot.com docs on
// request validation (v3 signatures), webhooks, CRM object APIs, associations v4 and
// usage guidelines; the @hubspot/api-client 13.x source (see test/fixtures/vendor/).

export interface HubSpotCredentialField {
  name: 'accessToken' | 'clientId' | 'clientSecret' | 'refreshToken';
  label: string;
  secret: boolean;
  required: boolean;
  description: string;
}

export const hubspotDeclaration = {
  vendor: 'hubspot',
  displayName: 'HubSpot CRM',

  baseUrls: {
    /** CRM, associations and OAuth token endpoint share one origin. */
    api: 'https://api.hubapi.com',
  },

  /** The SDK (13.x) still calls the semantic-version paths; HubSpot keeps them until Sept 2027. */
  apiVersionPaths: { objects: '/crm/v3', associations: '/crm/v4' },

  auth: {
    /** OAuth access tokens last 30 minutes; refresh this long before `expires_in` runs out. */
    tokenPath: '/oauth/v1/token',
    refreshBeforeExpiryMs: 5 * 60_000,
  },

  limits: {
    // Private (single-account) apps, per app per 10 s: 100 on Free/Starter, 190 on
    // Professional and Enterprise, 250 with the API limit increase. Public OAuth apps:
    // 110 per 10 s per installing account. The lowest documented figure is the default;
    // a connection on a higher tier raises it with the requestsPerTenSeconds setting.
    privateApp: { requestsPerTenSeconds: 100 },
    oauthApp: { requestsPerTenSeconds: 110 },
    maxConcurrent: 5,
  },

  retry: {
    // A CRM 429 documents no Retry-After: honour it when present, back off otherwise.
    header: 'retry-after',
    statuses: [429, 502, 503, 504],
    backoff: { baseMs: 1_000, maxMs: 10_000 },
    maxAttempts: 5,
  },

  webhooks: {
    signatureHeader: 'x-hubspot-signature-v3',
    timestampHeader: 'x-hubspot-request-timestamp',
    /** Requests signed longer ago than this are refused, so a captured request cannot be replayed. */
    maxAgeMs: 5 * 60_000,
    /** HubSpot waits 5 s for an answer, then retries (up to 10 times over 24 h). */
    answerWithinMs: 5_000,
    // HubSpot documents eventId as not guaranteed unique: an event is identified by all four.
    eventKeyFields: ['portalId', 'subscriptionId', 'eventId', 'occurredAt'],
    /** Subscription types that can mean a deal was won; the job re-reads the deal to decide. */
    dealTriggers: { propertyChange: 'deal.propertyChange', creation: 'deal.creation', property: 'dealstage' },
  },

  associationTypeIds: { dealToLineItem: 19, dealToCompanyPrimary: 5, dealToCompany: 341 },

  credentials: [
    {
      name: 'accessToken',
      label: 'Private app access token',
      secret: true,
      required: false,
      description: 'A private app (or static) token; does not expire. Give this, or clientId and refreshToken for OAuth.',
    },
    { name: 'clientId', label: 'OAuth client ID', secret: false, required: false, description: "The public app's client ID (OAuth only)." },
    {
      name: 'clientSecret',
      label: 'App client secret',
      secret: true,
      required: true,
      description: "The app's client secret: HubSpot signs webhooks with it, and OAuth refreshes need it.",
    },
    {
      name: 'refreshToken',
      label: 'OAuth refresh token',
      secret: true,
      required: false,
      description: 'From the install of the public app in the account (OAuth only); exchanged for 30-minute access tokens.',
    },
  ] satisfies readonly HubSpotCredentialField[],

  /** A connection authenticates one of these ways: every field of at least one set must be given. */
  credentialAlternatives: [['accessToken'], ['clientId', 'refreshToken']],
} as const;
