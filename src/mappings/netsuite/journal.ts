import type { NetSuiteRecord } from '../../connectors/netsuite/client.ts';
import { Decimal, ZERO, sum } from '../../engine/decimal.ts';
import { minorUnits } from '../../engine/money.ts';
import type { Dimensions } from '../accounting/line-accounts.ts';
import { dimensionRefs } from './invoice.ts';

export interface JournalLine {
  account: string;
  /** Exactly one of debit and credit, positive. */
  debit?: Decimal;
  credit?: Decimal;
  memo?: string;
  dimensions?: Dimensions | null;
  /** A customer (NetSuite entity id) the line concerns, e.g. for deferred revenue per customer. */
  entityId?: string;
}

export interface Journal {
  /** Derive it from what the journal is for (entity, currency, period), so a repeat names the same entry. */
  externalId: string;
  subsidiaryId: string | null;
  currencyId: string;
  /** The currency's ISO code: the lines must be whole minor units of it. */
  currency: string;
  tranDate: string;
  memo: string;
  lines: readonly JournalLine[];
}

/** Why a journal cannot go to NetSuite, naming the line; empty when it can. */
export function journalProblems(journal: Journal): { field: string; reason: string }[] {
  const problems: { field: string; reason: string }[] = [];
  if (journal.lines.length < 2) problems.push({ field: 'lines', reason: 'a journal entry needs at least two lines' });
  const places = minorUnits(journal.currency);
  journal.lines.forEach((l, i) => {
    const sides = [l.debit, l.credit].filter((v): v is Decimal => v !== undefined);
    if (sides.length !== 1) problems.push({ field: `lines[${i}]`, reason: 'carries exactly one of debit and credit' });
    for (const v of sides) {
      if (!v.isPositive() || v.isZero()) problems.push({ field: `lines[${i}]`, reason: `${v.toString()} is not a positive amount` });
      else if (v.decimalPlaces() > places) problems.push({ field: `lines[${i}]`, reason: `${v.toString()} has more than the ${places} decimals ${journal.currency} allows` });
    }
  });
  const debits = sum(journal.lines.map((l) => l.debit ?? ZERO));
  const credits = sum(journal.lines.map((l) => l.credit ?? ZERO));
  if (!debits.equals(credits)) problems.push({ field: 'lines', reason: `debits ${debits.toFixed(places)} and credits ${credits.toFixed(places)} do not balance` });
  return problems;
}

/**
 * A balanced journal as a NetSuite journalEntry (Dr deferred revenue / Cr revenue and
 * the like); one that does not balance is refused here, before it leaves the hub.
 *
 * @example
 *   toNetSuiteJournal({ externalId: 'hub-je-…', currency: 'USD', currencyId: '1', subsidiaryId: '1', tranDate: '2026-03-31', memo: 'Revenue 2026-03',
 *     lines: [{ account: '58', debit: new Decimal('54.25') }, { account: '54', credit: new Decimal('54.25'), dimensions: { department: '1' } }] })
 */
export function toNetSuiteJournal(journal: Journal): NetSuiteRecord & { externalId: string } {
  const problems = journalProblems(journal);
  if (problems.length > 0) throw new Error(`journal ${journal.externalId} refused: ${problems.map((p) => `${p.field} ${p.reason}`).join('; ')}`);
  return {
    externalId: journal.externalId,
    ...(journal.subsidiaryId ? { subsidiary: { id: journal.subsidiaryId } } : {}),
    currency: { id: journal.currencyId },
    tranDate: journal.tranDate,
    memo: journal.memo,
    line: {
      items: journal.lines.map((l) => ({
        account: { id: l.account },
        ...(l.debit ? { debit: Number(l.debit.toFixed()) } : { credit: Number(l.credit!.toFixed()) }),
        ...(l.memo ? { memo: l.memo } : {}),
        ...dimensionRefs(l.dimensions ?? null),
        ...(l.entityId ? { entity: { id: l.entityId } } : {}),
      })),
    },
  };
}
