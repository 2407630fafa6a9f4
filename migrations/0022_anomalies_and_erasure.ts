import { sql, type Kysely } from 'kysely';

// Anomaly rules, and GDPR erasure with financial retention.
//
// - `anomalies`: one row per customer, rule and subject (the day it concerns): a rule that
//   fires again for the same subject updates its row instead of adding one. Each carries
//   its evidence and the money at stake, and the alert that told people about it; it is
//   acknowledged and resolved with a reason.
// - `anomaly_thresholds`: a customer's own thresholds (absent: the defaults).
// - `erasures`: who asked to erase a customer's personal data, why, and what was changed.
// - `audit_log.redacted_by`: the erasure that pseudonymised a row's payload. The row keeps
//   its original hash (so the next row's link still holds); the erasure's own audit row
//   records the hash of each redacted row's new content, so the redacted content is as
//   tamper-evident as the rest (src/db/audit.ts, verifyAuditChain). The append-only trigger
//   lets exactly that change through: the payloads and redacted_by, once, nothing else.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table anomalies (
      id uuid primary key default gen_random_uuid(),
      customer_id uuid not null references customers (id),
      rule text not null check (rule in ('spend_above_forecast', 'spend_velocity', 'unassigned_licences', 'low_utilisation')),
      subject text not null,
      severity text not null check (severity in ('warning', 'critical')),
      status text not null default 'open' check (status in ('open', 'acknowledged', 'resolved')),
      observed_on date not null,
      amount_at_stake numeric not null,
      currency char(3) not null,
      message text not null,
      evidence jsonb not null,
      alert_id uuid references alerts (id),
      status_reason text,
      status_by text,
      status_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      constraint anomalies_subject_key unique (customer_id, rule, subject)
    );
    create index anomalies_created_at_idx on anomalies (created_at desc, id desc);
    create index anomalies_status_idx on anomalies (status, created_at desc);
    create trigger anomalies_updated_at before update on anomalies for each row execute function set_updated_at();

    create table anomaly_thresholds (
      customer_id uuid primary key references customers (id),
      thresholds jsonb not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create trigger anomaly_thresholds_updated_at before update on anomaly_thresholds for each row execute function set_updated_at();

    create table erasures (
      id uuid primary key default gen_random_uuid(),
      customer_id uuid not null references customers (id),
      reason text not null check (length(trim(reason)) > 0),
      requested_by text not null,
      changed jsonb not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index erasures_customer_idx on erasures (customer_id);

    alter table audit_log add column redacted_by uuid references erasures (id);

    create or replace function audit_log_append_only() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' and old.redacted_by is null and new.redacted_by is not null
         and (to_jsonb(new) - array['before', 'after', 'redacted_by']) = (to_jsonb(old) - array['before', 'after', 'redacted_by']) then
        return new;
      end if;
      raise exception 'audit_log is append-only';
    end $$;
  `.execute(db);
}
