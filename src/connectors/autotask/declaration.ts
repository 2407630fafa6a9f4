// Static facts about the Autotask PSA REST API, kept as data so code only exists where
// the vendor truly behaves differently. Sources: Autotask's developer help (zones,
// basic and advanced queries, thresholds and limits, thread limiting, webhooks) as
// summarised in test/fixtures/vendor/autotask.json.

export interface AutotaskCredentialField {
  name: 'username' | 'secret' | 'integrationCode';
  secret: boolean;
  required: boolean;
  description: string;
}

export const autotaskDeclaration = {
  vendor: 'autotask',
  displayName: 'Autotask PSA',

  /** Answers which zone (webservicesN) a user's database lives in; no credentials, no thread limit. */
  zoneInformationUrl: 'https://webservices.autotask.net/atservicesrest/v1.0/zoneInformation',
  /** Appended to the zone's `url` (which names no version). */
  apiVersionPath: 'v1.0/',

  paging: {
    /** MaxRecords is 1 to 500; pages are chained by `pageDetails.nextPageUrl`. */
    maxPageSize: 500,
  },

  limits: {
    /** Shared by every integration of the database, over a rolling hour. */
    requestsPerHour: 10_000,
    /** Concurrent requests per integration code and object endpoint (integrations created after 2023.1). */
    threadsPerEndpoint: 3,
  },

  retry: {
    header: 'retry-after',
    // Autotask documents no 429; clients meet it, and thread-threshold refusals and
    // transient faults arrive as 5xx. Writes are never retried here (see client.ts).
    statuses: [429, 500, 502, 503, 504],
    maxAttempts: 5,
  },

  credentials: [
    { name: 'username', secret: false, required: true, description: 'The API user\'s username (an "API User (API-only)" resource), e.g. hub-api@example.com' },
    { name: 'secret', secret: true, required: true, description: "The API user's secret (its password)" },
    { name: 'integrationCode', secret: true, required: true, description: 'The API tracking identifier of the integration (Admin > Resources > the API user > Security > API Tracking Identifier)' },
  ] satisfies readonly AutotaskCredentialField[],
} as const;
