import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@hubspot/api-client';
import type Bottleneck from 'bottleneck';
import { lazyImport } from '../../lazy-import.ts';
import { backoffDelay, parseRetryAfter } from '../http/retry.ts';
import { hubspotDeclaration } from './declaration.ts';

/** A CRM record as the v3 API returns it: every property a string (or null when unset). */
export interface CrmRecord {
  id: string;
  properties: Record<string, string | null>;
}

/** What the hub reads of a deal before turning it into billing setup. */
export interface DealSnapshot {
  deal: CrmRecord;
  lineItems: CrmRecord[];
  /** The deal's primary company (association type 5), else its only one; null when none. */
  company: CrmRecord | null;
}

export interface HubSpotCredentials {
  accessToken?: string;
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
}

export interface HubSpotClientOptions {
  credentials: HubSpotCredentials;
  /** Default https://api.hubapi.com; a sandbox replaces it (no trailing slash). */
  baseUrl?: string;
  /** The connection's limiter: every call of this connection waits its turn there. */
  limiter: Bottleneck;
  /** Company property holding the Microsoft tenant id. */
  tenantIdProperty: string;
  onRetry?: (status: number, waitMs: number) => void;
  /** Injected by tests that must not wait real seconds. */
  wait?: (ms: number) => Promise<void>;
}

/** A CRM call that failed for good: the status, HubSpot's error category and message, and its correlationId (what HubSpot support asks for). */
export class HubSpotCallError extends Error {
  readonly status: number;
  readonly category: string | null;
  readonly correlationId: string | null;
  constructor(status: number, message: string, details: { category?: string | null; correlationId?: string | null } = {}) {
    super(message);
    this.name = 'HubSpotCallError';
    this.status = status;
    this.category = details.category ?? null;
    this.correlationId = details.correlationId ?? null;
  }
}

export const DEAL_PROPERTIES = ['dealname', 'amount', 'dealstage', 'pipeline', 'closedate', 'deal_currency_code', 'hs_is_closed_won'];
export const LINE_ITEM_PROPERTIES = [
  'name',
  'quantity',
  'price',
  'hs_sku',
  'hs_product_id',
  'discount',
  'hs_discount_percentage',
  'amount',
  'hs_cost_of_goods_sold',
  'recurringbillingfrequency',
  'hs_recurring_billing_period',
];

const loadHubSpotSdk = lazyImport(() => import('@hubspot/api-client'));

interface SdkError {
  code: number;
  /** HubSpot's error JSON: { status: 'error', message, correlationId, category, context? }. */
  body?: { message?: string; category?: string; correlationId?: string; context?: unknown };
  headers?: Record<string, string>;
}
const isSdkError = (error: unknown): error is SdkError => typeof (error as SdkError | null)?.code === 'number';

/**
 * HubSpot through the official @hubspot/api-client: the SDK builds and sends every
 * request (pointed at `baseUrl`); this class adds what the SDK's process-wide decorators
 * cannot give per connection: the connection's limiter, retries of 429 and 5xx that
 * honour Retry-After (HubSpot documents none on CRM 429s, so it backs off otherwise),
 * and OAuth access tokens refreshed before they expire.
 */
export class HubSpotClient {
  readonly #options: HubSpotClientOptions;
  #sdk: Client | undefined;
  #expiresAt = Number.POSITIVE_INFINITY;

  constructor(options: HubSpotClientOptions) {
    this.#options = options;
  }

  /**
   * The deal, its line items (v4 associations, batch read) and its company; `extra` names
   * further deal, company and line item properties to read (those a field mapping uses).
   */
  async readDeal(dealId: string, extra: { deal?: readonly string[]; company?: readonly string[]; lineItem?: readonly string[] } = {}): Promise<DealSnapshot> {
    const dealProperties = [...new Set([...DEAL_PROPERTIES, ...(extra.deal ?? [])])];
    const deal = await this.#call((hs) => hs.crm.deals.basicApi.getById(dealId, dealProperties));
    const lineIds = await this.#associated(dealId, 'line_items');
    const lineItems: CrmRecord[] = [];
    for (let i = 0; i < lineIds.length; i += 100) {
      const inputs = lineIds.slice(i, i + 100).map(({ id }) => ({ id }));
      const properties = [...new Set([...LINE_ITEM_PROPERTIES, ...(extra.lineItem ?? [])])];
      const batch = await this.#call((hs) => hs.crm.lineItems.batchApi.read({ properties, propertiesWithHistory: [], inputs }));
      lineItems.push(...batch.results.map(record));
    }
    const order = new Map(lineIds.map(({ id }, i) => [id, i]));
    lineItems.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
    const companies = await this.#associated(dealId, 'companies');
    const primary = companies.find((c) => c.typeIds.includes(hubspotDeclaration.associationTypeIds.dealToCompanyPrimary)) ?? (companies.length === 1 ? companies[0] : undefined);
    const company = primary
      ? record(await this.#call((hs) => hs.crm.companies.basicApi.getById(primary.id, [...new Set(['name', 'domain', this.#options.tenantIdProperty, ...(extra.company ?? [])])])))
      : null;
    return { deal: record(deal), lineItems, company };
  }

  /** Line items by id (batch read, 100 at a time), in the order asked, with any `extra` properties; ids HubSpot no longer has are left out. */
  async readLineItems(ids: readonly string[], extra: readonly string[] = []): Promise<CrmRecord[]> {
    const found: CrmRecord[] = [];
    for (let i = 0; i < ids.length; i += 100) {
      const inputs = ids.slice(i, i + 100).map((id) => ({ id }));
      const properties = [...new Set([...LINE_ITEM_PROPERTIES, 'hs_lastmodifieddate', ...extra])];
      const batch = await this.#call((hs) => hs.crm.lineItems.batchApi.read({ properties, propertiesWithHistory: [], inputs }));
      found.push(...batch.results.map(record));
    }
    const order = new Map(ids.map((id, i) => [id, i]));
    return found.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  }

  /** Sets properties of a line item (PATCH); returns the item as HubSpot stored it. */
  async updateLineItem(id: string, properties: Record<string, string>): Promise<CrmRecord> {
    return record(await this.#call((hs) => hs.crm.lineItems.basicApi.update(id, { properties })));
  }

  /** A company with the properties asked for (and when it was last modified); undefined when HubSpot has none by that id. */
  async readCompany(id: string, properties: readonly string[]): Promise<CrmRecord | undefined> {
    try {
      return record(await this.#call((hs) => hs.crm.companies.basicApi.getById(id, [...new Set(['name', 'hs_lastmodifieddate', ...properties])])));
    } catch (error) {
      if (error instanceof HubSpotCallError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Sets properties of a company (PATCH); returns the company as HubSpot stored it. */
  async updateCompany(id: string, properties: Record<string, string>): Promise<CrmRecord> {
    return record(await this.#call((hs) => hs.crm.companies.basicApi.update(id, { properties })));
  }

  async #associated(dealId: string, to: 'line_items' | 'companies'): Promise<{ id: string; typeIds: number[] }[]> {
    const found: { id: string; typeIds: number[] }[] = [];
    let after: string | undefined;
    do {
      const page = await this.#call((hs) => hs.crm.associations.v4.basicApi.getPage('deals', dealId, to, after, 500));
      for (const r of page.results) found.push({ id: String(r.toObjectId), typeIds: r.associationTypes.map((t) => t.typeId) });
      after = page.paging?.next?.after;
    } while (after);
    return found;
  }

  async #call<T>(request: (hs: Client) => Promise<T>): Promise<T> {
    const { maxAttempts, statuses, header, backoff } = hubspotDeclaration.retry;
    const wait = this.#options.wait ?? ((ms: number) => sleep(ms));
    for (let attempt = 1; ; attempt++) {
      const hs = await this.#client();
      try {
        return await this.#options.limiter.schedule(() => request(hs));
      } catch (error) {
        if (!isSdkError(error)) throw error;
        const expired = error.code === 401 && this.#options.credentials.refreshToken !== undefined && attempt === 1;
        if (expired) {
          this.#sdk = undefined;
          continue;
        }
        if (!(statuses as readonly number[]).includes(error.code) || attempt >= maxAttempts) {
          const b = error.body ?? {};
          const context = b.context === undefined ? '' : ` ${JSON.stringify(b.context)}`;
          throw new HubSpotCallError(
            error.code,
            `HubSpot answered ${error.code}${b.category ? ` ${b.category}` : ''}: ${b.message ?? 'no message'}${context}${b.correlationId ? ` (correlationId ${b.correlationId})` : ''}`,
            { category: b.category ?? null, correlationId: b.correlationId ?? null },
          );
        }
        const delay = parseRetryAfter(error.headers?.[header]) ?? backoffDelay(attempt, backoff);
        this.#options.onRetry?.(error.code, delay);
        await wait(delay);
      }
    }
  }

  /** The SDK client: a private app token as is, or an OAuth access token refreshed ahead of its expiry. */
  async #client(): Promise<Client> {
    const { credentials, baseUrl } = this.#options;
    const basePath = baseUrl ?? hubspotDeclaration.baseUrls.api;
    if (this.#sdk && Date.now() < this.#expiresAt - hubspotDeclaration.auth.refreshBeforeExpiryMs) return this.#sdk;
    const { Client } = await loadHubSpotSdk();
    if (credentials.accessToken) {
      this.#sdk = new Client({ accessToken: credentials.accessToken, basePath });
      return this.#sdk;
    }
    const token = await this.#options.limiter.schedule(() =>
      new Client({ basePath }).oauth.tokensApi.create('refresh_token', undefined, undefined, credentials.clientId, credentials.clientSecret, credentials.refreshToken),
    );
    this.#expiresAt = Date.now() + token.expiresIn * 1000;
    this.#sdk = new Client({ accessToken: token.accessToken, basePath });
    return this.#sdk;
  }
}

function record(object: { id: string; properties: Record<string, string | null> }): CrmRecord {
  return { id: object.id, properties: { ...object.properties } };
}
