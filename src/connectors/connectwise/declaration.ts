// Static facts about the ConnectWise PSA (Manage) REST API, kept as data so code only
// exists where the vendor truly behaves differently. Sources: ConnectWise's developer
// guide (authentication, conditions, pagination, rate limiting, callbacks) as summarised
// in test/fixtures/vendor/connectwise.json.

export interface ConnectWiseCredentialField {
  name: 'companyId' | 'publicKey' | 'privateKey' | 'clientId';
  secret: boolean;
  required: boolean;
  description: string;
}

export const connectwiseDeclaration = {
  vendor: 'connectwise',
  displayName: 'ConnectWise PSA',

  /** `https://{site}/{codebase}apis/3.0/`; the codebase comes from the unauthenticated company-info call. */
  apiPath: 'apis/3.0',
  companyInfoPath: '/login/companyinfo/{companyId}',
  defaultCodebase: 'v4_6_release/',
  /** Pinned model version: without one the server answers with its latest model. */
  defaultApiVersion: '2022.1',
  acceptHeader: (version: string) => `application/vnd.connectwise.com+json; version=${version}`,

  paging: {
    maxPageSize: 1000,
    /** Forward-only paging: results by id, the next page named by the Link header's rel="next". */
    header: { name: 'pagination-type', value: 'forward-only' },
  },

  limits: {
    // No fixed number is published; "over 1,000 requests per minute will likely be rate
    // limited". The hub stays well under it, and honours the 429's Retry-After.
    requestsPerMinute: 600,
    maxConcurrent: 4,
  },

  retry: {
    header: 'retry-after',
    // 500 sometimes wraps a timeout on ConnectWise's side: worth another try.
    statuses: [429, 500, 502, 503, 504],
    maxAttempts: 5,
  },

  callbacks: {
    /** Cloud versions sign with it; callbacks are only a hint to re-fetch, never data. */
    signatureHeader: 'x-content-signature',
    /** At most one early sync per connection per this many ms, whatever the callback rate. */
    minIntervalMs: 60_000,
  },

  credentials: [
    { name: 'companyId', secret: false, required: true, description: 'The company id you log in with (e.g. "acme").' },
    { name: 'publicKey', secret: false, required: true, description: "The API member's public key." },
    { name: 'privateKey', secret: true, required: true, description: "The API member's private key." },
    { name: 'clientId', secret: true, required: true, description: 'The integration clientId GUID from developer.connectwise.com, sent on every call.' },
  ] satisfies readonly ConnectWiseCredentialField[],
} as const;
