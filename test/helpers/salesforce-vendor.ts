import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Salesforce's facts (Outbound Message, OAuth, REST, objects), copied into the project (test/fixtures/vendor). */
export const salesforceFacts = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/vendor/salesforce.json', import.meta.url)), 'utf8')) as {
  outboundMessage: { namespace: string; ackStatus: number; ack: string; maxNotificationsPerMessage: number; headerElements: string[]; example: string };
  oauth: { tokenPath: string; jwtBearerGrant: string; jwtAlgorithm: string; jwtClaims: string[]; jwtMaxLifetimeSeconds: number; tokenResponseFields: string[]; issuesRefreshToken: boolean };
  rest: {
    queryPath: string;
    queryResponseFields: string[];
    recordAttributes: string[];
    usageHeader: string;
    usageHeaderPattern: string;
    errorBodyFields: string[];
    sessionExpired: { status: number; errorCode: string };
    overLimit: { status: number; errorCode: string };
  };
  objects: {
    Opportunity: string[];
    OpportunityLineItem: string[];
    Account: string[];
    Quote: string[];
    QuoteLineItem: string[];
    /** Fields an OpportunityLineItem has that a QuoteLineItem does not (they are its Product2's). */
    quoteLineItemLacks: string[];
    Product2: string[];
    keyPrefixes: Record<string, string>;
  };
};

/** Signs a Flow callout body as the hub documents it, written apart from the hub's code: HMAC-SHA256, hex. */
export function flowSign(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}
