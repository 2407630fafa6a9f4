import { sql } from 'kysely';
import type { Db } from './database.ts';

// Webhook events are answered only once they are stored and their processing job is
// enqueued, in one commit. A commit per request made concurrent deliveries queue on
// commits; this writer lets them share one: requests arriving while earlier writes are in
// flight wait together, then one multi-row INSERT … ON CONFLICT DO NOTHING stores all of
// their events and enqueues the new ones in the same statement, whose commit makes them durable
// before any of those requests is answered. A write that fails stores nothing; its
// requests are then written one by one, so a request fails only for its own fault, and
// the vendor redelivers it.

export interface InboxEvent {
  eventId: string;
  body: string;
}

export interface StoredEvent {
  /** webhook_inbox.id */
  id: string;
  eventId: string;
  /** Already stored (a redelivery, or the same event earlier in this write): not processed again. */
  duplicate: boolean;
}

/** The job that processes one stored event (payload `{ inboxId }`). */
const PROCESS_TASK = 'webhook:process';

interface Pending {
  provider: string;
  headers: string;
  events: readonly InboxEvent[];
  resolve: (stored: StoredEvent[]) => void;
  reject: (error: unknown) => void;
}

export interface InboxWriterOptions {
  /** Writes in flight at once, each on its own pooled connection; the rest wait and join the next. */
  maxInFlight?: number;
}

/**
 * @example
 *   const writer = new InboxWriter(db);
 *   const stored = await writer.store('hubspot', { 'content-type': 'application/json' }, [{ eventId: '1', body: '{}' }]);
 */
export class InboxWriter {
  readonly #db: Db;
  readonly #maxInFlight: number;
  #waiting: Pending[] = [];
  #inFlight = 0;

  constructor(db: Db, options: InboxWriterOptions = {}) {
    this.#db = db;
    this.#maxInFlight = options.maxInFlight ?? 4;
  }

  /** Resolves once the events are committed with their jobs: each with its inbox id, new or a duplicate. */
  store(provider: string, headers: Record<string, string>, events: readonly InboxEvent[]): Promise<StoredEvent[]> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ provider, headers: JSON.stringify(headers), events, resolve, reject });
      this.#next();
    });
  }

  #next(): void {
    if (this.#inFlight >= this.#maxInFlight || this.#waiting.length === 0) return;
    const batch = this.#waiting;
    this.#waiting = [];
    this.#inFlight += 1;
    this.#write(batch)
      .then(
        (results) => batch.forEach((p, i) => p.resolve(results[i]!)),
        // Nothing of a failed write is stored; alone again, each request fails only for its own fault.
        (error: unknown) => (batch.length === 1 ? batch[0]!.reject(error) : this.#writeEachAlone(batch)),
      )
      .finally(() => {
        this.#inFlight -= 1;
        this.#next();
      });
  }

  async #writeEachAlone(batch: readonly Pending[]): Promise<void> {
    for (const p of batch) {
      await this.#write([p]).then(
        (results) => p.resolve(results[0]!),
        (error: unknown) => p.reject(error),
      );
    }
  }

  async #write(batch: readonly Pending[]): Promise<StoredEvent[][]> {
    const providers: string[] = [];
    const eventIds: string[] = [];
    const headers: string[] = [];
    const bodies: string[] = [];
    for (const p of batch) {
      for (const e of p.events) {
        providers.push(p.provider);
        eventIds.push(e.eventId);
        headers.push(p.headers);
        bodies.push(e.body);
      }
    }
    const key = (provider: string, eventId: string) => `${provider}\u0000${eventId}`;
    // One statement, so one round trip and one commit: the new rows and their jobs are
    // written together or not at all. Rows stored before it began are read beside them.
    const { rows } = await sql<{ id: string; provider: string; event_id: string; fresh: boolean }>`
      with e as (
        select * from unnest(${providers}::text[], ${eventIds}::text[], ${headers}::text[], ${bodies}::text[]) as e(provider, event_id, headers, body)
      ), ins as (
        insert into webhook_inbox (provider, event_id, headers, body)
        select e.provider, e.event_id, e.headers::jsonb, e.body from e
        on conflict (provider, event_id) do nothing
        returning id, provider, event_id
      ), jobs as (
        select count(*) as n from graphile_worker.add_jobs(array(
          select row(${PROCESS_TASK}::text, json_build_object('inboxId', ins.id), null, null, null, null, null, null)::graphile_worker.job_spec from ins))
      )
      select ins.id, ins.provider, ins.event_id, true as fresh from ins cross join jobs
      union all
      select w.id, w.provider, w.event_id, false from webhook_inbox w join (select distinct provider, event_id from e) d using (provider, event_id)`.execute(this.#db);
    const fresh = new Map(rows.filter((r) => r.fresh).map((r) => [key(r.provider, r.event_id), r.id]));
    const stored = new Map(rows.map((r) => [key(r.provider, r.event_id), r.id]));
    // A concurrent write may have stored an event after this statement's snapshot was taken.
    const missing = providers.map((provider, i) => ({ provider, eventId: eventIds[i]! })).filter((e) => !stored.has(key(e.provider, e.eventId)));
    if (missing.length > 0) {
      const existing = await sql<{ id: string; provider: string; event_id: string }>`
        select w.id, w.provider, w.event_id from webhook_inbox w
        join unnest(${missing.map((m) => m.provider)}::text[], ${missing.map((m) => m.eventId)}::text[]) as m(provider, event_id)
          on w.provider = m.provider and w.event_id = m.event_id`.execute(this.#db);
      for (const row of existing.rows) stored.set(key(row.provider, row.event_id), row.id);
    }
    // The first occurrence of a new event in this write is the new one; any later one is a duplicate.
    const claimed = new Set<string>();
    return batch.map((p) =>
      p.events.map((e) => {
        const k = key(p.provider, e.eventId);
        const duplicate = !fresh.has(k) || claimed.has(k);
        claimed.add(k);
        return { id: stored.get(k)!, eventId: e.eventId, duplicate };
      }),
    );
  }
}
