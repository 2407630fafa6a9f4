import type { Transaction } from 'kysely';
import type { HubContext } from '../../context.ts';
import { markMissingDeleted, saveMappedEntries, type PsaSystem } from '../../db/labour-lines.ts';
import type { Database } from '../../db/types.ts';
import type { MappedEntry } from '../../mappings/psa/labour-line.ts';
import { readCursor, writeCursor } from '../partner-center/run-progress.ts';

/**
 * Where an incremental time sync stands, committed with the page it covers. `since`:
 * entries changed at or after it are read (null: all); `maxSeen`: the latest change
 * read in this pass, the next pass's `since`; plus the vendor's own position of the pass
 * in progress under `K` (null: the pass starts from its first page). `>=` rather than
 * `>` on `since` so an entry stamped in the same second as the last one read is never
 * missed; re-reading it adds nothing.
 */
export type PsaTimeCursor<K extends string> = { since: string | null; maxSeen: string | null } & { [P in K]: number | null };

export interface PsaTimeSyncResult {
  pages: number;
  fetched: number;
  changed: number;
  unchanged: number;
  errors: number;
  deleted: number;
  done: boolean;
}

export interface PsaTimeSyncOptions<Client> {
  client?: Client;
  pagesPerRun?: number;
  pageSize?: number;
  /** Before each page is saved; a test throws here to stand for a worker killed mid-sync. */
  beforeSave?: (page: number) => void;
}

/** One page of a vendor's time entries: whether it ends the pass, and the position a pass resumes from after it. */
export interface PsaTimePage<Entry> {
  items: readonly Entry[];
  last: boolean;
  position: number | null;
}

/** What differs between PSAs; the page-and-cursor loop around it is the same. */
export interface PsaTimeSource<Entry, K extends string> {
  system: PsaSystem;
  cursorScope: string;
  /** The cursor field that holds the vendor's position within a pass. */
  positionKey: K;
  pagesPerRun: number;
  /** The pages of entries the cursor says are still to read, in order. */
  pages(cursor: PsaTimeCursor<K>): AsyncIterable<PsaTimePage<Entry>>;
  /** When the vendor last changed an entry (ISO), if it says. */
  changedAt(entry: Entry): string | null | undefined;
  /** A page of entries as labour lines (loading whatever rates or references they need). */
  map(entries: readonly Entry[]): Promise<MappedEntry[]>;
  /** Extra writes in the page's transaction. */
  onSaved?(trx: Transaction<Database>, entries: readonly Entry[]): Promise<void>;
  /** The ids the vendor lists for the entries worked on or after `from` (a date). */
  idsWorkedSince(from: string): AsyncIterable<readonly (number | string)[]>;
  /** Queues the job that carries on after this run's share of pages. */
  continueLater(): Promise<void>;
  /** Before each page is saved; a test throws here to stand for a worker killed mid-sync. */
  beforeSave?: ((page: number) => void) | undefined;
}

/** The first day of the previous month: deletions are looked for in what a close can still bill. */
export function sweepFrom(now: Date): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 10);
}

/**
 * The PSA time sync's loop: the entries changed since the cursor, page by page, each page
 * stored as labour lines in one transaction with the cursor that covers it, so a worker
 * killed mid-sync resumes at the next page and ends with the same lines. A run reads at
 * most `pagesPerRun` pages and then hands over to a fresh job instead of holding a
 * worker. At the end of a pass, entries of the open window that the vendor no longer
 * lists are marked deleted.
 */
export async function syncPsaTime<Entry, K extends string>(ctx: HubContext, connectionId: string, source: PsaTimeSource<Entry, K>): Promise<PsaTimeSyncResult> {
  const start = { since: null, maxSeen: null, [source.positionKey]: null } as PsaTimeCursor<K>;
  const cursor: PsaTimeCursor<K> = (await readCursor<PsaTimeCursor<K>>(ctx.db, connectionId, source.cursorScope)) ?? start;
  const result: PsaTimeSyncResult = { pages: 0, fetched: 0, changed: 0, unchanged: 0, errors: 0, deleted: 0, done: false };

  for await (const page of source.pages(cursor)) {
    result.pages++;
    result.fetched += page.items.length;
    const mapped = await source.map(page.items);
    let maxSeen = cursor.maxSeen;
    for (const e of page.items) {
      const at = source.changedAt(e);
      if (at && (maxSeen === null || Date.parse(at) > Date.parse(maxSeen))) maxSeen = new Date(at).toISOString();
    }
    const last = page.last;
    const next = (last
      ? { since: maxSeen ?? cursor.since, maxSeen: null, [source.positionKey]: null }
      : { since: cursor.since, maxSeen, [source.positionKey]: page.position }) as PsaTimeCursor<K>;
    source.beforeSave?.(result.pages);
    await ctx.db.transaction().execute(async (trx) => {
      const saved = await saveMappedEntries(trx, connectionId, source.system, mapped);
      result.changed += saved.changed;
      result.unchanged += saved.unchanged;
      result.errors += saved.errors;
      await source.onSaved?.(trx, page.items);
      await writeCursor(trx, connectionId, source.cursorScope, next);
    });
    Object.assign(cursor, next);
    if (last) {
      result.deleted = await sweepDeleted(ctx, connectionId, source);
      result.done = true;
      return result;
    }
    if (result.pages >= source.pagesPerRun) {
      await source.continueLater();
      return result;
    }
  }
  return result;
}

/** The ids the vendor lists for the open window; lines of that window it no longer lists are deleted. */
async function sweepDeleted<Entry, K extends string>(ctx: HubContext, connectionId: string, source: PsaTimeSource<Entry, K>): Promise<number> {
  const from = sweepFrom(new Date());
  const present: string[] = [];
  for await (const ids of source.idsWorkedSince(from)) {
    for (const id of ids) present.push(String(id));
  }
  return ctx.db.transaction().execute((trx) => markMissingDeleted(trx, connectionId, from, present));
}
