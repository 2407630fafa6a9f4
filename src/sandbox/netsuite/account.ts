/**
 * One NetSuite account as the sandbox keeps it: the setup records an MSP maps to
 * (accounts, departments, classes, locations, currencies, a subsidiary, tax codes) and
 * the records the hub writes (customers, non-inventory sale items, invoices, credit
 * memos, journal entries), with the REST record API's rules as documented: references
 * are `{ id }`, an external id is unique per record type, invalid values are refused
 * with `INVALID_CONTENT` naming the field's path, a journal must balance.
 */
import { Decimal, ZERO, sum } from '../../engine/decimal.ts';

export type NsRecord = Record<string, unknown> & { id: string; externalId?: string };

export interface NsErrorDetail {
  detail: string;
  'o:errorCode': string;
  'o:errorPath'?: string;
}

/** A refusal in NetSuite's shape: the HTTP status and its `o:errorDetails`. */
export class NsError extends Error {
  readonly status: number;
  readonly details: NsErrorDetail[];
  constructor(status: number, details: NsErrorDetail[]) {
    super(details.map((d) => d.detail).join('; '));
    this.status = status;
    this.details = details;
  }
}

const invalid = (path: string, value: unknown) =>
  new NsError(400, [{ detail: `Error while accessing resource: You have entered an Invalid Field Value ${String(value)} for the following field: ${path.replace(/^.*\./, '')}`, 'o:errorCode': 'INVALID_CONTENT', 'o:errorPath': path }]);
const missing = (path: string) => new NsError(400, [{ detail: `Error while accessing resource: Please enter value(s) for: ${path}`, 'o:errorCode': 'USER_ERROR', 'o:errorPath': path }]);
export const notFound = () => new NsError(404, [{ detail: 'The record instance does not exist. Provide a valid record instance ID.', 'o:errorCode': 'NONEXISTENT_ID' }]);

export const SANDBOX_NS_ACCOUNTS = [
  { id: '119', acctNumber: '1100', acctName: 'Accounts Receivable', acctType: 'AcctRec' },
  { id: '54', acctNumber: '4000', acctName: 'Licence revenue', acctType: 'Income' },
  { id: '55', acctNumber: '4010', acctName: 'Azure consumption revenue', acctType: 'Income' },
  { id: '56', acctNumber: '4100', acctName: 'Services revenue', acctType: 'Income' },
  { id: '58', acctNumber: '2400', acctName: 'Deferred revenue', acctType: 'DeferRevenue' },
] as const;
export const SANDBOX_NS_DEPARTMENTS = [
  { id: '1', name: 'Operations' },
  { id: '5', name: 'Engineering' },
] as const;
export const SANDBOX_NS_CLASSES = [
  { id: '3', name: 'Managed services' },
  { id: '4', name: 'Cloud' },
] as const;
export const SANDBOX_NS_LOCATIONS = [
  { id: '1', name: 'London' },
  { id: '2', name: 'New York' },
] as const;
export const SANDBOX_NS_CURRENCIES = [
  { id: '1', symbol: 'USD', name: 'US Dollar' },
  { id: '2', symbol: 'GBP', name: 'British pound' },
  { id: '4', symbol: 'EUR', name: 'Euro' },
] as const;
export const SANDBOX_NS_SUBSIDIARIES = [{ id: '1', name: 'Parent Company' }] as const;
export const SANDBOX_NS_TAX_CODES = [
  { id: '11', itemId: 'S-GB', rate: '20.0%' },
  { id: '12', itemId: 'E-GB', rate: '0.0%' },
] as const;

const money = (d: Decimal) => Number(d.toFixed(2));
const idOf = (v: unknown) => (v && typeof v === 'object' && 'id' in v ? String((v as { id: unknown }).id) : undefined);

export class NetSuiteAccount {
  readonly accountId: string;
  readonly #records = new Map<string, Map<string, NsRecord>>();
  #nextId = 1000;
  #nextTranId = 1;
  readonly #now: () => Date;

  constructor(accountId: string, now: () => Date) {
    this.accountId = accountId;
    this.#now = now;
    const seed = (type: string, rows: readonly Record<string, string>[]) => rows.forEach((r) => this.#store(type).set(r.id!, { ...r } as NsRecord));
    seed('account', SANDBOX_NS_ACCOUNTS);
    seed('department', SANDBOX_NS_DEPARTMENTS);
    seed('classification', SANDBOX_NS_CLASSES);
    seed('location', SANDBOX_NS_LOCATIONS);
    seed('currency', SANDBOX_NS_CURRENCIES);
    seed('subsidiary', SANDBOX_NS_SUBSIDIARIES);
    seed('salesTaxItem', SANDBOX_NS_TAX_CODES);
  }

  #store(type: string): Map<string, NsRecord> {
    let store = this.#records.get(type);
    if (!store) this.#records.set(type, (store = new Map()));
    return store;
  }

  /** Every record of a type (the sandbox's inspection surface for tests). */
  all(type: string): NsRecord[] {
    return [...this.#store(type).values()];
  }

  get(type: string, ref: { id: string } | { externalId: string }): NsRecord | undefined {
    if ('id' in ref) return this.#store(type).get(ref.id);
    return this.all(type).find((r) => r.externalId === ref.externalId);
  }

  /** The ids a `q` filter of the form `field IS value` selects (the one operator the hub uses). */
  list(type: string, q: string | undefined): string[] {
    if (!q) return this.all(type).map((r) => r.id);
    const m = /^\s*(\w+)\s+IS\s+"?([^"]*)"?\s*$/i.exec(q);
    if (!m) throw new NsError(400, [{ detail: `Invalid query: ${q}`, 'o:errorCode': 'INVALID_PARAMETER', 'o:errorPath': 'q' } as NsErrorDetail]);
    return this.all(type).filter((r) => String(r[m[1]!] ?? '') === m[2]).map((r) => r.id);
  }

  /** Creates a record, or (with `externalId` in the path) upserts the one that has it. Answers the internal id. */
  write(type: string, body: Record<string, unknown>, options: { externalId?: string; replace?: string[] } = {}): string {
    const writer = WRITERS[type];
    if (!writer) throw new NsError(400, [{ detail: `Record type ${type} is not supported by the sandbox`, 'o:errorCode': 'INVALID_ID' } as NsErrorDetail]);
    if (options.externalId !== undefined && body.externalId !== undefined && body.externalId !== options.externalId) throw invalid('externalId', body.externalId);
    const externalId = options.externalId ?? (body.externalId as string | undefined);
    const existing = externalId === undefined ? undefined : this.get(type, { externalId });
    if (existing && options.externalId === undefined) throw new NsError(400, [{ detail: `A record with external ID ${externalId} already exists.`, 'o:errorCode': 'DUP_RCRD', 'o:errorPath': 'externalId' } as NsErrorDetail]);
    const merged: Record<string, unknown> = existing ? { ...existing, ...body } : { ...body };
    if (existing) {
      // Sublists are merged by default: lines sent are added unless the sublist is named in `replace`.
      for (const sublist of ['item', 'line']) {
        const sent = (body[sublist] as { items?: unknown[] } | undefined)?.items;
        const had = (existing[sublist] as { items?: unknown[] } | undefined)?.items;
        if (sent && had && !options.replace?.includes(sublist)) merged[sublist] = { items: [...had, ...sent] };
      }
    }
    const id = existing?.id ?? String(this.#nextId++);
    const record = writer.call(this, { ...merged, id, ...(externalId === undefined ? {} : { externalId }) } as NsRecord, existing);
    this.#store(type).set(id, record);
    return id;
  }

  #need(type: string, value: unknown, path: string, required = true): void {
    const id = idOf(value);
    if (id === undefined) {
      if (required) throw missing(path);
      return;
    }
    if (!this.#store(type).has(id)) throw invalid(path, id);
  }

  #dimensions(line: Record<string, unknown>, path: string): void {
    this.#need('department', line.department, `${path}.department`, false);
    this.#need('classification', line.class, `${path}.class`, false);
    this.#need('location', line.location, `${path}.location`, false);
  }

  #stamp(record: NsRecord, existing: NsRecord | undefined): NsRecord {
    const now = this.#now().toISOString();
    return { ...record, createdDate: existing?.createdDate ?? now, lastModifiedDate: now };
  }

  #salesLines(record: NsRecord): { items: Record<string, unknown>[]; subtotal: Decimal } {
    const items = (record.item as { items?: Record<string, unknown>[] } | undefined)?.items;
    if (!items || items.length === 0) throw missing('item');
    items.forEach((l, i) => {
      const path = `item.items[${i}]`;
      const id = idOf(l.item);
      if (id === undefined) throw missing(`${path}.item`);
      if (!this.#store('nonInventorySaleItem').has(id)) throw invalid(`${path}.item`, id);
      if (typeof l.amount !== 'number' || !Number.isFinite(l.amount)) throw invalid(`${path}.amount`, l.amount);
      this.#dimensions(l, path);
      this.#need('salesTaxItem', l.taxCode, `${path}.taxCode`, false);
    });
    return { items, subtotal: sum(items.map((l) => new Decimal(String(l.amount)))) };
  }

  #salesHeader(record: NsRecord): void {
    this.#need('customer', record.entity, 'entity');
    this.#need('currency', record.currency, 'currency');
    this.#need('subsidiary', record.subsidiary, 'subsidiary', false);
    this.#dimensions(record, 'body');
    if (typeof record.tranDate !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(record.tranDate)) throw invalid('tranDate', record.tranDate);
  }

  writeInvoice(record: NsRecord, existing: NsRecord | undefined): NsRecord {
    this.#salesHeader(record);
    const { subtotal } = this.#salesLines(record);
    const credited = existing ? new Decimal(String(existing.total ?? 0)).minus(String(existing.amountRemaining ?? 0)) : ZERO;
    const remaining = subtotal.minus(credited);
    return this.#stamp(
      {
        ...record,
        tranId: existing?.tranId ?? `INV${String(this.#nextTranId++).padStart(5, '0')}`,
        // Tax is SuiteTax's to compute; the sandbox books none, so total = subtotal.
        subtotal: money(subtotal),
        total: money(subtotal),
        amountRemaining: money(remaining),
        status: { id: remaining.isZero() ? 'B' : 'A', refName: remaining.isZero() ? 'Paid In Full' : 'Open' },
      },
      existing,
    );
  }

  writeCreditMemo(record: NsRecord, existing: NsRecord | undefined): NsRecord {
    this.#salesHeader(record);
    const { subtotal } = this.#salesLines(record);
    const applies = (record.apply as { items?: { doc?: unknown; apply?: boolean; amount?: number }[] } | undefined)?.items ?? [];
    let applied = ZERO;
    if (!existing) {
      applies.forEach((a, i) => {
        if (!a.apply) return;
        const invoice = this.#store('invoice').get(idOf(a.doc) ?? '');
        if (!invoice || idOf(invoice.entity) !== idOf(record.entity)) throw invalid(`apply.items[${i}].doc`, idOf(a.doc));
        const amount = new Decimal(String(a.amount ?? 0));
        const remaining = new Decimal(String(invoice.amountRemaining));
        if (amount.greaterThan(remaining) || amount.greaterThan(subtotal.minus(applied))) throw invalid(`apply.items[${i}].amount`, a.amount);
        applied = applied.plus(amount);
        const left = remaining.minus(amount);
        this.#store('invoice').set(invoice.id, { ...invoice, amountRemaining: money(left), status: { id: left.isZero() ? 'B' : 'A', refName: left.isZero() ? 'Paid In Full' : 'Open' } });
      });
    }
    return this.#stamp({ ...record, tranId: existing?.tranId ?? `CM${String(this.#nextTranId++).padStart(5, '0')}`, subtotal: money(subtotal), total: money(subtotal), applied: existing?.applied ?? money(applied) }, existing);
  }

  writeJournalEntry(record: NsRecord, existing: NsRecord | undefined): NsRecord {
    this.#need('currency', record.currency, 'currency');
    this.#need('subsidiary', record.subsidiary, 'subsidiary', false);
    const lines = (record.line as { items?: Record<string, unknown>[] } | undefined)?.items ?? [];
    if (lines.length < 2) throw missing('line');
    let debits = ZERO;
    let credits = ZERO;
    lines.forEach((l, i) => {
      const path = `line.items[${i}]`;
      this.#need('account', l.account, `${path}.account`);
      this.#need('customer', l.entity, `${path}.entity`, false);
      this.#dimensions(l, path);
      const sides = (['debit', 'credit'] as const).filter((s) => l[s] !== undefined);
      if (sides.length !== 1 || typeof l[sides[0]!] !== 'number' || (l[sides[0]!] as number) <= 0) throw invalid(`${path}.${sides[0] ?? 'debit'}`, l[sides[0] ?? 'debit']);
      const amount = new Decimal(String(l[sides[0]!]));
      if (sides[0] === 'debit') debits = debits.plus(amount);
      else credits = credits.plus(amount);
    });
    if (!debits.equals(credits)) throw new NsError(400, [{ detail: 'Error while accessing resource: The total of debit lines must equal the total of credit lines.', 'o:errorCode': 'USER_ERROR', 'o:errorPath': 'line' }]);
    return this.#stamp({ ...record, tranId: existing?.tranId ?? `JE${String(this.#nextTranId++).padStart(5, '0')}`, approved: true }, existing);
  }

  writeCustomer(record: NsRecord, existing: NsRecord | undefined): NsRecord {
    if (typeof record.companyName !== 'string' || record.companyName === '') throw missing('companyName');
    this.#need('subsidiary', record.subsidiary, 'subsidiary', false);
    return this.#stamp({ ...record, entityId: record.companyName }, existing);
  }

  writeItem(record: NsRecord, existing: NsRecord | undefined): NsRecord {
    if (typeof record.itemId !== 'string' || record.itemId === '') throw missing('itemId');
    this.#need('account', record.incomeAccount, 'incomeAccount');
    const account = this.#store('account').get(idOf(record.incomeAccount)!);
    if (account?.acctType !== 'Income' && account?.acctType !== 'DeferRevenue') throw invalid('incomeAccount', account?.id);
    return this.#stamp(record, existing);
  }

  /** `{ id, refName }` for references the sandbox can name, as GET answers them. */
  refName(type: string, id: string): string | undefined {
    const r = this.#store(type).get(id);
    return r ? String(r.name ?? r.acctName ?? r.companyName ?? r.itemId ?? r.symbol ?? r.tranId ?? id) : undefined;
  }
}

const WRITERS: Record<string, (this: NetSuiteAccount, record: NsRecord, existing: NsRecord | undefined) => NsRecord> = {
  invoice: NetSuiteAccount.prototype.writeInvoice,
  creditMemo: NetSuiteAccount.prototype.writeCreditMemo,
  journalEntry: NetSuiteAccount.prototype.writeJournalEntry,
  customer: NetSuiteAccount.prototype.writeCustomer,
  nonInventorySaleItem: NetSuiteAccount.prototype.writeItem,
};
