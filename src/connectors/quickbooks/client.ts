import { setTimeout as sleep } from 'node:timers/promises';
import type Bottleneck from 'bottleneck';
import { createRequire } from 'node:module';
import { lazyImport } from '../../lazy-import.ts';
import { backoffDelay, parseRetryAfter } from '../http/retry.ts';
import { quickbooksDeclaration } from './declaration.ts';

export interface QuickBooksCredentials {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

export interface QuickBooksClientOptions {
  credentials: QuickBooksCredentials;
  realmId: string;
  /** node-quickbooks' endpoint, default https://quickbooks.api.intuit.com/v3/company/; a sandbox replaces it. */
  endpoint?: string;
  tokenUrl?: string;
  /** The realm's limiter: every call of this company waits its turn there. */
  limiter: Bottleneck;
  /** Intuit may hand back a new refresh token with any refresh: the caller stores it before it is used. */
  onRefreshToken: (refreshToken: string) => Promise<void>;
  onRetry?: (status: number, waitMs: number) => void;
  wait?: (ms: number) => Promise<void>;
}

export type QboEntity = Record<string, unknown> & { Id?: string; SyncToken?: string };

interface QboFaultBody {
  Fault?: { Error?: { Message?: string; Detail?: string; code?: string; element?: string }[]; type?: string };
}

/** A QuickBooks call that failed for good, with the Fault's codes and details. */
export class QuickBooksCallError extends Error {
  readonly status: number;
  readonly codes: string[];
  constructor(status: number, message: string, codes: string[] = []) {
    super(message);
    this.name = 'QuickBooksCallError';
    this.status = status;
    this.codes = codes;
  }
}

/** The callback surface of node-quickbooks the hub uses (its typings cover more, with looser types). */
interface QboSdk {
  endpoint: string;
  token: string;
  refreshToken: string | null;
  createCustomer(c: QboEntity, cb: Callback): void;
  findCustomers(criteria: Record<string, unknown>, cb: Callback): void;
  getCustomer(id: string, cb: Callback): void;
  updateCustomer(c: QboEntity, cb: Callback): void;
  createItem(i: QboEntity, cb: Callback): void;
  findItems(criteria: Record<string, unknown>, cb: Callback): void;
  createInvoice(i: QboEntity, cb: Callback): void;
  getInvoice(id: string, cb: Callback): void;
  findInvoices(criteria: Record<string, unknown>, cb: Callback): void;
  voidInvoice(i: QboEntity, cb: Callback): void;
  createJournalEntry(j: QboEntity, cb: Callback): void;
  findJournalEntries(criteria: Record<string, unknown>, cb: Callback): void;
  createCreditMemo(c: QboEntity, cb: Callback): void;
  findCreditMemos(criteria: Record<string, unknown>, cb: Callback): void;
  createPayment(p: QboEntity, cb: Callback): void;
  getPayment(id: string, cb: Callback): void;
}
type Callback = (err: unknown, data: unknown) => void;

// node-quickbooks is CommonJS (`module.exports = QuickBooks`) while its typings declare an
// ES default export, which TypeScript under nodenext reads as `{ default }`: load it as
// what it is and type the part the hub uses.
const loadQuickBooks = lazyImport(async () => createRequire(import.meta.url)('node-quickbooks') as new (...args: unknown[]) => QboSdk);

interface Failure {
  status: number;
  retryAfter: string | undefined;
  fault: QboFaultBody['Fault'] | undefined;
}

/** node-quickbooks hands back an AxiosError for HTTP errors, the body itself for a Fault inside a 200, or a network error. */
function failureOf(err: unknown): Failure | undefined {
  const e = err as { response?: { status?: number; headers?: Record<string, string>; data?: QboFaultBody }; Fault?: QboFaultBody['Fault'] };
  if (e?.response?.status) return { status: e.response.status, retryAfter: e.response.headers?.['retry-after'], fault: e.response.data?.Fault };
  if (e?.Fault) return { status: 200, retryAfter: undefined, fault: e.Fault };
  return undefined;
}

/**
 * QuickBooks Online through the official node-quickbooks SDK, pointed at `endpoint`.
 * This class adds what the SDK leaves to the caller: the realm's limiter (500 a minute,
 * 10 at a time), retries of 429/5xx (Retry-After when sent, else QuickBooks' documented
 * 60 s), and access tokens refreshed with the refresh token, whose successor is
 * persisted before it is used. Writes carry a `requestid` (the SDK moves `requestId`
 * from the entity to the query string).
 */
export class QuickBooksPostingClient {
  readonly #options: QuickBooksClientOptions;
  #sdk: QboSdk | undefined;
  #expiresAt = 0;
  #refreshing: Promise<void> | undefined;

  constructor(options: QuickBooksClientOptions) {
    this.#options = options;
  }

  async #client(): Promise<QboSdk> {
    const QuickBooks = await loadQuickBooks();
    if (!this.#sdk) {
      const { credentials, realmId, endpoint } = this.#options;
      this.#sdk = new QuickBooks(credentials.clientId, credentials.clientSecret, '', false, realmId, false, false, String(quickbooksDeclaration.minorVersion), '2.0', credentials.refreshToken);
      // The SDK copies its module-wide base URL into each instance: set this instance's, so two connections can point at two places.
      this.#sdk.endpoint = endpoint ?? quickbooksDeclaration.baseUrls.api;
    }
    return this.#sdk;
  }

  async findCustomerByName(displayName: string): Promise<QboEntity | undefined> {
    const data = await this.#call<{ QueryResponse: { Customer?: QboEntity[] } }>((sdk, cb) => sdk.findCustomers({ DisplayName: displayName }, cb));
    return data.QueryResponse.Customer?.[0];
  }

  async createCustomer(customer: QboEntity, requestId: string): Promise<QboEntity> {
    return this.#call((sdk, cb) => sdk.createCustomer({ ...customer, requestId }, cb));
  }

  async getCustomer(id: string): Promise<QboEntity> {
    return this.#call((sdk, cb) => sdk.getCustomer(id, cb));
  }

  /** A sparse update: only `fields` change; the SyncToken read with the customer guards against an edit made in between (5010). */
  async updateCustomer(id: string, syncToken: string, fields: QboEntity, requestId: string): Promise<QboEntity> {
    return this.#call((sdk, cb) => sdk.updateCustomer({ ...fields, Id: id, SyncToken: syncToken, sparse: true, requestId }, cb));
  }

  async findItemByName(name: string): Promise<QboEntity | undefined> {
    const data = await this.#call<{ QueryResponse: { Item?: QboEntity[] } }>((sdk, cb) => sdk.findItems({ Name: name }, cb));
    return data.QueryResponse.Item?.[0];
  }

  async createItem(item: QboEntity, requestId: string): Promise<QboEntity> {
    return this.#call((sdk, cb) => sdk.createItem({ ...item, requestId }, cb));
  }

  async findInvoiceByDocNumber(docNumber: string): Promise<QboEntity | undefined> {
    const data = await this.#call<{ QueryResponse: { Invoice?: QboEntity[] } }>((sdk, cb) => sdk.findInvoices({ DocNumber: docNumber }, cb));
    return data.QueryResponse.Invoice?.[0];
  }

  async getInvoice(id: string): Promise<QboEntity> {
    return this.#call((sdk, cb) => sdk.getInvoice(id, cb));
  }

  async findJournalEntryByDocNumber(docNumber: string): Promise<QboEntity | undefined> {
    const data = await this.#call<{ QueryResponse: { JournalEntry?: QboEntity[] } }>((sdk, cb) => sdk.findJournalEntries({ DocNumber: docNumber }, cb));
    return data.QueryResponse.JournalEntry?.[0];
  }

  async createJournalEntry(entry: QboEntity, requestId: string): Promise<QboEntity> {
    return this.#call((sdk, cb) => sdk.createJournalEntry({ ...entry, requestId }, cb));
  }

  async createInvoice(invoice: QboEntity, requestId: string): Promise<QboEntity> {
    return this.#call((sdk, cb) => sdk.createInvoice({ ...invoice, requestId }, cb));
  }

  /** Voids an invoice with its current SyncToken; one already voided ("Voided" note, zero total) is taken as done. */
  async voidInvoice(id: string, requestId: string): Promise<QboEntity> {
    const current = await this.getInvoice(id);
    if (isVoided(current)) return current;
    const data = await this.#call<{ Invoice: QboEntity }>((sdk, cb) => sdk.voidInvoice({ Id: id, SyncToken: current.SyncToken, requestId }, cb));
    return data.Invoice;
  }

  async findCreditMemoByDocNumber(docNumber: string): Promise<QboEntity | undefined> {
    const data = await this.#call<{ QueryResponse: { CreditMemo?: QboEntity[] } }>((sdk, cb) => sdk.findCreditMemos({ DocNumber: docNumber }, cb));
    return data.QueryResponse.CreditMemo?.[0];
  }

  async createCreditMemo(creditMemo: QboEntity, requestId: string): Promise<QboEntity> {
    return this.#call((sdk, cb) => sdk.createCreditMemo({ ...creditMemo, requestId }, cb));
  }

  async createPayment(payment: QboEntity, requestId: string): Promise<QboEntity> {
    return this.#call((sdk, cb) => sdk.createPayment({ ...payment, requestId }, cb));
  }

  async getPayment(id: string): Promise<QboEntity> {
    return this.#call((sdk, cb) => sdk.getPayment(id, cb));
  }

  async #call<T>(request: (sdk: QboSdk, cb: Callback) => void): Promise<T> {
    const { maxAttempts, statuses, throttledWaitMs, backoff } = quickbooksDeclaration.retry;
    const wait = this.#options.wait ?? ((ms: number) => sleep(ms));
    for (let attempt = 1; ; attempt++) {
      const sdk = await this.#client();
      await this.#ensureToken();
      try {
        return await this.#options.limiter.schedule(
          () =>
            new Promise<T>((resolve, reject) => {
              request(sdk, (err, data) => (err ? reject(err) : resolve(data as T)));
            }),
        );
      } catch (error) {
        const failure = failureOf(error);
        if (!failure) throw error;
        if (failure.status === 401 && attempt === 1) {
          this.#expiresAt = 0;
          continue;
        }
        const errors = failure.fault?.Error ?? [];
        if (!(statuses as readonly number[]).includes(failure.status) || attempt >= maxAttempts) {
          const detail = errors.map((e) => `${e.code ?? '?'} ${e.Detail ?? e.Message ?? ''}${e.element ? ` (${e.element})` : ''}`).join('; ');
          throw new QuickBooksCallError(failure.status, `QuickBooks answered ${failure.status}: ${detail || 'no Fault'}`, errors.map((e) => e.code ?? ''));
        }
        const delay = parseRetryAfter(failure.retryAfter) ?? (failure.status === 429 ? throttledWaitMs : backoffDelay(attempt, backoff));
        this.#options.onRetry?.(failure.status, delay);
        await wait(delay);
      }
    }
  }

  /** One refresh at a time: a rotated refresh token replaces the old one, so two parallel refreshes could leave the stored one dead. */
  async #ensureToken(): Promise<void> {
    if (Date.now() < this.#expiresAt - quickbooksDeclaration.auth.refreshBeforeExpiryMs) return;
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    await this.#refreshing;
  }

  async #refresh(): Promise<void> {
    const sdk = await this.#client();
    const { clientId, clientSecret } = this.#options.credentials;
    const response = await fetch(this.#options.tokenUrl ?? quickbooksDeclaration.baseUrls.token, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: sdk.refreshToken ?? '' }).toString(),
    });
    const token = (await response.json().catch(() => ({}))) as { access_token?: string; refresh_token?: string; expires_in?: number; error?: string };
    if (!response.ok || !token.access_token) {
      throw new QuickBooksCallError(response.status, `Intuit refused the refresh token (${token.error ?? response.status}): reconnect the QuickBooks connection`);
    }
    if (token.refresh_token && token.refresh_token !== sdk.refreshToken) {
      await this.#options.onRefreshToken(token.refresh_token);
      sdk.refreshToken = token.refresh_token;
    }
    sdk.token = token.access_token;
    this.#expiresAt = Date.now() + (token.expires_in ?? 3600) * 1000;
  }
}

export const isVoided = (invoice: QboEntity) => Number(invoice.TotalAmt) === 0 && String(invoice.PrivateNote ?? '').startsWith('Voided');
