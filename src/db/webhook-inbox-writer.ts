import { sql } from 'kysely';
import { enqueueJobs } from '../jobs/enqueue.ts';
import type { Db } from './database.ts';

// Webhook events are answered only once they are stored and their processing job is
// enqueued, in one commit. A commit per request made concurrent deliveries queue on
// commits; this writer lets them share one: requests arriving while earlier writes are in
// flight wait together, then one multi-row INSERT … ON CONFLICT DO NOTHING stores all of
// their events, one statement enqueues the new ones, and one commit makes them durable
// before any of those requests is answered. A failed write fails every request in it
// (nothing of it is stored), and the vendor redelivers.

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
    this.#maxInFlight = options.maxInFlight ?? 2;
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
        (error: unknown) => batch.forEach((p) => p.reject(error)),
      )
      .finally(() => {
        this.#inFlight -= 1;
        this.#next();
      });
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
    const { fresh, stored } = await this.#db.transaction().execute(async (trx) => {
      const inserted = await sql<{ id: string; provider: string; event_id: string }>`
        insert into webhook_inbox (provider, event_id, headers, body)
        select e.provider, e.event_id, e.headers::jsonb, e.body
        from unnest(${providers}::text[], ${eventIds}::text[], ${headers}::text[], ${bodies}::text[]) as e(provider, event_id, headers, body)
        on conflict (provider, event_id) do nothing
        returning id, provider, event_id`.execute(trx);
      const fresh = new Map(inserted.rows.map((r) => [key(r.provider, r.event_id), r.id]));
      const stored = new Map(fresh);
      const missing = providers.map((provider, i) => ({ provider, eventId: eventIds[i]! })).filter((e) => !fresh.has(key(e.provider, e.eventId)));
      if (missing.length > 0) {
        const existing = await sql<{ id: string; provider: string; event_id: string }>`
          select w.id, w.provider, w.event_id from webhook_inbox w
          join unnest(${missing.map((m) => m.provider)}::text[], ${missing.map((m) => m.eventId)}::text[]) as m(provider, event_id)
            on w.provider = m.provider and w.event_id = m.event_id`.execute(trx);
        for (const row of existing.rows) stored.set(key(row.provider, row.event_id), row.id);
      }
      await enqueueJobs(trx, 'webhook:process', [...fresh.values()].map((id) => ({ payload: { inboxId: id } })));
      return { fresh, stored };
    });
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
