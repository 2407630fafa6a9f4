import type { SalesforceOrg } from './org.ts';

export interface SalesforceSandboxCredentials {
  organizationId: string;
  clientId: string;
  /** Client credentials flow. */
  clientSecret: string;
  /** JWT bearer flow: the pre-authorised user, and the key whose certificate the app holds. */
  username: string;
  privateKeyPem: string;
  publicKeyPem: string;
  /** Shared secret of the Flow HTTP callout. */
  flowSecret: string;
}

export interface SalesforceSandboxStats {
  calls: number;
  served: number;
  limitRefusals: number;
  unauthorized: number;
  tokensIssued: number;
  deliveries: number;
}

export interface LimitOptions {
  /** The org's daily API allocation (rolling 24 h); beyond it every call is refused. Default 100,000. */
  dailyLimit?: number;
  /** API calls already counted against today's allocation. */
  used?: number;
  /** Every Nth call is refused as over the concurrent long-call cap (REQUEST_LIMIT_EXCEEDED). Unset: off. */
  everyNth?: number;
  /** Every REST call is answered this late: a long call, or a stalled network, for a job to be stopped in. */
  delayMs?: number;
}

export interface SalesforceSandboxContext {
  org: SalesforceOrg;
  credentials: SalesforceSandboxCredentials;
  /** The sandbox's own URL: the instance URL and the login URL (a JWT's audience). */
  url: () => string;
  /** Access tokens issued, with their expiry (epoch ms). */
  sessions: Map<string, number>;
  sessionSeconds: number;
  limits: Required<Pick<LimitOptions, 'dailyLimit' | 'used'>> & Pick<LimitOptions, 'everyNth' | 'delayMs'>;
  /** Rows per query page before nextRecordsUrl (Salesforce: 2,000 by default). */
  batchSize: number;
  stats: SalesforceSandboxStats;
  now: () => Date;
  nextNotificationId: () => string;
}

export const emptyStats = (): SalesforceSandboxStats => ({ calls: 0, served: 0, limitRefusals: 0, unauthorized: 0, tokensIssued: 0, deliveries: 0 });

/** Salesforce's REST error body: an array of { message, errorCode, fields? }. */
export const sfError = (errorCode: string, message: string) => [{ message, errorCode }];
