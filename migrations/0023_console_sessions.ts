import { sql, type Kysely } from 'kysely';

// Sessions of the web console: an API key exchanged for a cookie. Only the SHA-256 of the
// cookie's token is stored (a database read leaks no usable cookie); the key itself is not
// stored at all: a session names its key, and every request reads the key's row, so a
// revoked or re-roled key ends or re-scopes its sessions at once. `csrf_token` is what a
// state-changing request made with the cookie must echo in `x-csrf-token`; `last_seen_at`
// drives the idle timeout.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table console_sessions (
      id uuid primary key default gen_random_uuid(),
      token_hash text not null unique,
      api_key_id uuid not null references api_keys(id) on delete cascade,
      csrf_token text not null,
      last_seen_at timestamptz not null default now(),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    );
    create index console_sessions_api_key_idx on console_sessions (api_key_id);
  `.execute(db);
}
