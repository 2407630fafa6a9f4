import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** HubSpot's v3 signature facts and worked example, copied into the project (test/fixtures/vendor). */
export const hubspotV3 = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/vendor/hubspot-webhook-v3.json', import.meta.url)), 'utf8')) as {
  headers: { signature: string; timestamp: string };
  maxAgeMs: number;
  decodedInUri: Record<string, string>;
  leftEncodedInUri: string[];
  example: {
    secret: string;
    method: string;
    timestamp: string;
    publicBase: string;
    pathAndQuery: string;
    decodedUri: string;
    body: string;
    signature: string;
    signatureOverUndecodedUri: string;
  };
};

/**
 * Signs as HubSpot documents it, written apart from the hub's own code: base64
 * HMAC-SHA256 of method + URI + body + timestamp. The URI must need no decoding.
 */
export function hubspotSign(secret: string, method: string, uri: string, body: string, timestamp: string): string {
  return createHmac('sha256', secret).update(method + uri + body + timestamp).digest('base64');
}

/** HubSpot's CRM field lists and limits, copied into the project (test/fixtures/vendor). */
export const hubspotCrm = JSON.parse(readFileSync(fileURLToPath(new URL('../fixtures/vendor/hubspot-crm.json', import.meta.url)), 'utf8')) as {
  objectEnvelope: Record<string, 'string' | 'object' | 'date-time' | 'boolean'>;
  alwaysReturnedProperties: string[];
  dealProperties: string[];
  lineItemProperties: string[];
  companyProperties: string[];
  recurringBillingFrequencies: string[];
  billingPeriodPattern: string;
  defaultPipelineWonStage: string;
  batchRead: { maxInputs: number; statuses: string[]; fields: string[] };
  associationsV4: { resultFields: string[]; typeFields: string[]; typeIds: Record<string, number> };
  rateLimited: { status: number; bodyFields: string[]; errorType: string; policyNames: string[]; headers: string[]; intervalMilliseconds: number };
  oauthToken: { path: string; fields: string[]; accessTokenSeconds: number };
  webhookEvent: { fields: string[]; propertyChangeFields: string[]; integerFields: string[] };
};
