/**
 * A period's revenue recognition as journal lines: for every deferred invoice line whose
 * schedule recognises an amount in the period, Cr its revenue account and Dr the deferred
 * revenue account, each split by the line's cost nodes (their cost-centre dimensions), then
 * summed per account and dimensions. Debits are positive, credits negative (Xero's
 * convention), so a journal balances when its lines sum to zero.
 */
import { Decimal, sum } from '../../engine/decimal.ts';
import { isWholeMinorUnits } from '../../engine/money.ts';
import type { Dimensions, MappingIndex } from './line-accounts.ts';
import { postingLines, type InvoiceLineToPost } from './posting-lines.ts';

export interface JournalLine {
  account: string;
  description: string;
  /** Debit positive, credit negative. */
  amount: Decimal;
  dimensions: Dimensions | null;
}

/** What one ERP journal carries: the ERP posters turn it into a ManualJournal, JournalEntry or journalEntry. */
export interface ErpJournal {
  /** Idempotency key (Xero Idempotency-Key, QuickBooks requestid, NetSuite externalId). */
  key: string;
  /** A short document number, unique per ERP connection (QuickBooks DocNumber: 21 characters). */
  number: string;
  /** The period's last day. */
  date: string;
  currency: string;
  narration: string;
  lines: JournalLine[];
}

/** A journal the hub will not send as it is (sending it again would not help): fix the mapping or the connection, then post the period again. */
export class JournalRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JournalRefusedError';
  }
}

/** A journal that would not balance (or carries fractions of the currency's minor unit), refused before it leaves the hub. */
export class UnbalancedJournalError extends JournalRefusedError {
  constructor(message: string) {
    super(message);
    this.name = 'UnbalancedJournalError';
  }
}

/**
 * @example
 *   // 55.89 of a licence line on account 210, all on the Web cost centre, deferred on 2450
 *   recognitionJournalLines([line], 'USD', index, parents, '2450')
 *   // [{ account: '2450', amount: 55.89, … }, { account: '210', amount: -55.89, … }]
 */
export function recognitionJournalLines(
  recognised: readonly InvoiceLineToPost[],
  currency: string,
  index: MappingIndex,
  parentOf: ReadonlyMap<string, string | null>,
  deferredAccount: string,
): JournalLine[] {
  const revenue = new Map<string, JournalLine>();
  const deferred = new Map<string, JournalLine>();
  const add = (into: Map<string, JournalLine>, account: string, dimensions: Dimensions | null, amount: Decimal, description: string) => {
    const key = `${account}|${JSON.stringify(dimensions ?? null)}`;
    const line = into.get(key);
    if (line) line.amount = line.amount.plus(amount);
    else into.set(key, { account, description, amount, dimensions });
  };
  for (const part of postingLines(recognised, currency, index, parentOf)) {
    add(revenue, part.account, part.dimensions, part.amount.negated(), `Revenue recognised (account ${part.account})`);
    add(deferred, deferredAccount, part.dimensions, part.amount, 'Deferred revenue released');
  }
  return [...deferred.values(), ...revenue.values()].filter((l) => !l.amount.isZero());
}

/** Refuses a journal whose debits and credits differ, or with an amount finer than the currency allows. */
export function assertBalanced(journal: Pick<ErpJournal, 'number' | 'currency' | 'lines'>): void {
  if (journal.lines.length < 2) throw new UnbalancedJournalError(`journal ${journal.number} has ${journal.lines.length} line(s): a journal needs a debit and a credit`);
  const fine = journal.lines.find((l) => !isWholeMinorUnits(l.amount, journal.currency));
  if (fine) throw new UnbalancedJournalError(`journal ${journal.number}: ${fine.amount.toString()} on account ${fine.account} is finer than ${journal.currency} allows`);
  const debits = sum(journal.lines.filter((l) => l.amount.isPositive()).map((l) => l.amount));
  const credits = sum(journal.lines.filter((l) => l.amount.isNegative()).map((l) => l.amount.negated()));
  if (!debits.equals(credits)) {
    throw new UnbalancedJournalError(`journal ${journal.number} does not balance: debits ${debits.toString()} ${journal.currency}, credits ${credits.toString()} ${journal.currency}; nothing was sent to the ERP`);
  }
}

/** @example journalNumber('2026-03', 'USD', 1) // 'RJ-2026-03-USD-1' (fits QuickBooks' 21-character DocNumber) */
export const journalNumber = (period: string, currency: string, sequence: number) => `RJ-${period}-${currency}-${sequence}`;

/** The journal's size: its debits. */
export const journalTotal = (lines: readonly JournalLine[]): Decimal => sum(lines.filter((l) => l.amount.isPositive()).map((l) => l.amount));
