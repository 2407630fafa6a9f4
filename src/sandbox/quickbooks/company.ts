/**
 * One QuickBooks Online company (realm) as the sandbox keeps it: accounts, classes,
 * departments, tax codes, customers, items and invoices, with QuickBooks' validation
 * rules as documented and its answers in its PascalCase shapes (refs are
 * `{ value, name }`, ids and SyncToken strings).
 */
import { Decimal } from '../../engine/decimal.ts';

export type QboObject = Record<string, unknown>;

/** A QuickBooks Fault: answered as HTTP 400 `{ Fault: { Error: [...], type } }`. */
export class QboFault extends Error {
  readonly errors: { Message: string; Detail: string; code: string; element?: string }[];
  readonly type: string;
  constructor(errors: { Message: string; Detail: string; code: string; element?: string }[], type = 'ValidationFault') {
    super(errors.map((e) => e.Detail).join('; '));
    this.errors = errors;
    this.type = type;
  }
}

const fault = (code: string, Message: string, Detail: string, element = '') => new QboFault([{ Message, Detail, code, element }]);

export const SANDBOX_QBO_ACCOUNTS = [
  { Id: '79', Name: 'Sales of Product Income', AccountType: 'Income' },
  { Id: '80', Name: 'Licence revenue', AccountType: 'Income' },
  { Id: '81', Name: 'Services', AccountType: 'Income' },
  { Id: '90', Name: 'Deferred revenue', AccountType: 'Other Current Liability' },
] as const;
export const SANDBOX_QBO_CLASSES = [
  { Id: '5000000000000012345', Name: 'Web' },
  { Id: '5000000000000012346', Name: 'Finance' },
  { Id: '5000000000000012347', Name: 'Unallocated' },
] as const;
export const SANDBOX_QBO_DEPARTMENTS = [
  { Id: '1', Name: 'North' },
  { Id: '2', Name: 'South' },
] as const;
/** A US company: sales tax codes TAX and NON (the amounts are computed by automated sales tax, not here). */
export const SANDBOX_QBO_TAX_CODES = ['TAX', 'NON'] as const;
export const SANDBOX_QBO_CURRENCIES = ['USD', 'EUR', 'GBP'] as const;

const money = (d: Decimal) => Number(d.toFixed(2));
const refOf = (v: unknown) => (v && typeof v === 'object' ? String((v as { value?: unknown }).value ?? '') : '');

export class QuickBooksCompany {
  readonly realmId: string;
  readonly customers = new Map<string, QboObject>();
  readonly items = new Map<string, QboObject>();
  readonly invoices = new Map<string, QboObject>();
  /** Entities kept outside this file (journal entries...), listed for queries by lowercased name. */
  readonly extensions = new Map<string, () => QboObject[]>();
  /** Entities kept by modules beside this one (credit memos, payments), queryable like the rest: lower-cased entity → its name and rows. */
  readonly collections = new Map<string, { name: string; rows: Map<string, QboObject> }>();
  #nextId = 100;
  readonly #now: () => Date;

  constructor(realmId: string, now: () => Date) {
    this.realmId = realmId;
    this.#now = now;
  }

  #id(): string {
    return String(this.#nextId++);
  }

  #meta(): QboObject {
    const stamp = this.#now().toISOString();
    return { CreateTime: stamp, LastUpdatedTime: stamp };
  }

  list(entity: string): QboObject[] {
    switch (entity.toLowerCase()) {
      case 'account':
        return SANDBOX_QBO_ACCOUNTS.map((a) => ({ ...a, Active: true, SyncToken: '0' }));
      case 'class':
        return SANDBOX_QBO_CLASSES.map((c) => ({ ...c, FullyQualifiedName: c.Name, Active: true, SyncToken: '0' }));
      case 'department':
        return SANDBOX_QBO_DEPARTMENTS.map((d) => ({ ...d, FullyQualifiedName: d.Name, Active: true, SyncToken: '0' }));
      case 'customer':
        return [...this.customers.values()];
      case 'item':
        return [...this.items.values()];
      case 'invoice':
        return [...this.invoices.values()];
      default: {
        const extension = this.extensions.get(entity.toLowerCase());
        if (extension) return extension();
        if (this.collections.has(entity.toLowerCase())) return [...this.collections.get(entity.toLowerCase())!.rows.values()];
        throw fault('4000', 'Error parsing query', `QueryParserError: Invalid entity ${entity}`);
      }
    }
  }

  createCustomer(input: QboObject): QboObject {
    const name = typeof input.DisplayName === 'string' ? input.DisplayName.trim() : '';
    if (!name) throw fault('2020', 'Required param missing, need to supply the required value for the API', 'Required parameter DisplayName is missing in the request', 'DisplayName');
    if ([...this.customers.values()].some((c) => c.DisplayName === name)) {
      throw fault('6240', 'Duplicate Name Exists Error', `The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name.`);
    }
    const currency = refOf(input.CurrencyRef) || 'USD';
    const customer: QboObject = { ...input, Id: this.#id(), SyncToken: '0', DisplayName: name, Active: true, CurrencyRef: { value: currency }, Balance: 0, MetaData: this.#meta() };
    this.customers.set(customer.Id as string, customer);
    return customer;
  }

  readCustomer(id: string): QboObject {
    const customer = this.customers.get(id);
    if (!customer) throw new QboFault([{ Message: 'Object Not Found', Detail: `Object Not Found : Something you're trying to use has been made inactive or deleted. Check the fields with accounts, customers, items, vendors or employees.`, code: '610' }]);
    return customer;
  }

  /**
   * An update through the API: `Id` and the current `SyncToken` are required (a stale one
   * is QuickBooks' 5010); `sparse: true` changes only the fields sent (a nested aggregate
   * such as BillAddr is taken whole), otherwise every writable field not sent is cleared.
   */
  updateCustomer(input: QboObject): QboObject {
    const current = this.readCustomer(String(input.Id ?? ''));
    if (input.SyncToken === undefined) throw fault('2020', 'Required param missing, need to supply the required value for the API', 'Required parameter SyncToken is missing in the request', 'SyncToken');
    if (String(input.SyncToken) !== current.SyncToken) {
      throw fault('5010', 'Stale Object Error', 'Stale Object Error : You and another user were working on the same thing. Please try again');
    }
    const { Id: _id, SyncToken: _token, sparse, MetaData: _meta, ...fields } = input;
    const kept = sparse === true ? current : Object.fromEntries(Object.entries(current).filter(([k]) => ['Id', 'DisplayName', 'Active', 'CurrencyRef', 'Balance', 'MetaData'].includes(k)));
    return this.editCustomer(current, kept, fields);
  }

  /** A change as a person makes it in QuickBooks (the sandbox's control API): the fields sent replace the customer's, SyncToken and LastUpdatedTime move on. */
  editCustomer(current: QboObject, base: QboObject, fields: QboObject): QboObject {
    const meta = current.MetaData as QboObject;
    const next: QboObject = { ...base, ...fields, Id: current.Id, SyncToken: String(Number(current.SyncToken) + 1), MetaData: { ...meta, LastUpdatedTime: this.#now().toISOString() } };
    this.customers.set(next.Id as string, next);
    return next;
  }

  createItem(input: QboObject): QboObject {
    const name = typeof input.Name === 'string' ? input.Name.trim() : '';
    if (!name) throw fault('2020', 'Required param missing, need to supply the required value for the API', 'Required parameter Name is missing in the request', 'Name');
    if ([...this.items.values()].some((i) => i.Name === name)) throw fault('6240', 'Duplicate Name Exists Error', 'The name supplied already exists. : Another product or service is already using this name.');
    const type = (input.Type as string | undefined) ?? 'Service';
    const account = refOf(input.IncomeAccountRef);
    if ((type === 'Service' || type === 'NonInventory') && !account) {
      throw fault('2020', 'Required param missing, need to supply the required value for the API', 'Required parameter IncomeAccountRef is missing in the request', 'IncomeAccountRef');
    }
    if (account && !SANDBOX_QBO_ACCOUNTS.some((a) => a.Id === account)) throw fault('2500', 'Invalid Reference Id', `Invalid Reference Id : Accounts element id ${account} not found`);
    const item: QboObject = { ...input, Id: this.#id(), SyncToken: '0', Name: name, Type: type, Active: true, FullyQualifiedName: name, MetaData: this.#meta() };
    this.items.set(item.Id as string, item);
    return item;
  }

  createInvoice(input: QboObject): QboObject {
    const invoice = this.salesDocument(input);
    this.invoices.set(invoice.Id as string, invoice);
    return invoice;
  }

  /** A sales transaction (invoice, credit memo) checked as QuickBooks checks it, with its id, subtotal line and totals; not stored. */
  salesDocument(input: QboObject): QboObject {
    const customer = this.customers.get(refOf(input.CustomerRef));
    if (!customer) throw fault('2500', 'Invalid Reference Id', `Invalid Reference Id : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.`, 'CustomerRef');
    const docNumber = typeof input.DocNumber === 'string' ? input.DocNumber : undefined;
    if (docNumber && docNumber.length > 21) throw fault('6000', 'A business validation error has occurred while processing your request', 'Business Validation Error: DocNumber is longer than 21 characters', 'DocNumber');
    const currency = refOf(input.CurrencyRef) || 'USD';
    if (!(SANDBOX_QBO_CURRENCIES as readonly string[]).includes(currency)) throw fault('2500', 'Invalid Reference Id', `Invalid Reference Id : Currency ${currency} not found`, 'CurrencyRef');
    if (refOf(customer.CurrencyRef) !== currency) {
      throw fault('6000', 'A business validation error has occurred while processing your request', `Business Validation Error: The currency of the transaction (${currency}) must match the customer's currency (${refOf(customer.CurrencyRef)}).`);
    }
    const department = refOf(input.DepartmentRef);
    if (department && !SANDBOX_QBO_DEPARTMENTS.some((d) => d.Id === department)) throw fault('2500', 'Invalid Reference Id', `Invalid Reference Id : Departments element id ${department} not found`, 'DepartmentRef');
    const lines = Array.isArray(input.Line) ? (input.Line as QboObject[]) : [];
    if (lines.length === 0) throw fault('6000', 'A business validation error has occurred while processing your request', 'Business Validation Error: You must fill out at least one split line.');
    let subTotal = new Decimal(0);
    const stored = lines.map((line, i) => {
      if (line.DetailType !== 'SalesItemLineDetail') throw fault('2020', 'Required param missing, need to supply the required value for the API', `Required parameter Line.DetailType is missing or unsupported in line ${i + 1}`, 'Line.DetailType');
      const detail = (line.SalesItemLineDetail ?? {}) as QboObject;
      const item = this.items.get(refOf(detail.ItemRef));
      if (!item) throw fault('2500', 'Invalid Reference Id', `Invalid Reference Id : Item element id ${refOf(detail.ItemRef)} not found`, 'Line.SalesItemLineDetail.ItemRef');
      const classRef = refOf(detail.ClassRef);
      if (classRef && !SANDBOX_QBO_CLASSES.some((c) => c.Id === classRef)) throw fault('2500', 'Invalid Reference Id', `Invalid Reference Id : Classes element id ${classRef} not found`, 'Line.SalesItemLineDetail.ClassRef');
      const taxCode = refOf(detail.TaxCodeRef);
      if (taxCode && !(SANDBOX_QBO_TAX_CODES as readonly string[]).includes(taxCode)) throw fault('2500', 'Invalid Reference Id', `Invalid Reference Id : TaxCode ${taxCode} not found`, 'Line.SalesItemLineDetail.TaxCodeRef');
      const amount = new Decimal(String(line.Amount ?? 0));
      const qty = detail.Qty === undefined ? undefined : new Decimal(String(detail.Qty));
      const unit = detail.UnitPrice === undefined ? undefined : new Decimal(String(detail.UnitPrice));
      if (qty && unit && !qty.times(unit).toDecimalPlaces(2).equals(amount)) {
        throw fault('6070', 'A business validation error has occurred while processing your request', `Business Validation Error: Amount is not equal to UnitPrice * Qty. Supplied value:${amount.toString()}`);
      }
      subTotal = subTotal.plus(amount);
      return { ...line, Id: String(i + 1), LineNum: i + 1, Amount: money(amount), SalesItemLineDetail: { ...detail, ItemRef: { value: item.Id, name: item.Name } } };
    });
    const id = this.#id();
    const txnDate = typeof input.TxnDate === 'string' ? input.TxnDate : this.#now().toISOString().slice(0, 10);
    return {
      ...input,
      Id: id,
      SyncToken: '0',
      DocNumber: docNumber ?? id,
      TxnDate: txnDate,
      CurrencyRef: { value: currency },
      CustomerRef: { value: customer.Id, name: customer.DisplayName },
      Line: [...stored, { Amount: money(subTotal), DetailType: 'SubTotalLineDetail', SubTotalLineDetail: {} }],
      TxnTaxDetail: { TotalTax: 0 },
      TotalAmt: money(subTotal),
      Balance: money(subTotal),
      MetaData: this.#meta(),
    };
  }

  readInvoice(id: string): QboObject {
    const invoice = this.invoices.get(id);
    if (!invoice) throw new QboFault([{ Message: 'Object Not Found', Detail: `Object Not Found : Something you're trying to use has been made inactive or deleted. Check the fields with accounts, customers, items, vendors or employees.`, code: '610' }]);
    return invoice;
  }

  /** `POST /invoice?operation=void`: amounts zeroed, "Voided" prepended to PrivateNote, SyncToken checked. */
  voidInvoice(input: QboObject): QboObject {
    const invoice = this.readInvoice(String(input.Id ?? ''));
    if (String(input.SyncToken) !== invoice.SyncToken) {
      throw fault('5010', 'Stale Object Error', 'Stale Object Error : You and another user were working on the same thing. Please try again');
    }
    if (Number(invoice.Balance) < Number(invoice.TotalAmt)) throw fault('6000', 'A business validation error has occurred while processing your request', 'Business Validation Error: This transaction has payments applied to it and cannot be voided.');
    const lines = (invoice.Line as QboObject[]).map((l) => ({ ...l, Amount: 0 }));
    Object.assign(invoice, {
      Line: lines,
      TotalAmt: 0,
      Balance: 0,
      PrivateNote: `Voided${invoice.PrivateNote ? ` - ${String(invoice.PrivateNote)}` : ''}`,
      SyncToken: String(Number(invoice.SyncToken) + 1),
      MetaData: { ...(invoice.MetaData as QboObject), LastUpdatedTime: this.#now().toISOString() },
    });
    return invoice;
  }

  /** The next entity id, for entities kept beside the company. */
  newId(): string {
    return this.#id();
  }
}
