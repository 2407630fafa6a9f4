import type { HubContext } from '../../context.ts';
import { and, gte } from '../../connectors/connectwise/conditions.ts';
import type { ConnectWiseClient } from '../../connectors/connectwise/client.ts';
import type { Agreement, TimeEntry, WorkRole } from '../../connectors/connectwise/types.ts';
import { loadLabourLookups } from '../../db/labour-lines.ts';
import { mapConnectWiseTimeEntry } from '../../mappings/connectwise/time-entry.ts';
import { timeEntryMappingInForce, TIME_ENTRY } from './time-entry-mapping.ts';
import { recordMappingUse } from '../../db/mapping-uses.ts';
import { Decimal } from '../../engine/decimal.ts';
import { enqueueJob } from '../enqueue.ts';
import { syncPsaTime, type PsaTimeCursor, type PsaTimeSyncOptions, type PsaTimeSyncResult } from '../psa/time-sync.ts';
import { connectwiseClientFor } from './client-for-connection.ts';

export const TIME_SYNC_TASK = 'connectwise:time_sync';
export const TIME_CURSOR_SCOPE = 'connectwise:time_entries';
const PAGE_SIZE = 1000;
/** Pages per job run: a long first sync continues in a fresh job instead of holding a worker. */
const PAGES_PER_RUN = 25;

export interface TimeSyncPayload {
  connectionId: string;
}

/** `pageId`: the pass in progress resumes after this entry id (see PsaTimeCursor). */
export type TimeCursor = PsaTimeCursor<'pageId'>;

export type TimeSyncResult = PsaTimeSyncResult;

export type TimeSyncOptions = PsaTimeSyncOptions<ConnectWiseClient>;

/** One job key per connection: a callback or the crontab arriving while a sync waits replaces, never doubles it. */
export const timeSyncJobKey = (connectionId: string) => `${TIME_SYNC_TASK}:${connectionId}`;

export async function enqueueTimeSync(ctx: { db: Parameters<typeof enqueueJob>[0] }, connectionId: string, runAt?: Date): Promise<void> {
  await enqueueJob(ctx.db, TIME_SYNC_TASK, { connectionId }, { jobKey: timeSyncJobKey(connectionId), jobKeyMode: 'preserve_run_at', ...(runAt ? { runAt } : {}) });
}

/**
 * `connectwise:time_sync`: the connection's time entries updated since the cursor, read
 * with forward-only paging (1,000 per page, each page fetched once) and stored as
 * labour lines page by page (see syncPsaTime).
 */
export async function syncConnectWiseTime(payload: TimeSyncPayload, ctx: HubContext, options: TimeSyncOptions = {}): Promise<TimeSyncResult> {
  const client = options.client ?? (await connectwiseClientFor(ctx, payload.connectionId)).client;
  const lookups = await loadLabourLookups(ctx.db, 'connectwise');
  const roleRates = new Map<string, Decimal>();
  const mapping = await timeEntryMappingInForce(ctx, payload.connectionId);
  const agreementRates = new Map<string, Decimal>();
  const pageSize = options.pageSize ?? PAGE_SIZE;

  return syncPsaTime<TimeEntry, 'pageId'>(ctx, payload.connectionId, {
    system: 'connectwise',
    cursorScope: TIME_CURSOR_SCOPE,
    positionKey: 'pageId',
    pagesPerRun: options.pagesPerRun ?? PAGES_PER_RUN,
    beforeSave: options.beforeSave,
    async *pages(cursor) {
      const conditions = cursor.since ? gte('lastUpdated', new Date(cursor.since)) : undefined;
      const request = { pageSize, ...(conditions ? { conditions } : {}), ...(cursor.pageId !== null ? { pageId: cursor.pageId } : {}) };
      for await (const page of client.pages<TimeEntry>('time.entries.list', 'time/entries', request)) {
        yield { items: page.items, last: page.nextPageId === null, position: page.nextPageId };
      }
    },
    changedAt: (e) => e._info?.lastUpdated,
    map: async (entries) => {
      await loadRoleRates(client, entries, roleRates);
      await loadAgreementRates(client, entries, roleRates, agreementRates);
      return entries.map((e) => mapConnectWiseTimeEntry(e, lookups, roleRates, agreementRates, mapping));
    },
    onSaved: (trx, entries) => recordMappingUse(trx, { connectionId: payload.connectionId, object: TIME_ENTRY, version: mapping.version, records: entries.length }),
    async *idsWorkedSince(from) {
      const conditions = and(gte('timeStart', new Date(`${from}T00:00:00Z`)));
      for await (const page of client.pages<{ id: number | string }>('time.entries.ids', 'time/entries', { conditions, fields: ['id'] })) {
        yield page.items.map((e) => e.id);
      }
    },
    continueLater: () => enqueueTimeSync(ctx, payload.connectionId),
  });
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
