import { randomUUID } from 'node:crypto';
import type Bottleneck from 'bottleneck';
import { HttpClient } from '../http/client.ts';
import { VendorCallError, isVendorAuthError } from '../http/errors.ts';
import { createLimiter } from '../http/limits.ts';
import { redactUrl } from '../http/redact-url.ts';
import { parseRetryAfter } from '../http/retry.ts';
import type { HttpClientOptions, HttpClientStats, HttpLogger, RetryEvent } from '../http/types.ts';
import { TokenProvider } from './auth.ts';
import type { GrantMode, PartnerCenterCredentials } from './auth.ts';
import { partnerCenterDeclaration as declaration } from './declaration.ts';
import { ConsentLapsedError } from './errors.ts';
import { readJsonLines } from './json-lines.ts';
import type { JsonLine } from './json-lines.ts';
import { decodeCursor, resolveLink, toPage } from './paging.ts';
import type { PartnerCenterCollection, PartnerCenterLink, PartnerCenterPage } from './paging.ts';
import type {
  AttributeSet,
  BillingExportSource,
  BillingManifest,
  ExportOperationResult,
  GdapAccessAssignment,
  GdapRelationship,
  LegacyUsageSource,
  PartnerCenterCustomer,
  PartnerCenterInvoice,
  PartnerCenterLineItem,
  PartnerCenterSubscription,
  SubscribedSku,
} from './types.ts';

/** One limiter per upstream of a partner connection; hold them with the connection. */
export interface PartnerCenterLimiters {
  partnerCenter: Bottleneck;
  graph: Bottleneck;
  authority: Bottleneck;
  blob: Bottleneck;
}

/** Limiters at the documented (or, where none is published, conservative) rates. */
export function createPartnerCenterLimiters(): PartnerCenterLimiters {
  return {
    partnerCenter: createLimiter(declaration.limits.partnerCenter),
    graph: createLimiter(declaration.limits.graph),
    authority: createLimiter(declaration.limits.authority),
    blob: createLimiter(declaration.limits.blob),
  };
}

export interface PartnerCenterClientOptions {
  credentials: PartnerCenterCredentials;
  /** Partner Center REST origin (paths start with `/v1`). */
  baseUrl?: string;
  /** Graph root including the version, e.g. `https://graph.microsoft.com/v1.0`. */
  graphBaseUrl?: string;
  /** Entra ID authority, e.g. `https://login.microsoftonline.com`. */
  authorityUrl?: string;
  /** When set, blob URLs from a manifest are re-rooted on this origin (sandbox storage). */
  blobBaseUrl?: string;
  /**
   * Grant per API. Default: Partner Center app + user when a refresh token is
   * configured (else app-only); Graph app-only (`PartnerBilling.Read.All`).
   */
  authModes?: { partnerCenter?: GrantMode; graph?: GrantMode };
  limiters?: Partial<PartnerCenterLimiters>;
  /** Share one provider (and its token cache) between clients of the same connection. */
  tokenProvider?: TokenProvider;
  onRefreshTokenRotated?: (refreshToken: string) => Promise<void> | void;
  /** Sent as MS-CorrelationId on every Partner Center call; one per sync run is useful. */
  correlationId?: string;
  /** Sent as MS-PartnerCenter-Application. */
  applicationName?: string;
  customersPageSize?: number;
  lineItemsPageSize?: number;
  poll?: { intervalMs?: number; maxIntervalMs?: number; timeoutMs?: number };
  maxAttempts?: number;
  timeoutMs?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  maxRetryAfterMs?: number;
  onRetry?: (event: RetryEvent & { api: 'partner-center' | 'graph' | 'blob' }) => void;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
  fetch?: typeof fetch;
  logger?: HttpLogger;
}

export interface PartnerCenterClientStats {
  partnerCenter: HttpClientStats;
  graph: HttpClientStats;
  blob: HttpClientStats;
}

interface PageRequest {
  call: string;
  url: string;
  method: string;
  headers: Record<string, string>;
}

interface OperationBody {
  id?: string;
  status?: string;
  createdDateTime?: string;
  lastActionDateTime?: string;
  error?: { code?: unknown; message?: unknown };
  'resourceLocation@odata.navigationLink'?: string;
}

const BILLING_REPORTS = '/reports/partners/billing';
const GDAP_RELATIONSHIPS = '/tenantRelationships/delegatedAdminRelationships';

/**
 * Partner Center and its Graph billing exports for one partner connection.
 * Lists are async iterators of pages; each page carries the cursor of the next,
 * so a job can save it and resume where it stopped.
 *
 * @example
 * const pc = new PartnerCenterClient({ credentials, onRefreshTokenRotated: save });
 * for await (const page of pc.customers()) await upsertCustomers(page.items, page.cursor);
 * const operationId = await pc.exportUsage({ kind: 'billed', invoiceId: 'G016907411' });
 * const done = await pc.pollOperation(operationId);
 * if (done.status === 'succeeded') {
 *   const manifest = await pc.readManifest(done.manifestId);
 *   for (const url of pc.blobUrls(manifest)) for await (const line of pc.streamUsageBlob(url)) save(line);
 * }
 */
export class PartnerCenterClient {
  readonly #tokens: TokenProvider;
  readonly #pc: HttpClient;
  readonly #graph: HttpClient;
  readonly #blob: HttpClient;
  /** Graph in each customer's tenant (GDAP), one client per tenant for its own token. */
  readonly #customerGraph = new Map<string, HttpClient>();
  readonly #customerGraphOptions: HttpClientOptions;
  readonly #baseUrl: string;
  readonly #graphBaseUrl: string;
  readonly #blobBaseUrl: string | undefined;
  readonly #correlationId: string;
  readonly #applicationName: string | undefined;
  readonly #customersPageSize: number;
  readonly #lineItemsPageSize: number;
  readonly #poll: { intervalMs: number; maxIntervalMs: number; timeoutMs: number };
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #logger: HttpLogger | undefined;
  #warnedLegacyUsage = false;

  constructor(options: PartnerCenterClientOptions) {
    this.#baseUrl = (options.baseUrl ?? declaration.baseUrls.partnerCenter).replace(/\/+$/, '');
    this.#graphBaseUrl = (options.graphBaseUrl ?? declaration.baseUrls.graph).replace(/\/+$/, '');
    this.#blobBaseUrl = options.blobBaseUrl;
    this.#correlationId = options.correlationId ?? randomUUID();
    this.#applicationName = options.applicationName;
    this.#customersPageSize = options.customersPageSize ?? declaration.paging.customersPageSize;
    this.#lineItemsPageSize = options.lineItemsPageSize ?? declaration.paging.lineItemsPageSize;
    this.#poll = {
      intervalMs: options.poll?.intervalMs ?? 5_000,
      maxIntervalMs: options.poll?.maxIntervalMs ?? 60_000,
      timeoutMs: options.poll?.timeoutMs ?? 2 * 60 * 60_000,
    };
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger;

    const limiters: PartnerCenterLimiters = { ...createPartnerCenterLimiters(), ...definedValues(options.limiters ?? {}) };
    const shared = {
      retryStatuses: declaration.retry.statuses,
      retryAfterHeader: declaration.retry.header,
      ...pick(options, ['maxAttempts', 'timeoutMs', 'baseDelayMs', 'maxDelayMs', 'maxRetryAfterMs', 'sleep', 'random', 'now', 'fetch', 'logger']),
    } satisfies Partial<HttpClientOptions>;
    const onRetry = (api: 'partner-center' | 'graph' | 'blob') =>
      options.onRetry ? (event: RetryEvent) => options.onRetry?.({ ...event, api }) : undefined;

    this.#tokens =
      options.tokenProvider ??
      new TokenProvider({
        credentials: options.credentials,
        limiter: limiters.authority,
        ...(options.authorityUrl !== undefined && { authorityUrl: options.authorityUrl }),
        ...(options.onRefreshTokenRotated && { onRefreshTokenRotated: options.onRefreshTokenRotated }),
        ...pick(options, ['fetch', 'sleep', 'random', 'now', 'logger', 'maxAttempts', 'timeoutMs']),
      });

    const pcMode = options.authModes?.partnerCenter ?? (options.credentials.refreshToken ? 'app+user' : 'app-only');
    const graphMode = options.authModes?.graph ?? 'app-only';
    this.#pc = new HttpClient({
      ...shared,
      vendor: declaration.vendor,
      baseUrl: this.#baseUrl,
      limiter: limiters.partnerCenter,
      headers: this.#tokens.authorizationHeaders('partner-center', pcMode),
      onUnauthorized: () => this.#tokens.invalidate('partner-center', pcMode),
      ...optional('onRetry', onRetry('partner-center')),
    });
    this.#graph = new HttpClient({
      ...shared,
      vendor: declaration.vendor,
      baseUrl: this.#graphBaseUrl,
      limiter: limiters.graph,
      headers: this.#tokens.authorizationHeaders('graph', graphMode),
      onUnauthorized: () => this.#tokens.invalidate('graph', graphMode),
      ...optional('onRetry', onRetry('graph')),
    });
    // GDAP admits a partner user, not an app alone, into a customer's tenant: app + user there.
    this.#customerGraphOptions = { ...shared, vendor: declaration.vendor, baseUrl: this.#graphBaseUrl, limiter: limiters.graph, ...optional('onRetry', onRetry('graph')) };
    // Blob URLs carry their own SAS token; sending a bearer token there would leak it.
    this.#blob = new HttpClient({
      ...shared,
      vendor: declaration.vendor,
      baseUrl: this.#blobBaseUrl ?? 'https://blob.core.windows.net',
      limiter: limiters.blob,
      ...optional('onRetry', onRetry('blob')),
    });
  }

  get stats(): PartnerCenterClientStats {
    return { partnerCenter: this.#pc.stats, graph: this.#graph.stats, blob: this.#blob.stats };
  }

  get tokenProvider(): TokenProvider {
    return this.#tokens;
  }

  /**
   * The partner's customers, page by page. Resume with the `continuationToken` (or
   * `cursor`) of the last page you stored.
   */
  customers(
    options: { continuationToken?: string; cursor?: string; size?: number } = {},
  ): AsyncGenerator<PartnerCenterPage<PartnerCenterCustomer>> {
    const size = options.size ?? this.#customersPageSize;
    const first: PageRequest = options.continuationToken
      ? this.#pageRequest('customers.list', '/customers', { size, seekOperation: 'Next' }, {
          [declaration.headers.continuationToken]: options.continuationToken,
        })
      : this.#pageRequest('customers.list', '/customers', { size });
    return this.#pages<PartnerCenterCustomer>(first, options.cursor, { exactNumbers: false });
  }

  /** A customer's subscriptions. A lapsed relationship raises {@link ConsentLapsedError}. */
  subscriptions(customerId: string, options: { cursor?: string } = {}): AsyncGenerator<PartnerCenterPage<PartnerCenterSubscription>> {
    const first = this.#pageRequest('subscriptions.list', `/customers/${encodeURIComponent(customerId)}/subscriptions`, {});
    return this.#pages<PartnerCenterSubscription>(first, options.cursor, { exactNumbers: false, customerId });
  }

  invoices(options: { cursor?: string } = {}): AsyncGenerator<PartnerCenterPage<PartnerCenterInvoice>> {
    return this.#pages<PartnerCenterInvoice>(this.#pageRequest('invoices.list', '/invoices', {}), options.cursor, {
      exactNumbers: true,
    });
  }

  /** New-commerce reconciliation lines of one invoice (`provider=onetime`, `billinglineitems`). */
  billedLineItems(invoiceId: string, options: { cursor?: string; size?: number } = {}): AsyncGenerator<PartnerCenterPage<PartnerCenterLineItem>> {
    const first = this.#pageRequest('invoices.billedLineItems', `/invoices/${encodeURIComponent(invoiceId)}/lineitems`, {
      provider: 'onetime',
      invoicelineitemtype: 'billinglineitems',
      size: options.size ?? this.#lineItemsPageSize,
    });
    return this.#pages<PartnerCenterLineItem>(first, options.cursor, { exactNumbers: true });
  }

  /** New-commerce charges not invoiced yet, for the current or previous calendar month. */
  unbilledLineItems(options: {
    currency: string;
    period: 'current' | 'previous';
    cursor?: string;
    size?: number;
  }): AsyncGenerator<PartnerCenterPage<PartnerCenterLineItem>> {
    const first = this.#pageRequest('invoices.unbilledLineItems', '/invoices/unbilled/lineitems', {
      provider: 'onetime',
      invoicelineitemtype: 'billinglineitems',
      currencycode: options.currency,
      period: options.period,
      size: options.size ?? this.#lineItemsPageSize,
    });
    return this.#pages<PartnerCenterLineItem>(first, options.cursor, { exactNumbers: true });
  }

  /**
   * Daily rated usage through the synchronous v1 `usagelineitems` paging. Microsoft is
   * retiring it in favour of {@link exportUsage}; use it only for periods the export
   * does not serve, or when the export is unavailable.
   */
  usageLineItems(source: LegacyUsageSource, options: { cursor?: string; size?: number } = {}): AsyncGenerator<PartnerCenterPage<PartnerCenterLineItem>> {
    if (!this.#warnedLegacyUsage) {
      this.#warnedLegacyUsage = true;
      this.#logger?.warn({ vendor: declaration.vendor }, 'using the retiring v1 usagelineitems API; prefer the Graph usage export');
    }
    const query =
      source.kind === 'billed'
        ? { provider: 'onetime', invoicelineitemtype: 'usagelineitems', currencycode: source.currency, size: options.size ?? this.#lineItemsPageSize }
        : {
            provider: 'onetime',
            invoicelineitemtype: 'usagelineitems',
            currencycode: source.currency,
            period: source.period,
            size: options.size ?? this.#lineItemsPageSize,
          };
    const invoice = source.kind === 'billed' ? encodeURIComponent(source.invoiceId) : 'unbilled';
    const first = this.#pageRequest(`invoices.${source.kind}UsageLineItems`, `/invoices/${invoice}/lineitems`, query);
    return this.#pages<PartnerCenterLineItem>(first, options.cursor, { exactNumbers: true });
  }

  /** Starts a Graph export of daily rated usage; returns the operation id to poll. */
  exportUsage(source: BillingExportSource, options: { attributeSet?: AttributeSet } = {}): Promise<string> {
    return this.#startExport('usage', source, options.attributeSet ?? 'full');
  }

  /** Starts a Graph export of new-commerce invoice reconciliation lines. */
  exportReconciliation(source: BillingExportSource, options: { attributeSet?: AttributeSet } = {}): Promise<string> {
    return this.#startExport('reconciliation', source, options.attributeSet ?? 'full');
  }

  /**
   * Polls an export until it succeeds or fails, waiting what the server's
   * `Retry-After` asks or else backing off from `poll.intervalMs` to `poll.maxIntervalMs`.
   * A failed export is a result, not an exception: "No data available" is normal.
   */
  async pollOperation(operationId: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ExportOperationResult> {
    const timeoutMs = options.timeoutMs ?? this.#poll.timeoutMs;
    let waited = 0;
    for (let polls = 1; ; polls++) {
      const state = await this.operationStatus(operationId, { polls, ...(options.signal && { signal: options.signal }) });
      if (state.status !== 'running') return state;
      if (waited + state.retryAfterMs > timeoutMs) {
        const path = `${BILLING_REPORTS}/operations/${encodeURIComponent(operationId)}`;
        throw new VendorCallError({
          vendor: declaration.vendor,
          call: 'billing.operations.get',
          method: 'GET',
          url: `${this.#graphBaseUrl}${path}`,
          attempts: polls,
          retryable: true,
          reason: 'timeout',
          message: `${declaration.vendor} billing.operations.get failed: export ${operationId} still ${state.reported || 'pending'} after ${polls} polls over ${Math.round(waited / 1000)} s`,
        });
      }
      waited += state.retryAfterMs;
      await this.#sleep(state.retryAfterMs);
    }
  }

  /**
   * One read of an export's status: its result once it succeeded or failed, else how
   * long to wait before the next read (the server's `Retry-After`, or the client's
   * backoff for the `polls`-th read). For callers that wait elsewhere, e.g. a job that
   * comes back later rather than holding a worker while Microsoft works.
   */
  async operationStatus(
    operationId: string,
    options: { polls?: number; signal?: AbortSignal } = {},
  ): Promise<ExportOperationResult | { id: string; status: 'running'; reported: string; retryAfterMs: number; polls: number }> {
    const polls = options.polls ?? 1;
    const path = `${BILLING_REPORTS}/operations/${encodeURIComponent(operationId)}`;
    const { body, headers } = await this.#graph.request<OperationBody | undefined>({
      call: 'billing.operations.get',
      path,
      ...(options.signal && { signal: options.signal }),
    });
    const status = String(body?.status ?? '').toLowerCase();
    const dates = {
      ...(body?.createdDateTime !== undefined && { createdDateTime: body.createdDateTime }),
      ...(body?.lastActionDateTime !== undefined && { lastActionDateTime: body.lastActionDateTime }),
    };
    // Documented as `completed` in the resource page and `succeeded` in the example.
    if (status === 'succeeded' || status === 'completed') {
      const manifestUrl = body?.['resourceLocation@odata.navigationLink'];
      if (typeof manifestUrl !== 'string' || manifestUrl === '') {
        throw this.#invalid('billing.operations.get', 'GET', `${this.#graphBaseUrl}${path}`, 'succeeded without a manifest link');
      }
      return { id: operationId, status: 'succeeded', manifestId: lastSegment(manifestUrl), manifestUrl, ...dates, polls };
    }
    if (status === 'failed') {
      const error = { code: String(body?.error?.code ?? ''), message: String(body?.error?.message ?? '') };
      return { id: operationId, status: 'failed', error, ...dates, polls };
    }
    const retryAfterMs =
      parseRetryAfter(headers.get(declaration.retry.header), this.#now()) ??
      Math.min(this.#poll.maxIntervalMs, this.#poll.intervalMs * 2 ** (polls - 1));
    return { id: operationId, status: 'running', reported: status, retryAfterMs, polls };
  }

  /** The manifest of a finished export, by id or by the operation's navigation link. */
  async readManifest(manifestIdOrUrl: string): Promise<BillingManifest> {
    // Always rebuilt on the configured Graph root: the bearer token goes nowhere else.
    const id = /^https?:\/\//i.test(manifestIdOrUrl) ? lastSegment(manifestIdOrUrl) : manifestIdOrUrl;
    const path = `${BILLING_REPORTS}/manifests/${encodeURIComponent(id)}`;
    const { body } = await this.#graph.request<BillingManifest | undefined>({ call: 'billing.manifests.get', path });
    if (!body || typeof body.rootDirectory !== 'string' || typeof body.sasToken !== 'string' || !Array.isArray(body.blobs)) {
      throw this.#invalid('billing.manifests.get', 'GET', `${this.#graphBaseUrl}${path}`, 'manifest lacks rootDirectory, sasToken or blobs');
    }
    return body;
  }

  /** The partner's GDAP relationships (Microsoft Graph), every page. */
  async delegatedAdminRelationships(): Promise<GdapRelationship[]> {
    return this.#graphCollection<GdapRelationship>('gdap.relationships.list', `${GDAP_RELATIONSHIPS}?$top=300`);
  }

  /** The access assignments of one relationship: which roles its security groups hold. */
  async accessAssignments(relationshipId: string): Promise<GdapAccessAssignment[]> {
    return this.#graphCollection<GdapAccessAssignment>('gdap.accessAssignments.list', `${GDAP_RELATIONSHIPS}/${encodeURIComponent(relationshipId)}/accessAssignments?$top=300`);
  }

  /**
   * The licences of a customer's tenant (Graph `subscribedSkus`), read through GDAP with a token
   * from the customer's own authority. Needs a relationship granting at least Directory Readers.
   */
  async subscribedSkus(customerTenantId: string): Promise<SubscribedSku[]> {
    const tenant = customerTenantId.toLowerCase();
    let graph = this.#customerGraph.get(tenant);
    if (!graph) {
      graph = new HttpClient({
        ...this.#customerGraphOptions,
        headers: this.#tokens.authorizationHeaders('graph', 'app+user', tenant),
        onUnauthorized: () => this.#tokens.invalidate('graph', 'app+user', tenant),
      });
      this.#customerGraph.set(tenant, graph);
    }
    return this.#graphCollection<SubscribedSku>('graph.subscribedSkus.list', '/subscribedSkus', graph);
  }

  /** A Graph collection followed through `@odata.nextLink`, each link re-rooted on the configured Graph root. */
  async #graphCollection<T>(call: string, firstPath: string, graph: HttpClient = this.#graph): Promise<T[]> {
    const items: T[] = [];
    const seen = new Set<string>();
    for (let path: string | undefined = firstPath; path !== undefined; ) {
      const response = await graph.request<{ value?: T[]; '@odata.nextLink'?: string } | undefined>({ call, path });
      const body = response.body;
      if (!body || !Array.isArray(body.value)) throw this.#invalid(call, 'GET', `${this.#graphBaseUrl}${path}`, 'the answer has no value array');
      items.push(...body.value);
      const next: string | undefined = body['@odata.nextLink'];
      if (!next) break;
      // The bearer token goes to the configured Graph root only, whatever host the link names.
      const link: URL = new URL(next);
      const version = new URL(this.#graphBaseUrl).pathname.replace(/\/+$/, '');
      path = `${link.pathname.startsWith(version) ? link.pathname.slice(version.length) : link.pathname}${link.search}`;
      if (seen.has(path)) throw this.#invalid(call, 'GET', `${this.#graphBaseUrl}${path}`, 'the next-page link repeats an earlier one');
      seen.add(path);
    }
    return items;
  }

  /** The download URL of every blob in a manifest: root directory + name + SAS token. */
  blobUrls(manifest: BillingManifest): string[] {
    const root = manifest.rootDirectory.replace(/\/+$/, '');
    const sas = manifest.sasToken.replace(/^\?/, '');
    return manifest.blobs.map((blob) => {
      const url = new URL(`${root}/${blob.name.replace(/^\/+/, '')}`);
      if (sas !== '') url.search = url.search ? `${url.search}&${sas}` : `?${sas}`;
      if (this.#blobBaseUrl !== undefined) {
        const base = new URL(this.#blobBaseUrl);
        url.protocol = base.protocol;
        url.host = base.host;
      }
      return url.toString();
    });
  }

  /**
   * The usage lines of one blob (gzipped JSON Lines), streamed: decompressed and
   * parsed as bytes arrive, one object per line, numbers as exact text.
   */
  async *streamUsageBlob(blobUrl: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<JsonLine> {
    const { body } = await this.#blob.request({
      call: 'usage.blob',
      url: blobUrl,
      responseType: 'stream',
      ...(options.signal && { signal: options.signal }),
    });
    const url = redactUrl(blobUrl);
    yield* readJsonLines(
      body,
      ({ line, cause }) =>
        new VendorCallError({
          vendor: declaration.vendor,
          call: 'usage.blob',
          method: 'GET',
          url,
          attempts: 1,
          retryable: false,
          reason: 'invalid_response',
          message: `${declaration.vendor} usage.blob failed: line ${line} is not a JSON object`,
          cause,
        }),
      (cause) =>
        new VendorCallError({
          vendor: declaration.vendor,
          call: 'usage.blob',
          method: 'GET',
          url,
          attempts: 1,
          retryable: true,
          reason: 'invalid_response',
          message: `${declaration.vendor} usage.blob failed: blob is not valid gzip`,
          cause,
        }),
    );
  }

  async #startExport(dataset: 'usage' | 'reconciliation', source: BillingExportSource, attributeSet: AttributeSet): Promise<string> {
    const path = `${BILLING_REPORTS}/${dataset}/${source.kind}/export`;
    const body =
      source.kind === 'billed'
        ? { invoiceId: source.invoiceId, attributeSet }
        : { currencyCode: source.currencyCode, billingPeriod: source.billingPeriod, attributeSet };
    const call = `billing.${dataset}.${source.kind}.export`;
    const response = await this.#graph.request({ call, method: 'POST', path, body, expectedStatus: 202 });
    const location = response.headers.get('location');
    if (!location) throw this.#invalid(call, 'POST', `${this.#graphBaseUrl}${path}`, '202 Accepted without a Location header');
    return lastSegment(location);
  }

  #pageRequest(call: string, path: string, query: Record<string, string | number | undefined>, headers: Record<string, string> = {}): PageRequest {
    const url = new URL(resolveLink(this.#baseUrl, path));
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value));
    return { call, url: url.toString(), method: 'GET', headers };
  }

  #linkRequest(call: string, link: PartnerCenterLink): PageRequest {
    const headers: Record<string, string> = {};
    for (const { key, value } of link.headers ?? []) headers[key] = value;
    return { call, url: resolveLink(this.#baseUrl, link.uri), method: (link.method ?? 'GET').toUpperCase(), headers };
  }

  async *#pages<T>(
    first: PageRequest,
    cursor: string | undefined,
    options: { exactNumbers: boolean; customerId?: string },
  ): AsyncGenerator<PartnerCenterPage<T>> {
    let request = cursor === undefined ? first : this.#linkRequest(first.call, decodeCursor(cursor));
    const seen = new Set<string>(cursor === undefined ? [] : [cursor]);
    for (;;) {
      const body = await this.#partnerCenter<PartnerCenterCollection<T> | undefined>(request, options);
      const page = toPage(body);
      yield page;
      const next = body?.links?.next;
      if (!next || page.cursor === undefined) return;
      // A server that hands back the same link forever would otherwise loop forever.
      if (seen.has(page.cursor)) {
        throw this.#invalid(request.call, request.method, request.url, 'the next-page link repeats an earlier one');
      }
      seen.add(page.cursor);
      request = this.#linkRequest(first.call, next);
    }
  }

  async #partnerCenter<T>(request: PageRequest, options: { exactNumbers: boolean; customerId?: string }): Promise<T> {
    const headers: Record<string, string> = {
      // One request id per logical call, reused by every retry: Partner Center's idempotency key.
      [declaration.headers.requestId]: randomUUID(),
      [declaration.headers.correlationId]: this.#correlationId,
      ...(this.#applicationName !== undefined && { [declaration.headers.application]: this.#applicationName }),
      ...request.headers,
    };
    try {
      const { body } = await this.#pc.request<T>({
        call: request.call,
        method: request.method,
        url: request.url,
        headers,
        exactNumbers: options.exactNumbers,
      });
      return body;
    } catch (error) {
      if (options.customerId !== undefined && isVendorAuthError(error) && error.status === 403) {
        throw new ConsentLapsedError(options.customerId, error.toInit());
      }
      throw error;
    }
  }

  #invalid(call: string, method: string, url: string, detail: string): VendorCallError {
    return new VendorCallError({
      vendor: declaration.vendor,
      call,
      method,
      url: redactUrl(url),
      attempts: 1,
      retryable: false,
      reason: 'invalid_response',
      message: `${declaration.vendor} ${call} failed: ${detail}`,
    });
  }
}

function definedValues<T extends object>(source: T): Partial<T> {
  return Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function lastSegment(url: string): string {
  const path = new URL(url, 'https://placeholder.invalid').pathname;
  const segment = path.split('/').filter(Boolean).pop();
  if (!segment) throw new TypeError(`no id in ${redactUrl(url)}`);
  return decodeURIComponent(segment);
}

// Copies only the options that are set, so an absent option never overrides a default with undefined.
function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
