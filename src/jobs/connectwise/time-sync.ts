import type { HubContext } from '../../context.ts';
import { and, gte } from '../../connectors/connectwise/conditions.ts';
import type { ConnectWiseClient } from '../../connectors/connectwise/client.ts';
import type { Agreement, TimeEntry, WorkRole } from '../../connectors/connectwise/types.ts';
import { loadLabourLookups, markMissingDeleted, saveMappedEntries } from '../../db/labour-lines.ts';
import { mapConnectWiseTimeEntry } from '../../mappings/connectwise/time-entry.ts';
import { timeEntryMappingInForce, TIME_ENTRY } from './time-entry-mapping.ts';
import { recordMappingUse } from '../../db/mapping-uses.ts';
import { Decimal } from '../../engine/decimal.ts';
import { enqueueJob } from '../enqueue.ts';
import { readCursor, writeCursor } from '../partner-center/run-progress.ts';
import { connectwiseClientFor } from './client-for-connection.ts';

export const TIME_SYNC_TASK = 'connectwise:time_sync';
export const TIME_CURSOR_SCOPE = 'connectwise:time_entries';
const PAGE_SIZE = 1000;
/** Pages per job run: a long first sync continues in a fresh job instead of holding a worker. */
const PAGES_PER_RUN = 25;

export interface TimeSyncPayload {
  connectionId: string;
}

/**
 * Where the incremental sync stands, committed with the page it covers. `since`: entries
 * updated at or after it are read (null: all); `pageId`: the pass in progress resumes
 * after this entry id; `maxSeen`: the latest lastUpdated read in this pass, the next
 * pass's `since`. `>=` rather than `>` so an entry stamped in the same second as the
 * last one read is never missed; re-reading it adds nothing.
 */
export interface TimeCursor {
  since: string | null;
  pageId: number | null;
  maxSeen: string | null;
}

export interface TimeSyncResult {
  pages: number;
  fetched: number;
  changed: number;
  unchanged: number;
  errors: number;
  deleted: number;
  done: boolean;
}

export interface TimeSyncOptions {
  client?: ConnectWiseClient;
  pagesPerRun?: number;
  pageSize?: number;
  /** Before each page is saved; a test throws here to stand for a worker killed mid-sync. */
  beforeSave?: (page: number) => void;
}

/** One job key per connection: a callback or the crontab arriving while a sync waits replaces, never doubles it. */
export const timeSyncJobKey = (connectionId: string) => `${TIME_SYNC_TASK}:${connectionId}`;

export async function enqueueTimeSync(ctx: { db: Parameters<typeof enqueueJob>[0] }, connectionId: string, runAt?: Date): Promise<void> {
  await enqueueJob(ctx.db, TIME_SYNC_TASK, { connectionId }, { jobKey: timeSyncJobKey(connectionId), jobKeyMode: 'preserve_run_at', ...(runAt ? { runAt } : {}) });
}

/** The first day of the previous month: deletions are looked for in what a close can still bill. */
function sweepFrom(now: Date): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 10);
}

/**
 * `connectwise:time_sync`: the connection's time entries updated since the cursor, read
 * with forward-only paging (1,000 per page, each page fetched once) and stored as
 * labour lines page by page, each page in one transaction with the cursor that covers
 * it: a worker killed mid-sync resumes at the next page and ends with the same lines.
 * At the end of a pass, entries of the open window that ConnectWise no longer lists are
 * marked deleted.
 */
export async function syncConnectWiseTime(payload: TimeSyncPayload, ctx: HubContext, options: TimeSyncOptions = {}): Promise<TimeSyncResult> {
  const client = options.client ?? (await connectwiseClientFor(ctx, payload.connectionId)).client;
  const lookups = await loadLabourLookups(ctx.db, 'connectwise');
  const roleRates = new Map<string, Decimal>();
  const mapping = await timeEntryMappingInForce(ctx, payload.connectionId);
  const agreementRates = new Map<string, Decimal>();
  const cursor: TimeCursor = (await readCursor<TimeCursor>(ctx.db, payload.connectionId, TIME_CURSOR_SCOPE)) ?? { since: null, pageId: null, maxSeen: null };
  const result: TimeSyncResult = { pages: 0, fetched: 0, changed: 0, unchanged: 0, errors: 0, deleted: 0, done: false };
  const pagesPerRun = options.pagesPerRun ?? PAGES_PER_RUN;

  const conditions = cursor.since ? gte('lastUpdated', new Date(cursor.since)) : undefined;
  const request = { pageSize: options.pageSize ?? PAGE_SIZE, ...(conditions ? { conditions } : {}), ...(cursor.pageId !== null ? { pageId: cursor.pageId } : {}) };
  for await (const page of client.pages<TimeEntry>('time.entries.list', 'time/entries', request)) {
    result.pages++;
    result.fetched += page.items.length;
    await loadRoleRates(client, page.items, roleRates);
    await loadAgreementRates(client, page.items, roleRates, agreementRates);
    const mapped = page.items.map((e) => mapConnectWiseTimeEntry(e, lookups, roleRates, agreementRates, mapping));
    let maxSeen = cursor.maxSeen;
    for (const e of page.items) {
      const at = e._info?.lastUpdated;
      if (at && (maxSeen === null || Date.parse(at) > Date.parse(maxSeen))) maxSeen = new Date(at).toISOString();
    }
    const last = page.nextPageId === null;
    const next: TimeCursor = last ? { since: maxSeen ?? cursor.since, pageId: null, maxSeen: null } : { since: cursor.since, pageId: page.nextPageId, maxSeen };
    options.beforeSave?.(result.pages);
    await ctx.db.transaction().execute(async (trx) => {
      const saved = await saveMappedEntries(trx, payload.connectionId, 'connectwise', mapped);
      result.changed += saved.changed;
      result.unchanged += saved.unchanged;
      result.errors += saved.errors;
      await recordMappingUse(trx, { connectionId: payload.connectionId, object: TIME_ENTRY, version: mapping.version, records: page.items.length });
      await writeCursor(trx, payload.connectionId, TIME_CURSOR_SCOPE, next);
    });
    Object.assign(cursor, next);
    if (last) {
      result.deleted = await sweepDeleted(ctx, client, payload.connectionId);
      result.done = true;
      return result;
    }
    if (result.pages >= pagesPerRun) {
      await enqueueTimeSync(ctx, payload.connectionId);
      return result;
    }
  }
  return result;
}

/** Rates of the work roles of entries that carry none of their own, fetched once per sync. */
async function loadRoleRates(client: ConnectWiseClient, entries: readonly TimeEntry[], rates: Map<string, Decimal>): Promise<void> {
  for (const e of entries) {
    const roleId = e.workRole?.id;
    if ((e.hourlyRate !== null && e.hourlyRate !== undefined) || roleId === undefined) continue;
    await loadRoleRate(client, String(roleId), rates);
  }
}

async function loadRoleRate(client: ConnectWiseClient, roleId: string, rates: Map<string, Decimal>): Promise<void> {
  if (rates.has(roleId)) return;
  const role = await client.get<WorkRole>('time.workRoles.get', `time/workRoles/${roleId}`);
  if (role?.hourlyRate !== null && role?.hourlyRate !== undefined) rates.set(roleId, new Decimal(role.hourlyRate));
}

/**
 * For entries priced neither by their own rate nor their work role's, the rate of their
 * agreement's work role, by agreement id; each agreement fetched once per sync.
 */
async function loadAgreementRates(client: ConnectWiseClient, entries: readonly TimeEntry[], roleRates: Map<string, Decimal>, rates: Map<string, Decimal>): Promise<void> {
  const seen = new Set<string>();
  for (const e of entries) {
    const agreementId = e.agreement?.id;
    const hasOwn = e.hourlyRate !== null && e.hourlyRate !== undefined && e.hourlyRate !== '';
    const hasRole = e.workRole?.id !== undefined && e.workRole?.id !== null && roleRates.has(String(e.workRole.id));
    if (hasOwn || hasRole || agreementId === undefined || agreementId === null || rates.has(String(agreementId)) || seen.has(String(agreementId))) continue;
    seen.add(String(agreementId));
    const agreement = await client.get<Agreement>('finance.agreements.get', `finance/agreements/${agreementId}`);
    const roleId = agreement?.workRole?.id;
    if (roleId === undefined || roleId === null) continue;
    await loadRoleRate(client, String(roleId), roleRates);
    const rate = roleRates.get(String(roleId));
    if (rate) rates.set(String(agreementId), rate);
  }
}

/** The ids ConnectWise lists for the open window; lines of that window it no longer lists are deleted. */
async function sweepDeleted(ctx: HubContext, client: ConnectWiseClient, connectionId: string): Promise<number> {
  const from = sweepFrom(new Date());
  const present: string[] = [];
  const conditions = and(gte('timeStart', new Date(`${from}T00:00:00Z`)));
  for await (const page of client.pages<{ id: number | string }>('time.entries.ids', 'time/entries', { conditions, fields: ['id'] })) {
    for (const e of page.items) present.push(String(e.id));
  }
  return ctx.db.transaction().execute((trx) => markMissingDeleted(trx, connectionId, from, present));
}
