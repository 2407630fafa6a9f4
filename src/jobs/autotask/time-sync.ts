import type { HubContext } from '../../context.ts';
import type { AutotaskClient } from '../../connectors/autotask/client.ts';
import { and, gt, gte, type Condition } from '../../connectors/autotask/filter.ts';
import type { TimeEntry } from '../../connectors/autotask/types.ts';
import { loadLabourLookups, markMissingDeleted, saveMappedEntries } from '../../db/labour-lines.ts';
import { mapAutotaskTimeEntry } from '../../mappings/autotask/time-entry.ts';
import { mappingObject } from '../../mappings/objects.ts';
import { recordMappingUse } from '../../db/mapping-uses.ts';
import { checkedMappingInForce } from '../mapping-in-force.ts';
import { enqueueJob } from '../enqueue.ts';
import { readCursor, writeCursor } from '../partner-center/run-progress.ts';
import { autotaskClientFor } from './client-for-connection.ts';
import { emptyReferences, loadReferences } from './references.ts';

export const AUTOTASK_TIME_SYNC_TASK = 'autotask:time_sync';
export const AUTOTASK_TIME_CURSOR_SCOPE = 'autotask:time_entries';
const PAGE_SIZE = 500;
/** Pages per job run: a long first sync continues in a fresh job instead of holding a worker. */
const PAGES_PER_RUN = 50;
const TIME_ENTRY = mappingObject('autotask', 'time_entry')!;

export interface AutotaskTimeSyncPayload {
  connectionId: string;
}

/**
 * Where the incremental sync stands, committed with the page it covers. `since`:
 * entries modified at or after it are read (null: all); `afterId`: the pass in progress
 * resumes after this entry id (results come in id order, so a new query from there
 * continues it even when an old nextPageUrl would no longer be served); `maxSeen`: the
 * latest lastModifiedDateTime read in this pass, the next pass's `since`. `gte` so an
 * entry stamped in the same second as the last one read is never missed.
 */
export interface AutotaskTimeCursor {
  since: string | null;
  afterId: number | null;
  maxSeen: string | null;
}

export interface AutotaskTimeSyncResult {
  pages: number;
  fetched: number;
  changed: number;
  unchanged: number;
  errors: number;
  deleted: number;
  done: boolean;
}

export interface AutotaskTimeSyncOptions {
  client?: AutotaskClient;
  pagesPerRun?: number;
  pageSize?: number;
  /** Before each page is saved; a test throws here to stand for a worker killed mid-sync. */
  beforeSave?: (page: number) => void;
}

export const autotaskTimeSyncJobKey = (connectionId: string) => `${AUTOTASK_TIME_SYNC_TASK}:${connectionId}`;

export async function enqueueAutotaskTimeSync(ctx: { db: Parameters<typeof enqueueJob>[0] }, connectionId: string): Promise<void> {
  await enqueueJob(ctx.db, AUTOTASK_TIME_SYNC_TASK, { connectionId }, { jobKey: autotaskTimeSyncJobKey(connectionId), jobKeyMode: 'preserve_run_at' });
}

/** The first day of the previous month: deletions are looked for in what a close can still bill. */
function sweepFrom(now: Date): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 10);
}

function filterFor(cursor: AutotaskTimeCursor): Condition {
  const parts: Condition[] = [];
  if (cursor.since) parts.push(gte('lastModifiedDateTime', new Date(cursor.since)));
  if (cursor.afterId !== null) parts.push(gt('id', cursor.afterId));
  // Autotask takes no query without a filter: "every id" reads all.
  return parts.length === 0 ? gte('id', 0) : and(...parts);
}

/**
 * `autotask:time_sync`: the connection's time entries modified since the cursor
 * (`TimeEntries/query` by lastModifiedDateTime, 500 per page, following nextPageUrl,
 * each page fetched once), mapped through the connection's time entry mapping (read once
 * per run, its version recorded with each page) and stored as labour lines page by page,
 * each page in one transaction with the cursor that covers it: a worker killed mid-sync resumes after
 * the last page saved and ends with the same lines. At the end of a pass, entries of
 * the open window that Autotask no longer lists are marked deleted (Autotask has no
 * webhooks or deletion log for time entries).
 */
export async function syncAutotaskTime(payload: AutotaskTimeSyncPayload, ctx: HubContext, options: AutotaskTimeSyncOptions = {}): Promise<AutotaskTimeSyncResult> {
  const client = options.client ?? (await autotaskClientFor(ctx, payload.connectionId)).client;
  const lookups = await loadLabourLookups(ctx.db, 'autotask');
  const references = emptyReferences();
  const mapping = await checkedMappingInForce(ctx.db, payload.connectionId, TIME_ENTRY);
  const cursor: AutotaskTimeCursor = (await readCursor<AutotaskTimeCursor>(ctx.db, payload.connectionId, AUTOTASK_TIME_CURSOR_SCOPE)) ?? { since: null, afterId: null, maxSeen: null };
  const result: AutotaskTimeSyncResult = { pages: 0, fetched: 0, changed: 0, unchanged: 0, errors: 0, deleted: 0, done: false };
  const pagesPerRun = options.pagesPerRun ?? PAGES_PER_RUN;

  for await (const page of client.pages<TimeEntry>('TimeEntries', { filter: filterFor(cursor), maxRecords: options.pageSize ?? PAGE_SIZE })) {
    result.pages++;
    result.fetched += page.items.length;
    const refs = await loadReferences(client, page.items, references);
    const mapped = page.items.map((e) => mapAutotaskTimeEntry(e, lookups, refs, mapping));
    let maxSeen = cursor.maxSeen;
    for (const e of page.items) {
      const at = e.lastModifiedDateTime;
      if (at && (maxSeen === null || Date.parse(at) > Date.parse(maxSeen))) maxSeen = new Date(at).toISOString();
    }
    const last = page.nextPageUrl === null;
    const lastId = page.items.length === 0 ? cursor.afterId : Number(page.items.at(-1)!.id);
    const next: AutotaskTimeCursor = last ? { since: maxSeen ?? cursor.since, afterId: null, maxSeen: null } : { since: cursor.since, afterId: lastId, maxSeen };
    options.beforeSave?.(result.pages);
    await ctx.db.transaction().execute(async (trx) => {
      const saved = await saveMappedEntries(trx, payload.connectionId, 'autotask', mapped);
      result.changed += saved.changed;
      result.unchanged += saved.unchanged;
      result.errors += saved.errors;
      await recordMappingUse(trx, { connectionId: payload.connectionId, object: TIME_ENTRY.object, version: mapping.version, records: page.items.length });
      await writeCursor(trx, payload.connectionId, AUTOTASK_TIME_CURSOR_SCOPE, next);
    });
    if (last) {
      result.deleted = await sweepDeleted(ctx, client, payload.connectionId);
      result.done = true;
      return result;
    }
    if (result.pages >= pagesPerRun) {
      await enqueueAutotaskTimeSync(ctx, payload.connectionId);
      return result;
    }
  }
  return result;
}

/** The ids Autotask lists for the open window; lines of that window it no longer lists are deleted. */
async function sweepDeleted(ctx: HubContext, client: AutotaskClient, connectionId: string): Promise<number> {
  const from = sweepFrom(new Date());
  const present: string[] = [];
  for await (const page of client.pages<{ id: number | string }>('TimeEntries', { filter: gte('dateWorked', new Date(`${from}T00:00:00Z`)), includeFields: ['id'] })) {
    for (const e of page.items) present.push(String(e.id));
  }
  return ctx.db.transaction().execute((trx) => markMissingDeleted(trx, connectionId, from, present));
}
