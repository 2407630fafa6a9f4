// Static facts about NetSuite's SuiteTalk REST web services, as data. Sources: Oracle's
// NetSuite Help Center (The Authorization Headers, Using the Upsert Operation, Concurrency
// Governance, Error Handling); see test/fixtures/vendor/netsuite/facts.md.

export const netsuiteDeclaration = {
  vendor: 'netsuite',
  displayName: 'NetSuite (SuiteTalk REST)',

  /** `1234567_SB1` → `https://1234567-sb1.suitetalk.api.netsuite.com` (see {@link netsuiteBaseUrl}). */
  hostSuffix: '.suitetalk.api.netsuite.com',
  recordPath: '/services/rest/record/v1',

  auth: {
    /** Token-based authentication: OAuth 1.0a, HMAC-SHA256 (HMAC-SHA1 refused since 2023.1). */
    signatureMethod: 'HMAC-SHA256',
  },

  /**
   * One concurrency limit per account for REST, SOAP and RESTlets together: 5 on the
   * Standard tier (Premium 15, Enterprise and Ultimate 20, +10 per SuiteCloud Plus
   * licence). No per-minute rate is documented for REST.
   */
  limits: { maxConcurrent: 5 },

  retry: {
    /** NetSuite documents no Retry-After; when one comes, it is honoured. */
    header: 'retry-after',
    statuses: [429, 502, 503, 504],
    backoff: { baseMs: 1_000, maxMs: 30_000 },
    maxAttempts: 6,
  },

  credentials: [
    { name: 'consumerKey', secret: true, required: true, description: 'The integration record\'s consumer key (Setup > Integration > Manage Integrations, Token-Based Authentication ticked).' },
    { name: 'consumerSecret', secret: true, required: true, description: "The integration record's consumer secret." },
    { name: 'tokenId', secret: true, required: true, description: 'An access token id for the integration, a user and a role (Setup > Users/Roles > Access Tokens).' },
    { name: 'tokenSecret', secret: true, required: true, description: "The access token's secret." },
  ],
} as const;

/**
 * The REST host of an account: lower case, `_` as `-`.
 *
 * @example netsuiteBaseUrl('1234567_SB1') // 'https://1234567-sb1.suitetalk.api.netsuite.com'
 */
export function netsuiteBaseUrl(accountId: string): string {
  return `https://${accountId.toLowerCase().replace(/_/g, '-')}${netsuiteDeclaration.hostSuffix}`;
}

/**
 * The OAuth realm: the account id in upper case with `_`.
 *
 * @example netsuiteRealm('1234567-sb1') // '1234567_SB1'
 */
export function netsuiteRealm(accountId: string): string {
  return accountId.toUpperCase().replace(/-/g, '_');
}
