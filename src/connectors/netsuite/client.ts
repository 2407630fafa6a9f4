import type Bottleneck from 'bottleneck';
import { HttpClient } from '../http/client.ts';
import type { HttpClientOptions, RetryEvent } from '../http/types.ts';
import { netsuiteBaseUrl, netsuiteDeclaration } from './declaration.ts';
import { toNetSuiteError } from './errors.ts';
import { tokenAuthSigner, type NetSuiteTokenCredentials } from './token-auth.ts';

export interface NetSuiteClientOptions {
  credentials: NetSuiteTokenCredentials;
  /** Default `https://<account>.suitetalk.api.netsuite.com`; a sandbox replaces it. */
  baseUrl?: string;
  /** The account's limiter: NetSuite's concurrency limit is per account, across integrations. */
  limiter: Bottleneck;
  onRetry?: (event: RetryEvent) => void;
  sleep?: HttpClientOptions['sleep'];
}

/** A record as the REST API answers it: references are `{ id, refName }`, numbers kept as their exact text. */
export type NetSuiteRecord = Record<string, unknown> & { id?: string; externalId?: string };

/** A record by its internal id, or by the external id the hub gave it. */
export type RecordRef = { id: string } | { externalId: string };

const refPath = (ref: RecordRef) => ('id' in ref ? encodeURIComponent(ref.id) : `eid:${encodeURIComponent(ref.externalId)}`);

/** The internal id at the end of a `Location` header (`…/record/v1/invoice/1234`). */
function idFromLocation(location: string | null, call: string): string {
  const id = location ? /\/([^/]+)\/?$/.exec(new URL(location, 'http://x').pathname)?.[1] : undefined;
  if (!id) throw new Error(`NetSuite ${call} answered without a Location naming the record`);
  return decodeURIComponent(id);
}

/**
 * NetSuite's REST record API through the hub's HTTP client: every attempt signed afresh
 * (token-based authentication), the account's limiter, 429 and gateway errors retried
 * (Retry-After when NetSuite sends one, backoff otherwise), and failures re-raised as
 * {@link NetSuiteCallError} with NetSuite's `o:errorDetails`.
 *
 * @example
 *   const ns = new NetSuiteClient({ credentials, limiter: createLimiter({ maxConcurrent: 5 }) });
 *   const id = await ns.upsert('invoice', 'hub-inv-…-r1', body, { replace: 'item' });
 */
export class NetSuiteClient {
  readonly #http: HttpClient;
  readonly #currencies = new Map<string, Promise<string | undefined>>();

  constructor(options: NetSuiteClientOptions) {
    const sign = tokenAuthSigner(options.credentials);
    this.#http = new HttpClient({
      vendor: netsuiteDeclaration.vendor,
      baseUrl: `${(options.baseUrl ?? netsuiteBaseUrl(options.credentials.accountId)).replace(/\/+$/, '')}${netsuiteDeclaration.recordPath}`,
      limiter: options.limiter,
      maxAttempts: netsuiteDeclaration.retry.maxAttempts,
      retryStatuses: netsuiteDeclaration.retry.statuses,
      retryAfterHeader: netsuiteDeclaration.retry.header,
      baseDelayMs: netsuiteDeclaration.retry.backoff.baseMs,
      maxDelayMs: netsuiteDeclaration.retry.backoff.maxMs,
      headers: (request) => ({ authorization: sign(request) }),
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
      ...(options.sleep ? { sleep: options.sleep } : {}),
    });
  }

  get stats() {
    return this.#http.stats;
  }

  async #call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw toNetSuiteError(err);
    }
  }

  /**
   * One record, or undefined when NetSuite has none (404). Sublists (an invoice's items,
   * a journal's lines) come back only as links unless `expand` asks for them.
   */
  getRecord(type: string, ref: RecordRef, options: { expand?: boolean } = {}): Promise<NetSuiteRecord | undefined> {
    return this.#call(async () => {
      const res = await this.#http.request<NetSuiteRecord>({
        call: `${type}.get`,
        path: `/${type}/${refPath(ref)}`,
        query: { expandSubResources: options.expand ? 'true' : undefined },
        expectedStatus: [200, 404],
        exactNumbers: true,
      });
      return res.status === 404 ? undefined : res.body;
    });
  }

  /** Creates a record; NetSuite answers 204 with its Location. */
  create(type: string, body: NetSuiteRecord): Promise<string> {
    return this.#call(async () => {
      const res = await this.#http.request({ call: `${type}.create`, method: 'POST', path: `/${type}`, body, expectedStatus: 204 });
      return idFromLocation(res.headers.get('location'), `${type}.create`);
    });
  }

  /**
   * Creates the record with this external id, or updates the one that has it: a repeat
   * after a lost answer lands on the same record. `replace` names sublists whose lines the
   * body replaces outright, so a repeat cannot append lines.
   */
  upsert(type: string, externalId: string, body: NetSuiteRecord, options: { replace?: string } = {}): Promise<string> {
    return this.#call(async () => {
      const res = await this.#http.request({
        call: `${type}.upsert`,
        method: 'PUT',
        path: `/${type}/${refPath({ externalId })}`,
        query: { replace: options.replace },
        body,
        expectedStatus: 204,
      });
      return idFromLocation(res.headers.get('location'), `${type}.upsert`);
    });
  }

  /** The ids of the records a `q` filter selects (`symbol IS "EUR"`), first page only. */
  findIds(type: string, q: string): Promise<string[]> {
    return this.#call(async () => {
      const res = await this.#http.request<{ items?: { id: string }[] }>({ call: `${type}.list`, path: `/${type}`, query: { q, limit: 1000 } });
      return (res.body?.items ?? []).map((i) => i.id);
    });
  }

  /** The internal id of a currency by its ISO code (NetSuite's `symbol`), looked up once per client. */
  currencyId(code: string): Promise<string | undefined> {
    let id = this.#currencies.get(code);
    if (!id) {
      id = this.findIds('currency', `symbol IS "${code}"`).then((ids) => ids[0]);
      id.catch(() => this.#currencies.delete(code));
      this.#currencies.set(code, id);
    }
    return id;
  }

  /**
   * Posts a journal entry exactly once: read back by its external id first (an entry
   * already posted, perhaps into a period since closed, is left alone), else upsert by
   * it, so a repeat after a lost answer finds the same entry. Build the body with
   * `toNetSuiteJournal`, which refuses one that does not balance.
   */
  async postJournal(journal: NetSuiteRecord & { externalId: string }): Promise<NetSuiteRecord> {
    const existing = await this.getRecord('journalEntry', { externalId: journal.externalId });
    if (existing) return existing;
    const id = await this.upsert('journalEntry', journal.externalId, journal, { replace: 'line' });
    const posted = await this.getRecord('journalEntry', { id });
    if (!posted) throw new Error(`NetSuite journalEntry ${id} vanished after it was posted`);
    return posted;
  }
}
