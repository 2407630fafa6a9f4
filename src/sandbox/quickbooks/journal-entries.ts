/**
 * QuickBooks JournalEntry in the sandbox: create (`POST /journalentry`, with the server's
 * `requestid` replay) and read by query (`select * from JournalEntry where DocNumber = '…'`).
 * As documented: Amounts are positive, PostingType picks the side, debits must equal
 * credits, accounts, classes and departments must exist, DocNumber is at most 21
 * characters and the currency one the company has.
 */
import { Decimal } from '../../engine/decimal.ts';
import { QboFault, SANDBOX_QBO_ACCOUNTS, SANDBOX_QBO_CLASSES, SANDBOX_QBO_CURRENCIES, SANDBOX_QBO_DEPARTMENTS, type QboObject, type QuickBooksCompany } from './company.ts';

const refOf = (v: unknown) => (v && typeof v === 'object' ? String((v as { value?: unknown }).value ?? '') : '');
const businessError = (detail: string, element = '') => new QboFault([{ Message: 'A business validation error has occurred while processing your request', Detail: `Business Validation Error: ${detail}`, code: '6000', element }]);
const invalidRef = (detail: string, element: string) => new QboFault([{ Message: 'Invalid Reference Id', Detail: `Invalid Reference Id : ${detail}`, code: '2500', element }]);

export class QboJournalEntries {
  readonly entries = new Map<string, QboObject>();
  readonly #now: () => Date;
  // Ids of their own range, apart from the company's other entities.
  #nextId = 9000;

  constructor(company: QuickBooksCompany, now: () => Date) {
    this.#now = now;
    company.extensions.set('journalentry', () => [...this.entries.values()]);
  }

  create(input: QboObject): QboObject {
    const docNumber = typeof input.DocNumber === 'string' ? input.DocNumber : undefined;
    if (docNumber && docNumber.length > 21) throw businessError('DocNumber is longer than 21 characters', 'DocNumber');
    const currency = refOf(input.CurrencyRef) || 'USD';
    if (!(SANDBOX_QBO_CURRENCIES as readonly string[]).includes(currency)) throw invalidRef(`Currency ${currency} not found`, 'CurrencyRef');
    const lines = Array.isArray(input.Line) ? (input.Line as QboObject[]) : [];
    if (lines.length === 0) throw businessError('You must fill out at least one split line.');
    let debits = new Decimal(0);
    let credits = new Decimal(0);
    const stored = lines.map((line, i) => {
      if (line.DetailType !== 'JournalEntryLineDetail') throw new QboFault([{ Message: 'Required param missing, need to supply the required value for the API', Detail: `Required parameter Line.DetailType is missing or unsupported in line ${i + 1}`, code: '2020', element: 'Line.DetailType' }]);
      const detail = (line.JournalEntryLineDetail ?? {}) as QboObject;
      const amount = new Decimal(String(line.Amount ?? 0));
      if (amount.isNegative()) throw businessError(`Amount must not be negative (line ${i + 1}); PostingType says Debit or Credit`, 'Line.Amount');
      const account = refOf(detail.AccountRef);
      if (!SANDBOX_QBO_ACCOUNTS.some((a) => a.Id === account)) throw invalidRef(`Accounts element id ${account} not found`, 'Line.JournalEntryLineDetail.AccountRef');
      const classRef = refOf(detail.ClassRef);
      if (classRef && !SANDBOX_QBO_CLASSES.some((c) => c.Id === classRef)) throw invalidRef(`Classes element id ${classRef} not found`, 'Line.JournalEntryLineDetail.ClassRef');
      const department = refOf(detail.DepartmentRef);
      if (department && !SANDBOX_QBO_DEPARTMENTS.some((d) => d.Id === department)) throw invalidRef(`Departments element id ${department} not found`, 'Line.JournalEntryLineDetail.DepartmentRef');
      if (detail.PostingType === 'Debit') debits = debits.plus(amount);
      else if (detail.PostingType === 'Credit') credits = credits.plus(amount);
      else throw new QboFault([{ Message: 'Required param missing, need to supply the required value for the API', Detail: `Required parameter Line.JournalEntryLineDetail.PostingType is missing in line ${i + 1}`, code: '2020', element: 'Line.JournalEntryLineDetail.PostingType' }]);
      return { ...line, Id: String(i), Amount: Number(amount.toFixed(2)) };
    });
    if (!debits.equals(credits)) throw businessError(`Journal Entry is out of balance by ${debits.minus(credits).abs().toFixed(2)}. Please check that the debits and credits are equal.`);
    const id = String(this.#nextId++);
    const stamp = this.#now().toISOString();
    const entry: QboObject = {
      ...input,
      Id: id,
      SyncToken: '0',
      DocNumber: docNumber ?? id,
      TxnDate: typeof input.TxnDate === 'string' ? input.TxnDate : stamp.slice(0, 10),
      CurrencyRef: { value: currency },
      Adjustment: false,
      Line: stored,
      TotalAmt: Number(debits.toFixed(2)),
      MetaData: { CreateTime: stamp, LastUpdatedTime: stamp },
    };
    this.entries.set(id, entry);
    return entry;
  }
}
