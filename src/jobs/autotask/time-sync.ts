import type { HubContext } from '../../context.ts';
import type { AutotaskClient } from '../../connectors/autotask/client.ts';
import { and, gt, gte, type Condition } from '../../connectors/autotask/filter.ts';
import type { TimeEntry } from '../../connectors/autotask/types.ts';
import { loadLabourLookups } from '../../db/labour-lines.ts';
import { mapAutotaskTimeEntry } from '../../mappings/autotask/time-entry.ts';
import { mappingObject } from '../../mappings/objects.ts';
import { recordMappingUse } from '../../db/mapping-uses.ts';
import { checkedMappingInForce } from '../mapping-in-force.ts';
import { enqueueJob } from '../enqueue.ts';
import { syncPsaTime, type PsaTimeCursor, type PsaTimeSyncOptions, type PsaTimeSyncResult } from '../psa/time-sync.ts';
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
 * `afterId`: the pass in progress resumes after this entry id (results come in id order,
 * so a new query from there continues it even when an old nextPageUrl would no longer be
 * served); see PsaTimeCursor.
 */
export type AutotaskTimeCursor = PsaTimeCursor<'afterId'>;

export type AutotaskTimeSyncResult = PsaTimeSyncResult;

export type AutotaskTimeSyncOptions = PsaTimeSyncOptions<AutotaskClient>;

export const autotaskTimeSyncJobKey = (connectionId: string) => `${AUTOTASK_TIME_SYNC_TASK}:${connectionId}`;

export async function enqueueAutotaskTimeSync(ctx: { db: Parameters<typeof enqueueJob>[0] }, connectionId: string): Promise<void> {
  await enqueueJob(ctx.db, AUTOTASK_TIME_SYNC_TASK, { connectionId }, { jobKey: autotaskTimeSyncJobKey(connectionId), jobKeyMode: 'preserve_run_at' });
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
 * per run, its version recorded with each page) and stored as labour lines page by page
 * (see syncPsaTime). Autotask has no webhooks or deletion log for time entries: the
 * end-of-pass sweep is how deletions are found.
 */
export async function syncAutotaskTime(payload: AutotaskTimeSyncPayload, ctx: HubContext, options: AutotaskTimeSyncOptions = {}): Promise<AutotaskTimeSyncResult> {
  const client = options.client ?? (await autotaskClientFor(ctx, payload.connectionId)).client;
  const lookups = await loadLabourLookups(ctx.db, 'autotask');
  const references = emptyReferences();
  const mapping = await checkedMappingInForce(ctx.db, payload.connectionId, TIME_ENTRY);
  const maxRecords = options.pageSize ?? PAGE_SIZE;

  return syncPsaTime<TimeEntry, 'afterId'>(ctx, payload.connectionId, {
    system: 'autotask',
    cursorScope: AUTOTASK_TIME_CURSOR_SCOPE,
    positionKey: 'afterId',
    pagesPerRun: options.pagesPerRun ?? PAGES_PER_RUN,
    beforeSave: options.beforeSave,
    async *pages(cursor) {
      for await (const page of client.pages<TimeEntry>('TimeEntries', { filter: filterFor(cursor), maxRecords })) {
        // The cursor is the one syncPsaTime advances page by page: an empty page keeps its position.
        const position = page.items.length === 0 ? cursor.afterId : Number(page.items.at(-1)!.id);
        yield { items: page.items, last: page.nextPageUrl === null, position };
      }
    },
    changedAt: (e) => e.lastModifiedDateTime,
    map: async (entries) => {
      const refs = await loadReferences(client, entries, references);
      return entries.map((e) => mapAutotaskTimeEntry(e, lookups, refs, mapping));
    },
    onSaved: (trx, entries) => recordMappingUse(trx, { connectionId: payload.connectionId, object: TIME_ENTRY.object, version: mapping.version, records: entries.length }),
    async *idsWorkedSince(from) {
      for await (const page of client.pages<{ id: number | string }>('TimeEntries', { filter: gte('dateWorked', new Date(`${from}T00:00:00Z`)), includeFields: ['id'] })) {
        yield page.items.map((e) => e.id);
      }
    },
    continueLater: () => enqueueAutotaskTimeSync(ctx, payload.connectionId),
  });
}
