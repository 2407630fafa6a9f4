import type Bottleneck from 'bottleneck';
import { HttpClient } from '../http/client.ts';
import type { HttpClientOptions, RetryEvent } from '../http/types.ts';
import { autotaskDeclaration } from './declaration.ts';
import type { Condition } from './filter.ts';
import type { QueryResult } from './types.ts';

export interface AutotaskCredentials {
  username: string;
  secret: string;
  integrationCode: string;
}

export interface AutotaskClientOptions {
  credentials: AutotaskCredentials;
  /** The zone's REST root, `https://webservicesN.autotask.net/ATServicesRest/v1.0/`. */
  baseUrl: string;
  /**
   * The limiter of one object endpoint (`TimeEntries`, `Contracts`...), shared by every
   * client of the connection: the thread limit counts per integration code and endpoint,
   * and each endpoint's limiter is chained to the database's hourly budget.
   */
  limiterFor: (entity: string) => Bottleneck;
  onRetry?: (event: RetryEvent) => void;
  /** Injected by tests that must not wait real seconds. */
  sleep?: HttpClientOptions['sleep'];
}

export interface QueryRequest {
  filter: Condition;
  /** Must contain `id` when the result spans pages; added when missing. */
  includeFields?: readonly string[];
  maxRecords?: number;
}

export interface Page<T> {
  items: T[];
  nextPageUrl: string | null;
}

/**
 * Autotask PSA through the hub's HTTP client: the three auth headers on every call,
 * `POST {Entity}/query` with a JSON filter, `nextPageUrl` paging (the same body POSTed
 * to each next URL, every page fetched once), at most 3 requests in flight per endpoint
 * within the database's hourly budget. Reads retry 429 and 5xx with backoff; creates
 * and updates are made once per call, since a 500 may have been taken: the job that
 * writes reads Autotask back before trying again.
 */
export class AutotaskClient {
  readonly #options: AutotaskClientOptions;
  readonly #clients = new Map<string, HttpClient>();

  constructor(options: AutotaskClientOptions) {
    this.#options = options;
  }

  #http(entity: string, write: boolean): HttpClient {
    const key = `${entity}|${write ? 'write' : 'read'}`;
    let client = this.#clients.get(key);
    if (!client) {
      const { username, secret, integrationCode } = this.#options.credentials;
      client = new HttpClient({
        vendor: autotaskDeclaration.vendor,
        baseUrl: this.#options.baseUrl,
        limiter: this.#options.limiterFor(entity),
        maxAttempts: write ? 1 : autotaskDeclaration.retry.maxAttempts,
        retryStatuses: autotaskDeclaration.retry.statuses,
        retryAfterHeader: autotaskDeclaration.retry.header,
        headers: () => ({ ApiIntegrationCode: integrationCode, UserName: username, Secret: secret, accept: 'application/json' }),
        ...(this.#options.onRetry ? { onRetry: this.#options.onRetry } : {}),
        ...(this.#options.sleep ? { sleep: this.#options.sleep } : {}),
      });
      this.#clients.set(key, client);
    }
    return client;
  }

  /** The first page of a query, or the page at `nextPageUrl` (the same body POSTed again). */
  async page<T>(entity: string, request: QueryRequest, nextPageUrl?: string): Promise<Page<T>> {
    const maxRecords = request.maxRecords ?? autotaskDeclaration.paging.maxPageSize;
    if (!Number.isInteger(maxRecords) || maxRecords < 1 || maxRecords > autotaskDeclaration.paging.maxPageSize) {
      throw new RangeError(`Autotask MaxRecords must be 1 to ${autotaskDeclaration.paging.maxPageSize}, got ${maxRecords}`);
    }
    const fields = request.includeFields && !request.includeFields.includes('id') ? ['id', ...request.includeFields] : request.includeFields;
    const body = { MaxRecords: maxRecords, ...(fields ? { IncludeFields: fields } : {}), filter: [request.filter] };
    const response = await this.#http(entity, false).request<QueryResult<T>>({
      call: `${entity}.query`,
      method: 'POST',
      ...(nextPageUrl ? { url: nextPageUrl } : { path: `${entity}/query` }),
      body,
      exactNumbers: true,
    });
    const result = response.body;
    if (!result || !Array.isArray(result.items)) throw new Error(`Autotask ${entity}.query answered without items`);
    return { items: result.items, nextPageUrl: result.pageDetails?.nextPageUrl ?? null };
  }

  /** Every page of a query, each fetched once. */
  async *pages<T>(entity: string, request: QueryRequest): AsyncGenerator<Page<T>> {
    let next: string | undefined;
    for (;;) {
      const page = await this.page<T>(entity, request, next);
      yield page;
      if (!page.nextPageUrl) return;
      next = page.nextPageUrl;
    }
  }

  /** Every record a query matches. */
  async all<T>(entity: string, request: QueryRequest): Promise<T[]> {
    const out: T[] = [];
    for await (const page of this.pages<T>(entity, request)) out.push(...page.items);
    return out;
  }

  /** One record by id, or undefined when Autotask has none. */
  async get<T>(entity: string, id: number | string): Promise<T | undefined> {
    const response = await this.#http(entity, false).request<{ item: T | null }>({ call: `${entity}.get`, path: `${entity}/${id}`, expectedStatus: [200, 404], exactNumbers: true });
    return response.status === 404 ? undefined : (response.body?.item ?? undefined);
  }

  /** `POST /{Entity}`: the new record's id. */
  async create(entity: string, body: object): Promise<number> {
    const response = await this.#http(entity, true).request<{ itemId: number }>({ call: `${entity}.create`, method: 'POST', path: entity, body });
    return response.body.itemId;
  }

  /** `PATCH /{Entity}` with the record's id in the body: only the given fields change. */
  async update(entity: string, body: { id: number } & object): Promise<number> {
    const response = await this.#http(entity, true).request<{ itemId: number }>({ call: `${entity}.update`, method: 'PATCH', path: entity, body });
    return response.body.itemId;
  }
}
