import { sql, type Kysely } from 'kysely';

// Alerts out: where the MSP wants to hear about what happened, and every attempt to tell it.
//
// - `notification_channels`: a signed webhook (url; the signing secret sealed with
//   HUB_SECRET_KEY, bound to the row) or an e-mail list. `events` names the event types
//   the channel takes; empty means all of them.
// - `notification_deliveries`: one per channel and event (unique, so publishing the same
//   event twice delivers once). status pending → delivered, or dead once the job has run
//   out of attempts: the dead-letter list, from which a person can retry.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table notification_channels (
      id uuid primary key default gen_random_uuid(),
      name text not null,
      kind text not null check (kind in ('webhook', 'email')),
      url text,
      secret_encrypted text,
      recipients text[] not null default '{}',
      events text[] not null default '{}',
      enabled boolean not null default true,
      created_by text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      check (kind <> 'webhook' or (url is not null and secret_encrypted is not null)),
      check (kind <> 'email' or cardinality(recipients) > 0)
    );
    create trigger notification_channels_updated_at before update on notification_channels for each row execute function set_updated_at();

    create table notification_deliveries (
      id uuid primary key default gen_random_uuid(),
      channel_id uuid not null references notification_channels (id) on delete cascade,
      event_id uuid not null,
      event_type text not null,
      payload jsonb not null,
      status text not null default 'pending' check (status in ('pending', 'delivered', 'dead')),
      attempts integer not null default 0,
      last_error text,
      last_status integer,
      delivered_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      unique (channel_id, event_id)
    );
    create index notification_deliveries_status on notification_deliveries (status, created_at desc);
    create trigger notification_deliveries_updated_at before update on notification_deliveries for each row execute function set_updated_at();
  `.execute(db);
}

