import type Bottleneck from 'bottleneck';
import { HttpClient } from '../http/client.ts';
import type { HttpClientOptions, RetryEvent } from '../http/types.ts';
import type { Condition } from './conditions.ts';
import { connectwiseDeclaration } from './declaration.ts';
import { nextLink } from './link-header.ts';
import type { PatchOperation } from './types.ts';

export interface ConnectWiseCredentials {
  companyId: string;
  publicKey: string;
  privateKey: string;
  clientId: string;
}

export interface ConnectWiseClientOptions {
  credentials: ConnectWiseCredentials;
  /** The REST root, `https://{site}/{codebase}apis/3.0` (see {@link apiBaseUrl}). */
  baseUrl: string;
  apiVersion?: string;
  limiter: Bottleneck;
  onRetry?: (event: RetryEvent) => void;
  /** Injected by tests that must not wait real seconds. */
  sleep?: HttpClientOptions['sleep'];
}

export interface PageRequest {
  conditions?: Condition;
  fields?: readonly string[];
  pageSize?: number;
  /** Resume after this id (forward-only paging's cursor). */
  pageId?: number;
}

export interface Page<T> {
  items: T[];
  /** The pageId of the next page, or null on the last one. */
  nextPageId: number | null;
}

/** `https://api-na.myconnectwise.net` from `api-na.myconnectwise.net`; a given scheme (a sandbox's http) is kept. */
export function siteOrigin(site: string): string {
  return (/^https?:\/\//i.test(site) ? site : `https://${site}`).replace(/\/+$/, '');
}

/** The REST root for a site and codebase (`v2025_1/`, as company info spells it). */
export function apiBaseUrl(site: string, codebase: string): string {
  const cb = codebase.replace(/^\/+/, '').replace(/\/*$/, '/');
  return `${siteOrigin(site)}/${cb}${connectwiseDeclaration.apiPath}`;
}

/**
 * ConnectWise PSA through the hub's HTTP client: API-member basic auth plus the clientId
 * header on every call, a pinned model version, forward-only paging (pageSize ≤ 1,000,
 * each page fetched once), and 429/5xx retried with Retry-After or backoff.
 */
export class ConnectWiseClient {
  readonly #http: HttpClient;

  constructor(options: ConnectWiseClientOptions) {
    const { companyId, publicKey, privateKey, clientId } = options.credentials;
    const basic = Buffer.from(`${companyId}+${publicKey}:${privateKey}`).toString('base64');
    const accept = connectwiseDeclaration.acceptHeader(options.apiVersion ?? connectwiseDeclaration.defaultApiVersion);
    this.#http = new HttpClient({
      vendor: connectwiseDeclaration.vendor,
      baseUrl: options.baseUrl,
      limiter: options.limiter,
      maxAttempts: connectwiseDeclaration.retry.maxAttempts,
      retryStatuses: connectwiseDeclaration.retry.statuses,
      retryAfterHeader: connectwiseDeclaration.retry.header,
      headers: () => ({ authorization: `Basic ${basic}`, clientid: clientId, accept }),
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    });
  }

  get stats() {
    return this.#http.stats;
  }

  /** One forward-only page of a list endpoint. */
  async page<T>(call: string, path: string, request: PageRequest = {}): Promise<Page<T>> {
    const pageSize = request.pageSize ?? connectwiseDeclaration.paging.maxPageSize;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > connectwiseDeclaration.paging.maxPageSize) {
      throw new RangeError(`ConnectWise pageSize must be 1 to ${connectwiseDeclaration.paging.maxPageSize}, got ${pageSize}`);
    }
    const { header } = connectwiseDeclaration.paging;
    const response = await this.#http.request<T[]>({
      call,
      path,
      headers: { [header.name]: header.value },
      query: {
        pageSize,
        conditions: request.conditions?.text,
        fields: request.fields?.join(','),
        pageId: request.pageId,
      },
      exactNumbers: true,
    });
    const next = nextLink(response.headers.get('link'));
    const nextPageId = next === undefined ? null : Number(new URL(next).searchParams.get('pageId'));
    if (nextPageId !== null && !Number.isInteger(nextPageId)) throw new Error(`ConnectWise ${call}: next link without a pageId: ${next}`);
    return { items: response.body ?? [], nextPageId };
  }

  /** Every page of a list from `request.pageId` on, each fetched once. */
  async *pages<T>(call: string, path: string, request: PageRequest = {}): AsyncGenerator<Page<T>> {
    let pageId = request.pageId;
    for (;;) {
      const page = await this.page<T>(call, path, { ...request, ...(pageId === undefined ? {} : { pageId }) });
      yield page;
      if (page.nextPageId === null) return;
      pageId = page.nextPageId;
    }
  }

  /** One record, or undefined when ConnectWise answers 404. */
  async get<T>(call: string, path: string): Promise<T | undefined> {
    const response = await this.#http.request<T>({ call, path, expectedStatus: [200, 404], exactNumbers: true });
    return response.status === 404 ? undefined : response.body;
  }

  /** A JSON-Patch-like update; paths are top-level and case-sensitive. */
  async patch<T>(call: string, path: string, operations: readonly PatchOperation[]): Promise<T> {
    return (await this.#http.request<T>({ call, path, method: 'PATCH', body: operations, exactNumbers: true })).body;
  }

  async post<T>(call: string, path: string, body: unknown): Promise<T> {
    return (await this.#http.request<T>({ call, path, method: 'POST', body, exactNumbers: true })).body;
  }
}
