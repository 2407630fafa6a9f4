import { setTimeout as sleep } from 'node:timers/promises';
import type Bottleneck from 'bottleneck';
import type { Allocation, Contact, CreditNote, Invoice, ManualJournal, XeroClient } from 'xero-node';
import { lazyImport } from '../../lazy-import.ts';
import { xeroEnum } from '../../mappings/xero/enum.ts';
import { backoffDelay, parseRetryAfter } from '../http/retry.ts';
import { xeroDeclaration } from './declaration.ts';

export interface XeroCredentials {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

export interface XeroClientOptions {
  credentials: XeroCredentials;
  tenantId: string;
  /** Default https://api.xero.com/api.xro/2.0; a sandbox replaces it. */
  apiUrl?: string;
  /** Default https://identity.xero.com/connect/token. */
  tokenUrl?: string;
  /** The connection's limiter: every call of this organisation waits its turn there. */
  limiter: Bottleneck;
  /** Xero's refresh tokens are single use: the caller must store each new one before using it. */
  onRefreshToken: (refreshToken: string) => Promise<void>;
  onRetry?: (status: number, waitMs: number) => void;
  wait?: (ms: number) => Promise<void>;
}

/** A Xero call that failed for good, with Xero's validation messages when it gave some. */
export class XeroCallError extends Error {
  readonly status: number;
  readonly validationErrors: string[];
  constructor(status: number, message: string, validationErrors: string[] = []) {
    super(message);
    this.name = 'XeroCallError';
    this.status = status;
    this.validationErrors = validationErrors;
  }
}

interface SdkFailure {
  response?: { statusCode?: number; headers?: Record<string, string>; body?: { Message?: string; Detail?: string; Elements?: { ValidationErrors?: { Message?: string }[] }[] } };
}

const loadXeroSdk = lazyImport(() => import('xero-node'));

/** xero-node rejects with a JSON string of the response; a network failure rejects with an Error. */
function parseFailure(error: unknown): SdkFailure | undefined {
  if (typeof error !== 'string') return undefined;
  try {
    return JSON.parse(error) as SdkFailure;
  } catch {
    return undefined;
  }
}

/**
 * Xero through the official xero-node SDK, pointed at `apiUrl`. This class adds what the
 * SDK leaves to the caller: the organisation's limiter (60 a minute, 5 at a time), retries
 * of 429/503 that honour Retry-After, and access tokens refreshed with the single-use
 * refresh token, whose successor is persisted before it is used.
 */
export class XeroPostingClient {
  readonly #options: XeroClientOptions;
  #sdk: XeroClient | undefined;
  #refreshToken: string;
  #expiresAt = 0;
  #refreshing: Promise<void> | undefined;

  constructor(options: XeroClientOptions) {
    this.#options = options;
    this.#refreshToken = options.credentials.refreshToken;
  }

  async #client(): Promise<XeroClient> {
    const { XeroClient } = await loadXeroSdk();
    if (!this.#sdk) {
      this.#sdk = new XeroClient();
      if (this.#options.apiUrl) this.#sdk.accountingApi.basePath = this.#options.apiUrl;
    }
    return this.#sdk;
  }

  async findContactByNumber(contactNumber: string): Promise<Contact | undefined> {
    const { body } = await this.#call((api, tenant) => api.getContacts(tenant, undefined, `ContactNumber=="${contactNumber.replace(/"/g, '')}"`));
    return body.contacts?.[0];
  }

  async createContact(contact: Contact, idempotencyKey: string): Promise<Contact> {
    const { body } = await this.#call((api, tenant) => api.createContacts(tenant, { contacts: [contact] }, true, idempotencyKey));
    return body.contacts![0]!;
  }

  async findContactById(contactId: string): Promise<Contact | undefined> {
    try {
      const { body } = await this.#call((api, tenant) => api.getContact(tenant, contactId));
      return body.contacts?.[0];
    } catch (error) {
      if (error instanceof XeroCallError && error.status === 404) return undefined;
      throw error;
    }
  }

  /** Changes the fields of a contact that `contact` carries (Xero replaces an address of the type sent as a whole). */
  async updateContact(contactId: string, contact: Contact, idempotencyKey: string): Promise<Contact> {
    const { body } = await this.#call((api, tenant) => api.updateContact(tenant, contactId, { contacts: [{ ...contact, contactID: contactId }] }, idempotencyKey));
    return body.contacts![0]!;
  }

  async findInvoiceByNumber(invoiceNumber: string): Promise<Invoice | undefined> {
    const { body } = await this.#call((api, tenant) => api.getInvoices(tenant, undefined, undefined, undefined, undefined, [invoiceNumber]));
    return body.invoices?.find((i) => i.invoiceNumber === invoiceNumber);
  }

  /** A sales invoice by its exact Reference (where an invoice mapping puts the hub number there). */
  async findInvoiceByReference(reference: string): Promise<Invoice | undefined> {
    const { body } = await this.#call((api, tenant) => api.getInvoices(tenant, undefined, `Reference=="${reference.replace(/"/g, '')}"`));
    return body.invoices?.find((i) => i.reference === reference);
  }

  async findInvoiceById(invoiceId: string): Promise<Invoice | undefined> {
    const { body } = await this.#call((api, tenant) => api.getInvoice(tenant, invoiceId));
    return body.invoices?.[0];
  }

  /** A manual journal by its exact narration (the hub puts its idempotency key there, as ManualJournals have no reference field). */
  async findManualJournalByNarration(narration: string): Promise<ManualJournal | undefined> {
    const { body } = await this.#call((api, tenant) => api.getManualJournals(tenant, undefined, `Narration=="${narration.replace(/"/g, '')}"`));
    return body.manualJournals?.find((j) => j.narration === narration);
  }

  async createManualJournal(journal: ManualJournal, idempotencyKey: string): Promise<ManualJournal> {
    const { body } = await this.#call((api, tenant) => api.createManualJournals(tenant, { manualJournals: [journal] }, true, idempotencyKey));
    return body.manualJournals![0]!;
  }

  async createInvoice(invoice: Invoice, idempotencyKey: string): Promise<Invoice> {
    const { body } = await this.#call((api, tenant) => api.createInvoices(tenant, { invoices: [invoice] }, true, undefined, idempotencyKey));
    return body.invoices![0]!;
  }

  /**
   * Voids an invoice. Xero replays an Idempotency-Key for 6 minutes only, and refuses to
   * void an invoice twice: when a re-run after that finds it refused, it reads the invoice
   * back and takes an already VOIDED one as done.
   */
  async voidInvoice(invoiceId: string, idempotencyKey: string): Promise<Invoice> {
    try {
      const { body } = await this.#call((api, tenant) => api.updateInvoice(tenant, invoiceId, { invoices: [{ invoiceID: invoiceId, status: xeroEnum<typeof Invoice.StatusEnum>('VOIDED') }] }, undefined, idempotencyKey));
      return body.invoices![0]!;
    } catch (err) {
      if (!(err instanceof XeroCallError) || err.status !== 400) throw err;
      const current = await this.findInvoiceById(invoiceId);
      if (current && String(current.status) === 'VOIDED') return current;
      throw err;
    }
  }

  async findCreditNoteByNumber(creditNoteNumber: string): Promise<CreditNote | undefined> {
    const { body } = await this.#call((api, tenant) => api.getCreditNotes(tenant, undefined, `CreditNoteNumber=="${creditNoteNumber.replace(/"/g, '')}"`));
    return body.creditNotes?.find((c) => c.creditNoteNumber === creditNoteNumber);
  }

  async createCreditNote(creditNote: CreditNote, idempotencyKey: string): Promise<CreditNote> {
    const { body } = await this.#call((api, tenant) => api.createCreditNotes(tenant, { creditNotes: [creditNote] }, true, undefined, idempotencyKey));
    return body.creditNotes![0]!;
  }

  async allocateCreditNote(creditNoteId: string, allocation: Allocation, idempotencyKey: string): Promise<Allocation> {
    const { body } = await this.#call((api, tenant) => api.createCreditNoteAllocation(tenant, creditNoteId, { allocations: [allocation] }, true, idempotencyKey));
    return body.allocations![0]!;
  }

  async #call<T>(request: (api: XeroClient['accountingApi'], tenantId: string) => Promise<T>): Promise<T> {
    const { maxAttempts, statuses, header, backoff } = xeroDeclaration.retry;
    const wait = this.#options.wait ?? ((ms: number) => sleep(ms));
    for (let attempt = 1; ; attempt++) {
      const sdk = await this.#client();
      await this.#ensureToken();
      try {
        return await this.#options.limiter.schedule(() => request(sdk.accountingApi, this.#options.tenantId));
      } catch (error) {
        const failure = parseFailure(error);
        if (!failure?.response?.statusCode) throw error;
        const status = failure.response.statusCode;
        if (status === 401 && attempt === 1) {
          this.#expiresAt = 0;
          continue;
        }
        if (!(statuses as readonly number[]).includes(status) || attempt >= maxAttempts) {
          const body = failure.response.body;
          const messages = (body?.Elements ?? []).flatMap((e) => (e.ValidationErrors ?? []).map((v) => v.Message ?? ''));
          throw new XeroCallError(status, `Xero answered ${status}: ${[body?.Message ?? body?.Detail ?? 'no message', ...messages].join('; ')}`, messages);
        }
        const delay = parseRetryAfter(failure.response.headers?.[header]) ?? backoffDelay(attempt, backoff);
        this.#options.onRetry?.(status, delay);
        await wait(delay);
      }
    }
  }

  /** One refresh at a time: the refresh token is single use, so a second concurrent refresh would fail with invalid_grant. */
  async #ensureToken(): Promise<void> {
    if (Date.now() < this.#expiresAt - xeroDeclaration.auth.refreshBeforeExpiryMs) return;
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    await this.#refreshing;
  }

  async #refresh(): Promise<void> {
    const { clientId, clientSecret } = this.#options.credentials;
    const response = await fetch(this.#options.tokenUrl ?? xeroDeclaration.baseUrls.token, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.#refreshToken }).toString(),
    });
    const token = (await response.json().catch(() => ({}))) as { access_token?: string; refresh_token?: string; expires_in?: number; error?: string };
    if (!response.ok || !token.access_token || !token.refresh_token) {
      throw new XeroCallError(response.status, `Xero refused the refresh token (${token.error ?? response.status}): reconnect the Xero connection`);
    }
    await this.#options.onRefreshToken(token.refresh_token);
    this.#refreshToken = token.refresh_token;
    this.#expiresAt = Date.now() + (token.expires_in ?? 1800) * 1000;
    (await this.#client()).setTokenSet({ access_token: token.access_token, refresh_token: token.refresh_token, expires_in: token.expires_in ?? 1800, token_type: 'Bearer' });
  }
}
