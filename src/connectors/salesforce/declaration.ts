// Static facts about Salesforce's REST API, OAuth and Outbound Messages, kept as data so
// code only exists where the vendor truly behaves differently. Sources: Salesforce's
// REST API developer guide (versions, query, limits headers, error codes), the OAuth
// JWT bearer and client credentials flow articles, the Outbound Messaging WSDL page,
// and the jsforce v3 source (see test/fixtures/vendor/salesforce.json).

export interface SalesforceCredentialField {
  name: 'clientId' | 'clientSecret' | 'username' | 'privateKey' | 'accessToken' | 'flowSecret';
  label: string;
  secret: boolean;
  required: boolean;
  description: string;
}

export const salesforceDeclaration = {
  vendor: 'salesforce',
  displayName: 'Salesforce',

  baseUrls: {
    /** JWT bearer's audience and token endpoint; a sandbox org uses https://test.salesforce.com. */
    login: 'https://login.salesforce.com',
  },

  /** Pinned: jsforce defaults to 50.0. Winter '27 is 68.0; Spring '26 (66.0) is the oldest the hub is tested against. */
  apiVersion: '66.0',

  auth: {
    tokenPath: '/services/oauth2/token',
    jwtBearerGrant: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
    /** Salesforce refuses assertions whose exp is more than 3 minutes ahead. */
    jwtLifetimeSeconds: 180,
    /** An expired or revoked token: answered 401 with this code; the hub mints a new one. */
    expiredCode: 'INVALID_SESSION_ID',
  },

  limits: {
    // No per-second limit is documented; long calls (≥ 20 s) are capped at 25 at once per
    // org, so one connection keeps well under it. The daily allocation (≥ 100,000 calls,
    // rolling 24 h, per org) is shared with everything else the org runs: the hub stops
    // calling when the Sforce-Limit-Info header shows this share of it used.
    maxConcurrent: 10,
    stopAtAllocationPercent: 90,
    usageHeader: 'sforce-limit-info',
  },

  retry: {
    // Over a limit Salesforce answers 403 REQUEST_LIMIT_EXCEEDED (never 429, and no
    // Retry-After). The concurrent-call cap clears in seconds, so those are retried with
    // backoff; the daily allocation does not, so a call made with it used up fails at once.
    limitCode: 'REQUEST_LIMIT_EXCEEDED',
    retryableCodes: ['REQUEST_LIMIT_EXCEEDED', 'SERVER_UNAVAILABLE', 'UNABLE_TO_LOCK_ROW'],
    backoff: { baseMs: 1_000, maxMs: 20_000 },
    maxAttempts: 5,
  },

  outboundMessages: {
    namespace: 'http://soap.sforce.com/2005/09/outbound',
    /** Salesforce retries a message until it gets exactly this answer (HTTP 200). */
    ack: '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><notificationsResponse xmlns="http://soap.sforce.com/2005/09/outbound"><Ack>true</Ack></notificationsResponse></soapenv:Body></soapenv:Envelope>',
    maxNotifications: 100,
  },

  flowCallouts: {
    /** HMAC-SHA256 of the raw body with the connection's flowSecret, lowercase hex. */
    signatureHeader: 'x-hub-salesforce-signature',
  },

  credentials: [
    { name: 'clientId', label: 'Consumer key', secret: false, required: true, description: "The External Client App's (or connected app's) consumer key." },
    {
      name: 'clientSecret',
      label: 'Consumer secret',
      secret: true,
      required: false,
      description: 'For the client credentials flow (the app runs as its configured Run As user). Give this, or username and privateKey for the JWT bearer flow.',
    },
    { name: 'username', label: 'Integration user', secret: false, required: false, description: 'JWT bearer flow: the pre-authorised user the hub acts as (the JWT subject).' },
    {
      name: 'privateKey',
      label: 'JWT signing key',
      secret: true,
      required: false,
      description: "JWT bearer flow: the PEM private key whose certificate is uploaded to the app; the hub signs RS256 assertions with it.",
    },
    {
      name: 'accessToken',
      label: 'Access token',
      secret: true,
      required: false,
      description: 'Kept by the hub: the latest access token it was issued, so every process reuses it until Salesforce refuses it. Not needed to connect.',
    },
    {
      name: 'flowSecret',
      label: 'Flow callout secret',
      secret: true,
      required: false,
      description: `Shared secret for JSON callouts from a Flow, signed HMAC-SHA256 (hex) in the X-Hub-Salesforce-Signature header. Not needed for Outbound Messages.`,
    },
  ] satisfies readonly SalesforceCredentialField[],

  /** A connection authenticates one of these ways: every field of at least one set must be given. */
  credentialAlternatives: [
    ['clientId', 'clientSecret'],
    ['clientId', 'username', 'privateKey'],
  ],
} as const;

/** Connection settings the connector reads, with their defaults. */
export const SALESFORCE_DEFAULT_FIELDS = {
  tenantIdField: 'Partner_Center_Tenant_Id__c',
  unitCostField: 'Unit_Cost__c',
  billingFrequencyField: 'Billing_Frequency__c',
  termField: 'Term__c',
} as const;
