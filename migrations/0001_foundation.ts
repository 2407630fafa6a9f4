import { sql, type Kysely } from 'kysely';

// Forward-only. Later changes are new numbered files; never edit a landed one.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function set_updated_at() returns trigger language plpgsql as $$
    begin
      new.updated_at := now();
      return new;
    end $$;

    create table customers (
      id uuid primary key default gen_random_uuid(),
      name text not null check (length(trim(name)) > 0),
      status text not null default 'active' check (status in ('active', 'inactive')),
      billing_currency char(3) not null default 'USD' check (billing_currency ~ '^[A-Z]{3}$'),
      billing_email text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index customers_created_at_idx on customers (created_at desc, id desc);
    create trigger customers_updated_at before update on customers for each row execute function set_updated_at();

    -- The identity map: the only place a vendor's id for one of our entities is stored.
    create table external_links (
      id uuid primary key default gen_random_uuid(),
      entity text not null check (entity in ('customer', 'cost_node', 'subscription')),
      entity_id uuid not null,
      system text not null check (system ~ '^[a-z][a-z0-9_-]*$'),
      external_id text not null check (length(external_id) > 0),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint external_links_system_external_id_key unique (system, entity, external_id),
      constraint external_links_entity_system_key unique (entity, entity_id, system)
    );
    create trigger external_links_updated_at before update on external_links for each row execute function set_updated_at();

    create table cost_nodes (
      id uuid primary key default gen_random_uuid(),
      customer_id uuid not null references customers (id),
      parent_id uuid references cost_nodes (id),
      name text not null check (length(trim(name)) > 0),
      kind text not null default 'department'
        check (kind in ('business_unit', 'department', 'project', 'team', 'unallocated')),
      psa_project_code text,
      gl_cost_centre text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint cost_nodes_sibling_name_key unique nulls not distinct (customer_id, parent_id, name)
    );
    create index cost_nodes_customer_idx on cost_nodes (customer_id);
    -- Cost no allocation rule claims lands here, so it never disappears.
    create unique index cost_nodes_one_unallocated_idx on cost_nodes (customer_id) where kind = 'unallocated';
    create trigger cost_nodes_updated_at before update on cost_nodes for each row execute function set_updated_at();

    create table connections (
      id uuid primary key default gen_random_uuid(),
      provider text not null,
      name text not null,
      status text not null default 'active' check (status in ('active', 'disabled', 'error')),
      credentials_encrypted text not null,
      credential_fields text[] not null default '{}',
      settings jsonb not null default '{}',
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint connections_provider_name_key unique (provider, name)
    );
    create index connections_created_at_idx on connections (created_at desc, id desc);
    create trigger connections_updated_at before update on connections for each row execute function set_updated_at();

    create table api_keys (
      id uuid primary key default gen_random_uuid(),
      name text not null,
      prefix text not null unique,
      hash text not null,
      roles text[] not null check (
        cardinality(roles) > 0
        and roles <@ array['admin', 'finance', 'sales_ops', 'billing_ops', 'auditor', 'portal']::text[]
      ),
      customer_id uuid references customers (id),
      last_used_at timestamptz,
      revoked_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      -- A portal key is scoped to exactly one customer; staff keys to none.
      constraint api_keys_portal_scope check (('portal' = any (roles)) = (customer_id is not null))
    );
    create trigger api_keys_updated_at before update on api_keys for each row execute function set_updated_at();

    create table audit_log (
      seq bigserial primary key,
      id uuid not null default gen_random_uuid() unique,
      occurred_at timestamptz not null,
      actor text not null,
      action text not null,
      entity text not null,
      entity_id text,
      before jsonb,
      after jsonb,
      justification text,
      request_id text,
      prev_hash text not null,
      hash text not null unique
    );
    create index audit_log_entity_idx on audit_log (entity, entity_id, seq desc);
    create index audit_log_occurred_at_idx on audit_log (occurred_at);

    -- Append-only: the hub never rewrites history. (A superuser can still disable this;
    -- the hash chain is what makes such tampering detectable.)
    create function audit_log_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'audit_log is append-only';
    end $$;
    create trigger audit_log_no_update before update or delete on audit_log
      for each row execute function audit_log_append_only();

    create table webhook_inbox (
      id uuid primary key default gen_random_uuid(),
      provider text not null,
      event_id text not null,
      headers jsonb not null,
      body text not null,
      status text not null default 'received' check (status in ('received', 'processed', 'ignored', 'failed')),
      attempts integer not null default 0,
      error text,
      received_at timestamptz not null default now(),
      processed_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint webhook_inbox_provider_event_key unique (provider, event_id)
    );
    create trigger webhook_inbox_updated_at before update on webhook_inbox for each row execute function set_updated_at();

    create table idempotency_keys (
      api_key_id uuid not null references api_keys (id),
      key text not null,
      method text not null,
      path text not null,
      request_hash text not null,
      status_code integer,
      response_body jsonb,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      primary key (api_key_id, key)
    );
    create trigger idempotency_keys_updated_at before update on idempotency_keys for each row execute function set_updated_at();

    create table worker_heartbeats (
      worker_id text primary key,
      seen_at timestamptz not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
  `.execute(db);
}
