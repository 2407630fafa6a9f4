// Generated from the migrated schema by `npm run db:types`. Do not edit by hand.
import type { ColumnType, Generated } from 'kysely';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface ApiKeysTable {
  id: Generated<string>;
  name: string;
  prefix: string;
  hash: string;
  roles: string[];
  customer_id: string | null;
  last_used_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  revoked_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface AuditLogTable {
  seq: Generated<number>;
  id: Generated<string>;
  occurred_at: ColumnType<Date, Date | string, Date | string>;
  actor: string;
  action: string;
  entity: string;
  entity_id: string | null;
  before: ColumnType<JsonValue | null, string | null, string | null>;
  after: ColumnType<JsonValue | null, string | null, string | null>;
  justification: string | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
}

export interface ConnectionsTable {
  id: Generated<string>;
  provider: string;
  name: string;
  status: Generated<string>;
  credentials_encrypted: string;
  credential_fields: Generated<string[]>;
  settings: ColumnType<JsonValue, string | undefined, string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface CostNodesTable {
  id: Generated<string>;
  customer_id: string;
  parent_id: string | null;
  name: string;
  kind: Generated<string>;
  psa_project_code: string | null;
  gl_cost_centre: string | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface CustomersTable {
  id: Generated<string>;
  name: string;
  status: Generated<string>;
  billing_currency: Generated<string>;
  billing_email: string | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ExternalLinksTable {
  id: Generated<string>;
  entity: string;
  entity_id: string;
  system: string;
  external_id: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface IdempotencyKeysTable {
  api_key_id: string;
  key: string;
  method: string;
  path: string;
  request_hash: string;
  status_code: number | null;
  response_body: ColumnType<JsonValue | null, string | null, string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface WebhookInboxTable {
  id: Generated<string>;
  provider: string;
  event_id: string;
  headers: ColumnType<JsonValue, string, string>;
  body: string;
  status: Generated<string>;
  attempts: Generated<number>;
  error: string | null;
  received_at: ColumnType<Date, Date | string | undefined, Date | string>;
  processed_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface WorkerHeartbeatsTable {
  worker_id: string;
  seen_at: ColumnType<Date, Date | string, Date | string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface Database {
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  connections: ConnectionsTable;
  cost_nodes: CostNodesTable;
  customers: CustomersTable;
  external_links: ExternalLinksTable;
  idempotency_keys: IdempotencyKeysTable;
  webhook_inbox: WebhookInboxTable;
  worker_heartbeats: WorkerHeartbeatsTable;
}
