import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from 'jsforce';
import type Bottleneck from 'bottleneck';
import { backoffDelay } from '../http/retry.ts';
import { loadJsforce, mintAccessToken, type IssuedToken, type SalesforceCredentials } from './auth.ts';
import { salesforceDeclaration } from './declaration.ts';

/** A record as SOQL returns it: field values as JSON gives them, plus `attributes`. */
export type SalesforceRecord = Record<string, unknown> & { Id: string };

/** What the hub reads of an opportunity before turning it into billing setup. */
export interface OpportunitySnapshot {
  opportunity: SalesforceRecord;
  /** The synced quote's QuoteLineItems (each with its product's Name and ProductCode) when it has one, else its OpportunityLineItems. */
  lineItems: SalesforceRecord[];
  /** Which object the lines are. */
  linesFrom: 'QuoteLineItem' | 'OpportunityLineItem';
  account: SalesforceRecord | null;
}

/** The org's own field names the hub reads beyond the standard ones. */
export interface SalesforceFieldNames {
  tenantIdField: string;
  unitCostField: string;
  billingFrequencyField: string;
  termField: string;
  /** The Opportunity field naming the onboarding template a won deal applies; null: none. */
  onboardingTemplateField: string | null;
  /** False for orgs without multi-currency: Opportunity has no CurrencyIsoCode then. */
  multiCurrency: boolean;
}

export interface SalesforceClientOptions {
  credentials: SalesforceCredentials;
  instanceUrl: string;
  loginUrl: string;
  apiVersion: string;
  fields: SalesforceFieldNames;
  /** The connection's limiter: every call of this connection waits its turn there. */
  limiter: Bottleneck;
  /** Stores a newly issued token (encrypted, on the connection) so every process reuses it. */
  onToken?: (token: IssuedToken) => Promise<void> | void;
  onRetry?: (errorCode: string, waitMs: number) => void;
  /** Injected by tests that must not wait real seconds. */
  wait?: (ms: number) => Promise<void>;
}

/** A Salesforce call that failed for good: its errorCode and Salesforce's message. */
export class SalesforceCallError extends Error {
  readonly errorCode: string;
  constructor(errorCode: string, message: string) {
    super(message);
    this.name = 'SalesforceCallError';
    this.errorCode = errorCode;
  }
}

/** Line fields every line query selects (or, for a quote line, takes from its product). */
const LINE_FIELDS_ALWAYS_READ = new Set(['Id', 'Name', 'ProductCode', 'Quantity', 'UnitPrice', 'ListPrice', 'Discount', 'TotalPrice', 'SortOrder', 'QuoteId', 'LineNumber', 'Product2Id']);

const RECORD_ID = /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/;

/** A record id as a SOQL literal; anything but an id is refused, so nothing can be injected. */
export function soqlId(id: string): string {
  if (!RECORD_ID.test(id)) throw new SalesforceCallError('INVALID_ID', `"${id}" is not a Salesforce record id`);
  return `'${id}'`;
}

/** A SOQL date-time literal (unquoted, UTC, whole seconds). */
export const soqlDateTime = (at: Date) => `${at.toISOString().slice(0, 19)}Z`;

/**
 * Salesforce through the official jsforce SDK: jsforce builds and sends every request to
 * the instance URL, follows query pages, and calls back for a new token on 401. This class
 * adds the connection's limiter, the daily allocation check (Sforce-Limit-Info), retries of
 * the concurrent-call cap with backoff, and the tokens: minted by JWT bearer or client
 * credentials, handed to `onToken` to be persisted.
 */
export class SalesforceClient {
  readonly #options: SalesforceClientOptions;
  #conn: Connection | undefined;

  constructor(options: SalesforceClientOptions) {
    this.#options = options;
  }

  /**
   * The opportunity, its lines and its Account, by SOQL. The lines are the synced quote's
   * (Opportunity.SyncedQuoteId) when there is one, since that is what the customer
   * accepted, else the opportunity's own line items.
   */
  /** `lineFields`: the line fields a line mapping reads beyond the standard ones (default: the cost, frequency and term fields of the settings). */
  async readOpportunity(id: string, lineFields?: readonly string[]): Promise<OpportunitySnapshot> {
    const f = this.#options.fields;
    const oppFields = [
      'Id', 'Name', 'AccountId', 'StageName', 'IsWon', 'IsClosed', 'CloseDate', 'Amount', 'SyncedQuoteId',
      ...(f.multiCurrency ? ['CurrencyIsoCode'] : []),
      ...(f.onboardingTemplateField ? [f.onboardingTemplateField] : []),
    ];
    const [opportunity] = await this.#query(`SELECT ${oppFields.join(', ')} FROM Opportunity WHERE Id = ${soqlId(id)}`);
    if (!opportunity) throw new SalesforceCallError('NOT_FOUND', `Opportunity ${id} does not exist or is not visible to the integration user`);
    const custom = lineFields ? lineFields.filter((name) => !LINE_FIELDS_ALWAYS_READ.has(name)) : [f.unitCostField, f.billingFrequencyField, f.termField];
    const quoteId = typeof opportunity.SyncedQuoteId === 'string' && opportunity.SyncedQuoteId !== '' ? opportunity.SyncedQuoteId : null;
    const lineItems = quoteId
      ? await this.#quoteLines(quoteId, custom)
      : await this.#query(
          `SELECT ${['Id', 'Name', 'ProductCode', 'Quantity', 'UnitPrice', 'ListPrice', 'Discount', 'TotalPrice', 'SortOrder', ...custom].join(', ')} FROM OpportunityLineItem WHERE OpportunityId = ${soqlId(opportunity.Id)} ORDER BY SortOrder`,
        );
    const accountId = typeof opportunity.AccountId === 'string' ? opportunity.AccountId : null;
    const account = accountId ? ((await this.#query(`SELECT Id, Name, Website, ${f.tenantIdField} FROM Account WHERE Id = ${soqlId(accountId)}`))[0] ?? null) : null;
    return { opportunity, lineItems, linesFrom: quoteId ? 'QuoteLineItem' : 'OpportunityLineItem', account };
  }

  /**
   * Opportunities won whose LastModifiedDate falls in [from, to], oldest first: what the
   * sweep compares with the notifications the hub received.
   */
  async wonOpportunities(from: Date, to: Date): Promise<{ Id: string; LastModifiedDate: string }[]> {
    const rows = await this.#query(
      `SELECT Id, LastModifiedDate FROM Opportunity WHERE IsWon = true AND LastModifiedDate >= ${soqlDateTime(from)} AND LastModifiedDate <= ${soqlDateTime(to)} ORDER BY LastModifiedDate`,
    );
    return rows.map((r) => ({ Id: r.Id, LastModifiedDate: String(r.LastModifiedDate) }));
  }

  /** A quote's lines in order; QuoteLineItem has no Name or ProductCode of its own, so its products' are added. */
  async #quoteLines(quoteId: string, custom: string[]): Promise<SalesforceRecord[]> {
    const lines = await this.#query(
      `SELECT ${['Id', 'QuoteId', 'LineNumber', 'Product2Id', 'Quantity', 'UnitPrice', 'ListPrice', 'Discount', 'TotalPrice', ...custom].join(', ')} FROM QuoteLineItem WHERE QuoteId = ${soqlId(quoteId)} ORDER BY LineNumber`,
    );
    const productIds = [...new Set(lines.flatMap((l) => (typeof l.Product2Id === 'string' ? [l.Product2Id] : [])))];
    const products = productIds.length > 0 ? await this.#query(`SELECT Id, Name, ProductCode FROM Product2 WHERE Id IN (${productIds.map(soqlId).join(', ')})`) : [];
    const byId = new Map(products.map((p) => [p.Id, p]));
    return lines.map((l) => {
      const product = byId.get(String(l.Product2Id));
      return { ...l, Name: product?.Name ?? null, ProductCode: product?.ProductCode ?? null };
    });
  }

  async #query(soql: string): Promise<SalesforceRecord[]> {
    const { maxAttempts, retryableCodes, backoff, limitCode } = salesforceDeclaration.retry;
    const wait = this.#options.wait ?? ((ms: number) => sleep(ms));
    for (let attempt = 1; ; attempt++) {
      const conn = await this.#connection();
      this.#checkAllocation(conn);
      try {
        const result = await this.#options.limiter.schedule(() => conn.query<SalesforceRecord>(soql, { autoFetch: true, maxFetch: 100_000 }));
        return result.records;
      } catch (error) {
        const e = error as { errorCode?: string; name?: string; message?: string };
        const code = e.errorCode ?? e.name ?? 'UNKNOWN';
        const allocationGone = code === limitCode && /TotalRequests/i.test(e.message ?? '');
        if (!(retryableCodes as readonly string[]).includes(code) || allocationGone || attempt >= maxAttempts) {
          throw new SalesforceCallError(code, `Salesforce answered ${code}: ${e.message ?? 'no message'}`);
        }
        const delay = backoffDelay(attempt, backoff);
        this.#options.onRetry?.(code, delay);
        await wait(delay);
      }
    }
  }

  /** Stops before the org's daily allocation runs out: other integrations of the org share it. */
  #checkAllocation(conn: Connection): void {
    const usage = conn.limitInfo?.apiUsage;
    if (!usage || usage.limit <= 0) return;
    const share = (usage.used / usage.limit) * 100;
    if (share >= salesforceDeclaration.limits.stopAtAllocationPercent) {
      throw new SalesforceCallError(
        salesforceDeclaration.retry.limitCode,
        `the org has used ${usage.used} of its ${usage.limit} daily API calls (${share.toFixed(1)} %); the hub stops at ${salesforceDeclaration.limits.stopAtAllocationPercent} % to leave the rest to the org`,
      );
    }
  }

  async #connection(): Promise<Connection> {
    if (this.#conn) return this.#conn;
    const { credentials, instanceUrl, apiVersion } = this.#options;
    const token = credentials.accessToken ? { accessToken: credentials.accessToken, instanceUrl } : await this.#mint();
    const { Connection } = await loadJsforce();
    this.#conn = new Connection({
      instanceUrl: token.instanceUrl,
      accessToken: token.accessToken,
      version: apiVersion,
      // jsforce calls this on 401 INVALID_SESSION_ID and replays the request with the new token.
      refreshFn: (_conn, callback) => {
        this.#mint().then(
          (t) => callback(null, t.accessToken),
          (error: Error) => callback(error),
        );
      },
    });
    return this.#conn;
  }

  async #mint(): Promise<IssuedToken> {
    const { credentials, instanceUrl, loginUrl } = this.#options;
    const token = await this.#options.limiter.schedule(() => mintAccessToken(credentials, { instanceUrl, loginUrl }));
    await this.#options.onToken?.(token);
    return token;
  }
}
