// Generated from the migrated schema by `npm run db:types`. Do not edit by hand.
import type { ColumnType, Generated } from 'kysely';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface AccountingMappingVersionsTable {
  id: Generated<string>;
  system: string;
  version: number;
  created_by: string;
  justification: string | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface AccountingMappingsTable {
  id: Generated<string>;
  system: string;
  match_kind: string;
  match_value: string;
  account: string | null;
  tax_code: string | null;
  dimensions: ColumnType<JsonValue | null, string | null, string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface AlertsTable {
  id: Generated<string>;
  kind: string;
  severity: string;
  status: Generated<string>;
  customer_id: string | null;
  connection_id: string | null;
  message: string;
  detail: ColumnType<JsonValue, string | undefined, string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface AllocationRuleSplitsTable {
  id: Generated<string>;
  allocation_rule_version_id: string;
  position: number;
  cost_node_id: string;
  percent: ColumnType<string, string, string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface AllocationRuleVersionsTable {
  id: Generated<string>;
  allocation_rule_id: string;
  version: number;
  status: Generated<string>;
  priority: number;
  match_kind: string;
  match_value: string;
  match_tag_value: string | null;
  effective_from: string;
  justification: string;
  created_by: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface AllocationRulesTable {
  id: Generated<string>;
  customer_id: string;
  created_by: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface AnomaliesTable {
  id: Generated<string>;
  customer_id: string;
  rule: string;
  subject: string;
  severity: string;
  status: Generated<string>;
  observed_on: string;
  amount_at_stake: ColumnType<string, string, string>;
  currency: string;
  message: string;
  evidence: ColumnType<JsonValue, string, string>;
  alert_id: string | null;
  status_reason: string | null;
  status_by: string | null;
  status_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface AnomalyThresholdsTable {
  customer_id: string;
  thresholds: ColumnType<JsonValue, string, string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

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

export interface ApprovalsTable {
  id: Generated<string>;
  entity: string;
  entity_id: string;
  version: number;
  role: string;
  decision: string;
  api_key_id: string;
  comment: string | null;
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
  redacted_by: string | null;
}

export interface BillingPeriodsTable {
  period: string;
  status: Generated<string>;
  closed_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface BillingRunCustomersTable {
  billing_run_id: string;
  customer_id: string;
  outcome: string;
  invoice_id: string | null;
  currency: string | null;
  usage_lines: Generated<number>;
  license_lines: Generated<number>;
  late_lines: Generated<number>;
  unpriced_lines: Generated<number>;
  unmapped_lines: Generated<number>;
  discrepancies: Generated<number>;
  cost: ColumnType<string | null, string | null, string | null>;
  price: ColumnType<string | null, string | null, string | null>;
  unallocated: ColumnType<string | null, string | null, string | null>;
  rate_card_version_id: string | null;
  inputs: ColumnType<JsonValue, string | undefined, string>;
  fingerprint: string | null;
  problems: ColumnType<JsonValue, string | undefined, string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  tag_compliance: ColumnType<JsonValue | null, string | null, string | null>;
  seat_discrepancies: Generated<number>;
}

export interface BillingRunsTable {
  id: Generated<string>;
  period: string;
  time_zone: string;
  status: Generated<string>;
  customers_total: Generated<number>;
  customers_done: Generated<number>;
  pending_jobs: Generated<number>;
  error_count: Generated<number>;
  errors: ColumnType<JsonValue, string | undefined, string>;
  requested_by: string | null;
  started_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  finished_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ChargeCategoryMappingVersionsTable {
  id: Generated<string>;
  version: number;
  created_by: string;
  justification: string | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ChargeCategoryMappingsTable {
  id: Generated<string>;
  match_kind: string;
  match_value: string;
  category: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface CloseRunStageCountsTable {
  billing_run_id: string;
  customer_id: string;
  line_count: number;
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

export interface ConsentsTable {
  customer_id: string;
  connection_id: string;
  status: string;
  lapsed_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  restored_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  detail: string | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  gdap_state: string | null;
  relationship_id: string | null;
  expires_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  auto_extends: Generated<boolean>;
  missing_roles: Generated<string[]>;
  gdap_reason: string | null;
  checked_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  expiry_alerted_days: number | null;
}

export interface ConsoleSessionsTable {
  id: Generated<string>;
  token_hash: string;
  api_key_id: string;
  csrf_token: string;
  last_seen_at: ColumnType<Date, Date | string | undefined, Date | string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface CostDiscrepanciesTable {
  id: Generated<number>;
  billing_run_id: string;
  customer_id: string;
  period: string;
  line_kind: string;
  usage_line_id: number | null;
  license_line_id: string | null;
  field: string;
  formula: string;
  microsoft: ColumnType<string, string, string>;
  recomputed: ColumnType<string, string, string>;
  difference: ColumnType<string, string, string>;
  currency: string | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
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

export interface CustomerReviewsTable {
  id: Generated<string>;
  customer_id: string;
  reviewed_on: string;
  due_on: string;
  cadence: string;
  notes: string | null;
  recorded_by: string;
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
  required_tags: string[] | null;
  onboarding_template: string | null;
  invoice_format: string | null;
  review_cadence: string | null;
}

export interface DealsTable {
  id: Generated<string>;
  connection_id: string;
  customer_id: string | null;
  name: string;
  latest_revision: Generated<number>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface DriftFindingsTable {
  id: Generated<string>;
  finding_key: string;
  connection_id: string;
  customer_id: string;
  system: string;
  field: string;
  subject: string;
  owner: string;
  owner_value: string | null;
  owner_seen_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  other_value: string | null;
  other_seen_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  money_at_stake: ColumnType<string | null, string | null, string | null>;
  currency: string | null;
  vendor_ref: ColumnType<JsonValue, string, string>;
  status: Generated<string>;
  resolution: string | null;
  resolution_note: string | null;
  resolved_by: string | null;
  resolved_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ErasuresTable {
  id: Generated<string>;
  customer_id: string;
  reason: string;
  requested_by: string;
  changed: ColumnType<JsonValue, string, string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  status: Generated<string>;
  completed_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  attempts: Generated<number>;
  last_error: string | null;
}

export interface ErpPostingsTable {
  id: Generated<string>;
  invoice_id: string;
  system: string;
  connection_id: string;
  status: Generated<string>;
  idempotency_key: string;
  document_id: string | null;
  document_number: string | null;
  document_total: ColumnType<string | null, string | null, string | null>;
  attempts: Generated<number>;
  problems: ColumnType<JsonValue | null, string | null, string | null>;
  last_error: string | null;
  requested_by: string | null;
  posted_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  voided_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  credit_document_id: string | null;
  credit_document_number: string | null;
  credit_total: ColumnType<string | null, string | null, string | null>;
  credited_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  erp_status: string | null;
  amount_paid: ColumnType<string | null, string | null, string | null>;
  erp_status_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  part: Generated<string>;
  document_type: Generated<string>;
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

export interface FieldMappingsTable {
  id: Generated<string>;
  connection_id: string;
  object: string;
  version: number;
  rules: ColumnType<JsonValue, string, string>;
  reason: string;
  copied_from: number | null;
  created_by: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface FieldOwnersTable {
  field: string;
  owner: string;
  approval: string;
  description: string;
  updated_by: Generated<string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface FxRatesTable {
  id: Generated<string>;
  source: string;
  from_currency: string;
  to_currency: string;
  rate: ColumnType<string, string, string>;
  rate_date: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface GdapRelationshipsTable {
  connection_id: string;
  relationship_id: string;
  customer_tenant_id: string;
  customer_id: string | null;
  display_name: string | null;
  status: string;
  duration: string | null;
  auto_extend_duration: string | null;
  activated_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  end_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  roles: Generated<string[]>;
  assigned_roles: Generated<string[]>;
  seen_at: ColumnType<Date, Date | string, Date | string>;
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

export interface ImportUploadsTable {
  import_id: string;
  seq: number;
  bytes: Buffer;
  stored_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ImportsTable {
  id: Generated<string>;
  kind: string;
  source_name: string | null;
  format: string;
  accepted: Generated<number>;
  duplicates: Generated<number>;
  rejected: Generated<number>;
  errors: ColumnType<JsonValue, string | undefined, string>;
  requested_by: string | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  status: Generated<string>;
  rows_total: Generated<number>;
  error_count: Generated<number>;
  failure: string | null;
  finished_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  create_customers: Generated<boolean>;
  bytes: number | null;
  expected_rows: number | null;
}

export interface InvoiceAdjustmentsTable {
  id: Generated<string>;
  customer_id: string;
  invoice_id: string | null;
  kind: string;
  period: string;
  amount: ColumnType<string, string, string>;
  currency: string;
  reason: string;
  status: string;
  approval_required: boolean;
  threshold: ColumnType<string, string, string>;
  requested_by: string;
  requested_key_id: string | null;
  decided_by: string | null;
  decided_key_id: string | null;
  decision_comment: string | null;
  decided_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface InvoiceDeliveriesTable {
  id: Generated<string>;
  invoice_id: string;
  customer_id: string;
  recipient: string;
  status: Generated<string>;
  attempts: Generated<number>;
  last_error: string | null;
  smtp_status: number | null;
  message_id: string | null;
  requested_by: string;
  sent_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface InvoiceLineSourcesTable {
  id: Generated<number>;
  invoice_line_id: string;
  source_kind: string;
  rate_rule_id: string;
  rate_card_id: string;
  rate_card_version: number;
  basis: string;
  markup_percent: ColumnType<string | null, string | null, string | null>;
  unit_price: ColumnType<string | null, string | null, string | null>;
  fx: ColumnType<JsonValue | null, string | null, string | null>;
  cost_fx: ColumnType<JsonValue, string, string>;
  allocation_rule_id: string | null;
  allocation_rule_version: number | null;
  cost_node_id: string;
  percent: ColumnType<string, string, string>;
  rounding: ColumnType<JsonValue, string, string>;
  usage_line_ids: number[] | null;
  license_line_ids: string[] | null;
  line_count: number;
  quantity: ColumnType<string, string, string>;
  cost: ColumnType<string, string, string>;
  unrounded_price: ColumnType<string, string, string>;
  price: ColumnType<string, string, string>;
  allocated_amount: ColumnType<string, string, string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  labour_line_ids: string[] | null;
}

export interface InvoiceLinesTable {
  id: Generated<string>;
  invoice_id: string;
  position: number;
  line_key: string;
  kind: string;
  description: string;
  category: string | null;
  subscription_id: string | null;
  resource_group: string | null;
  meter_id: string | null;
  sku: string | null;
  adjustment_id: string | null;
  adjustment_period: string | null;
  adjustment_label: string | null;
  quantity: ColumnType<string | null, string | null, string | null>;
  exact_amount: ColumnType<string, string, string>;
  amount: ColumnType<string, string, string>;
  cost: ColumnType<string, string, string>;
  rate_rule_id: string | null;
  rate_card_id: string;
  rate_card_version: number;
  rounding: ColumnType<JsonValue, string, string>;
  source_count: Generated<number>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface InvoiceMarginFlagsTable {
  id: Generated<number>;
  invoice_id: string;
  line_kind: string;
  line_id: string;
  category: string;
  rate_rule_id: string;
  cost: ColumnType<string, string, string>;
  price: ColumnType<string, string, string>;
  margin_percent: ColumnType<string | null, string | null, string | null>;
  target_margin_percent: ColumnType<string, string, string>;
  deviation_points: ColumnType<string | null, string | null, string | null>;
  reason: string;
}

export interface InvoicesTable {
  id: Generated<string>;
  customer_id: string;
  period: string;
  revision: number;
  number: string;
  status: Generated<string>;
  billing_run_id: string;
  currency: string;
  minor_units: number;
  rate_card_id: string;
  rate_card_version_id: string;
  rate_card_version: number;
  rounding_scope: string;
  rounding_mode: string;
  charges_total: ColumnType<string, string, string>;
  adjustments_total: ColumnType<string, string, string>;
  minimum_charge: ColumnType<string, string, string>;
  rounding_adjustment: ColumnType<string, string, string>;
  total: ColumnType<string, string, string>;
  cost: ColumnType<string, string, string>;
  subtotals_by_category: ColumnType<JsonValue, string, string>;
  subtotals_by_cost_node: ColumnType<JsonValue, string, string>;
  summary: ColumnType<JsonValue, string, string>;
  margin: ColumnType<JsonValue, string, string>;
  margin_flag_count: Generated<number>;
  inputs: ColumnType<JsonValue, string, string>;
  fingerprint: string;
  superseded_by: string | null;
  superseded_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  issued_at: ColumnType<Date, Date | string | undefined, Date | string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  labour_total: ColumnType<string, string | undefined, string>;
  labour: ColumnType<JsonValue | null, string | null, string | null>;
}

export interface LabourLinesTable {
  id: Generated<string>;
  connection_id: string;
  system: string;
  entry_id: string;
  version: number;
  status: Generated<string>;
  customer_id: string;
  cost_node_id: string | null;
  project_code: string | null;
  ticket_id: string | null;
  member: string;
  work_type: string | null;
  work_role: string | null;
  work_date: string;
  hours_worked: ColumnType<string, string, string>;
  hours_billable: ColumnType<string, string, string>;
  billable: boolean;
  rate: ColumnType<string | null, string | null, string | null>;
  rate_source: string | null;
  vendor_updated_at: ColumnType<Date, Date | string, Date | string>;
  fingerprint: string;
  source: ColumnType<JsonValue, string, string>;
  superseded_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  supersedes_id: string | null;
  late_period: string | null;
  late_detected_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  picked_up_by_run: string | null;
}

export interface LicenceSnapshotsTable {
  id: Generated<string>;
  customer_id: string;
  connection_id: string | null;
  sku_id: string;
  sku_part_number: string;
  observed_on: string;
  enabled: number;
  consumed: number;
  suspended: Generated<number>;
  warning: Generated<number>;
  capability_status: string;
  applies_to: string | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface LicenseLinesTable {
  id: Generated<string>;
  line_key: string;
  customer_id: string;
  connection_id: string | null;
  sync_run_id: string | null;
  import_id: string | null;
  source: string;
  charge_period: string;
  late: Generated<boolean>;
  late_detected_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  supersedes_id: string | null;
  revision: Generated<number>;
  first_seen_at: ColumnType<Date, Date | string | undefined, Date | string>;
  last_seen_at: ColumnType<Date, Date | string | undefined, Date | string>;
  partner_id: string | null;
  customer_tenant_id: string;
  customer_name: string | null;
  customer_domain_name: string | null;
  customer_country: string | null;
  invoice_number: string | null;
  mpn_id: string | null;
  reseller_mpn_id: string | null;
  order_id: string | null;
  order_date: ColumnType<Date | null, Date | string | null, Date | string | null>;
  product_id: string | null;
  sku_id: string | null;
  availability_id: string | null;
  sku_name: string | null;
  product_name: string | null;
  charge_type: string | null;
  unit_price: ColumnType<string | null, string | null, string | null>;
  quantity: ColumnType<string | null, string | null, string | null>;
  subtotal: ColumnType<string | null, string | null, string | null>;
  tax_total: ColumnType<string | null, string | null, string | null>;
  total_for_customer: ColumnType<string | null, string | null, string | null>;
  currency: string | null;
  price_adjustment_description: string | null;
  publisher_name: string | null;
  publisher_id: string | null;
  subscription_description: string | null;
  subscription_id: string | null;
  charge_start_date: ColumnType<Date | null, Date | string | null, Date | string | null>;
  charge_end_date: ColumnType<Date | null, Date | string | null, Date | string | null>;
  term_and_billing_cycle: string | null;
  effective_unit_price: ColumnType<string | null, string | null, string | null>;
  unit_type: string | null;
  alternate_id: string | null;
  billable_quantity: ColumnType<string | null, string | null, string | null>;
  billing_frequency: string | null;
  pricing_currency: string | null;
  pc_to_bc_exchange_rate: ColumnType<string | null, string | null, string | null>;
  pc_to_bc_exchange_rate_date: string | null;
  meter_description: string | null;
  reservation_order_id: string | null;
  credit_reason_code: string | null;
  subscription_start_date: ColumnType<Date | null, Date | string | null, Date | string | null>;
  subscription_end_date: ColumnType<Date | null, Date | string | null, Date | string | null>;
  reference_id: string | null;
  product_qualifiers: ColumnType<JsonValue, string | undefined, string>;
  promotion_id: string | null;
  product_category: string | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  picked_up_by_run: string | null;
}

export interface MappingUsesTable {
  connection_id: string;
  object: string;
  version: number;
  records: Generated<number>;
  first_used_at: ColumnType<Date, Date | string | undefined, Date | string>;
  last_used_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface NotificationChannelsTable {
  id: Generated<string>;
  name: string;
  kind: string;
  url: string | null;
  secret_encrypted: string | null;
  recipients: Generated<string[]>;
  events: Generated<string[]>;
  enabled: Generated<boolean>;
  created_by: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface NotificationDeliveriesTable {
  id: Generated<string>;
  channel_id: string;
  event_id: string;
  event_type: string;
  payload: ColumnType<JsonValue, string, string>;
  status: Generated<string>;
  attempts: Generated<number>;
  last_error: string | null;
  last_status: number | null;
  delivered_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface OnboardingTemplatesTable {
  key: string;
  name: string;
  cost_nodes: ColumnType<JsonValue, string | undefined, string>;
  invoice_format: string;
  review_cadence: string;
  trial_spend_cap: ColumnType<string | null, string | null, string | null>;
  trial_days: number | null;
  updated_by: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface ProcessCountersTable {
  process_id: string;
  metric: string;
  labels: ColumnType<JsonValue, string, string>;
  value: number;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface PsaProductMappingsTable {
  id: Generated<string>;
  connection_id: string;
  sku: string;
  product: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface PsaSyncErrorsTable {
  id: Generated<string>;
  connection_id: string;
  entity: string;
  entry_id: string;
  problems: ColumnType<JsonValue, string, string>;
  source: ColumnType<JsonValue, string, string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface PsaTodosTable {
  id: Generated<string>;
  connection_id: string;
  customer_id: string;
  kind: string;
  sku: string;
  product: string | null;
  agreement_id: string | null;
  addition_id: string | null;
  microsoft_quantity: ColumnType<string, string, string>;
  microsoft_as_of: ColumnType<Date | null, Date | string | null, Date | string | null>;
  psa_quantity: ColumnType<string | null, string | null, string | null>;
  psa_unit_price: ColumnType<string | null, string | null, string | null>;
  approved_unit_price: ColumnType<string | null, string | null, string | null>;
  planned_write: ColumnType<JsonValue | null, string | null, string | null>;
  fingerprint: string;
  status: Generated<string>;
  requested_by: string | null;
  decided_by: string | null;
  decided_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  reason: string | null;
  write_result: ColumnType<JsonValue | null, string | null, string | null>;
  written_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface QuoteExceptionsTable {
  id: Generated<string>;
  deal_id: string;
  status: Generated<string>;
  reason: string;
  problems: ColumnType<JsonValue, string, string>;
  attempts: Generated<number>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface QuoteExpectedSeatsTable {
  quote_id: string;
  sku: string;
  seats: ColumnType<string, string, string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface QuoteLinesTable {
  id: Generated<string>;
  quote_id: string;
  position: number;
  kind: string;
  sku: string | null;
  category: string;
  name: string;
  quantity: ColumnType<string, string, string>;
  unit_price: ColumnType<string, string, string>;
  discount_per_unit: ColumnType<string | null, string | null, string | null>;
  discount_percent: ColumnType<string | null, string | null, string | null>;
  net_unit_price: ColumnType<string, string, string>;
  unit_cost: ColumnType<string | null, string | null, string | null>;
  markup_percent: ColumnType<string | null, string | null, string | null>;
  monthly_amount: ColumnType<string, string, string>;
  term: string | null;
  billing_frequency: string;
  source: ColumnType<JsonValue, string, string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface QuotesTable {
  id: Generated<string>;
  deal_id: string;
  revision: number;
  customer_id: string;
  currency: string;
  closed_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  monthly_total: ColumnType<string, string, string>;
  azure_monthly_budget: ColumnType<string, string, string>;
  budget_alert_percents: Generated<number[]>;
  rate_card_id: string;
  rate_card_version: number;
  fingerprint: string;
  created_by: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  mapping_version: Generated<number>;
  mapping_source: ColumnType<JsonValue | null, string | null, string | null>;
  onboarding_template: string | null;
  trial_spend_cap: ColumnType<string | null, string | null, string | null>;
  trial_conversion_date: string | null;
  line_mapping_version: Generated<number>;
}

export interface RateCardRulesTable {
  id: Generated<string>;
  rate_card_version_id: string;
  position: number;
  match_kind: string;
  match_value: string | null;
  basis: string | null;
  markup_percent: ColumnType<string | null, string | null, string | null>;
  unit_price: ColumnType<string | null, string | null, string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface RateCardVersionsTable {
  id: Generated<string>;
  rate_card_id: string;
  version: number;
  status: Generated<string>;
  effective_from: string;
  effective_to: string | null;
  currency: string;
  rounding_scope: string;
  rounding_mode: string;
  fx_source: string;
  fx_from_currency: string | null;
  fx_rate: ColumnType<string | null, string | null, string | null>;
  minimum_monthly: ColumnType<string | null, string | null, string | null>;
  target_margin_percent: ColumnType<string | null, string | null, string | null>;
  requested_by: string;
  requested_at: ColumnType<Date, Date | string | undefined, Date | string>;
  justification: string | null;
  decided_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface RateCardsTable {
  id: Generated<string>;
  name: string;
  customer_id: string | null;
  is_template: Generated<boolean>;
  template_id: string | null;
  created_by: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface RevenueJournalEntriesTable {
  journal_id: string;
  entry_id: string;
  connection_id: string;
  customer_id: string;
}

export interface RevenueJournalsTable {
  id: Generated<string>;
  connection_id: string;
  system: string;
  period: string;
  currency: string;
  sequence: number;
  status: Generated<string>;
  idempotency_key: string;
  document_id: string | null;
  total: ColumnType<string, string | undefined, string>;
  lines: ColumnType<JsonValue, string | undefined, string>;
  attempts: Generated<number>;
  last_error: string | null;
  requested_by: string | null;
  posted_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface RevenueScheduleEntriesTable {
  id: Generated<string>;
  schedule_id: string;
  customer_id: string;
  period: string;
  amount: ColumnType<string, string, string>;
  reversed: Generated<boolean>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  catch_up: Generated<boolean>;
  carried: Generated<boolean>;
}

export interface RevenueSchedulesTable {
  id: Generated<string>;
  customer_id: string;
  invoice_id: string;
  invoice_line_id: string;
  currency: string;
  pattern: string;
  service_start: string;
  service_end: string;
  total: ColumnType<string, string, string>;
  deferred: boolean;
  subscription_id: string | null;
  license_line_ids: Generated<string[]>;
  status: Generated<string>;
  ended_on: string | null;
  reversed_amount: ColumnType<string, string | undefined, string>;
  reverses_id: string | null;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface SeatDiscrepanciesTable {
  id: Generated<number>;
  billing_run_id: string;
  customer_id: string;
  period: string;
  subscription_id: string;
  partner_center_subscription_id: string | null;
  kind: string;
  expected_seat_days: ColumnType<string | null, string | null, string | null>;
  billed_seat_days: ColumnType<string, string, string>;
  expected_amount: ColumnType<string | null, string | null, string | null>;
  billed_amount: ColumnType<string, string, string>;
  currency: string | null;
  license_line_ids: Generated<string[]>;
  message: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface SettingsTable {
  key: string;
  value: ColumnType<JsonValue, string, string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface SubscriptionEventsTable {
  id: Generated<string>;
  subscription_id: string;
  type: string;
  effective_date: string;
  quantity_before: number | null;
  quantity_after: number | null;
  source: string;
  detail: ColumnType<JsonValue, string | undefined, string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface SubscriptionsTable {
  id: Generated<string>;
  customer_id: string;
  connection_id: string | null;
  offer_id: string | null;
  offer_name: string | null;
  friendly_name: string | null;
  sku_id: string | null;
  quantity: Generated<number>;
  unit_type: string | null;
  status: string;
  billing_type: string | null;
  billing_cycle: string | null;
  term_duration: string | null;
  auto_renew: boolean | null;
  is_trial: Generated<boolean>;
  creation_date: ColumnType<Date | null, Date | string | null, Date | string | null>;
  effective_start_date: ColumnType<Date | null, Date | string | null, Date | string | null>;
  commitment_end_date: ColumnType<Date | null, Date | string | null, Date | string | null>;
  refund_expires_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  order_id: string | null;
  last_synced_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface SyncCursorsTable {
  connection_id: string;
  scope: string;
  cursor: ColumnType<JsonValue, string, string>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface SyncRunsTable {
  id: Generated<string>;
  connection_id: string;
  kind: string;
  period: string | null;
  trigger: string;
  status: Generated<string>;
  customers_total: Generated<number>;
  customers_done: Generated<number>;
  pages: Generated<number>;
  lines: Generated<number>;
  retries: Generated<number>;
  error_count: Generated<number>;
  errors: ColumnType<JsonValue, string | undefined, string>;
  pending_jobs: Generated<number>;
  requested_by: string | null;
  started_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  finished_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface SyncWritesTable {
  id: Generated<string>;
  idempotency_key: string;
  connection_id: string;
  object: string;
  external_id: string;
  before: ColumnType<JsonValue, string, string>;
  after: ColumnType<JsonValue, string, string>;
  origin: string;
  created_at: ColumnType<Date, Date | string | undefined, Date | string>;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export interface UsageLinesTable {
  id: Generated<number>;
  usage_date: string;
  line_key: string;
  customer_id: string;
  connection_id: string | null;
  sync_run_id: string | null;
  import_id: string | null;
  source: string;
  late: Generated<boolean>;
  late_detected_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  supersedes_id: number | null;
  revision: Generated<number>;
  first_seen_at: ColumnType<Date, Date | string | undefined, Date | string>;
  last_seen_at: ColumnType<Date, Date | string | undefined, Date | string>;
  partner_id: string | null;
  partner_name: string | null;
  customer_tenant_id: string;
  customer_name: string | null;
  customer_domain_name: string | null;
  customer_country: string | null;
  mpn_id: string | null;
  tier2_mpn_id: string | null;
  invoice_number: string | null;
  product_id: string | null;
  sku_id: string | null;
  availability_id: string | null;
  sku_name: string | null;
  product_name: string | null;
  publisher_name: string | null;
  publisher_id: string | null;
  subscription_description: string | null;
  subscription_id: string | null;
  charge_start_date: ColumnType<Date | null, Date | string | null, Date | string | null>;
  charge_end_date: ColumnType<Date | null, Date | string | null, Date | string | null>;
  meter_type: string | null;
  meter_category: string | null;
  meter_id: string | null;
  meter_sub_category: string | null;
  meter_name: string | null;
  meter_region: string | null;
  unit: string | null;
  resource_location: string | null;
  consumed_service: string | null;
  resource_group: string | null;
  resource_uri: string | null;
  charge_type: string | null;
  unit_price: ColumnType<string | null, string | null, string | null>;
  quantity: ColumnType<string | null, string | null, string | null>;
  unit_type: string | null;
  billing_pre_tax_total: ColumnType<string | null, string | null, string | null>;
  billing_currency: string | null;
  pricing_pre_tax_total: ColumnType<string | null, string | null, string | null>;
  pricing_currency: string | null;
  service_info1: string | null;
  service_info2: string | null;
  tags: ColumnType<JsonValue, string | undefined, string>;
  additional_info: string | null;
  effective_unit_price: ColumnType<string | null, string | null, string | null>;
  pc_to_bc_exchange_rate: ColumnType<string | null, string | null, string | null>;
  pc_to_bc_exchange_rate_date: string | null;
  entitlement_id: string | null;
  entitlement_description: string | null;
  partner_earned_credit_percentage: ColumnType<string | null, string | null, string | null>;
  credit_percentage: ColumnType<string | null, string | null, string | null>;
  credit_type: string | null;
  benefit_order_id: string | null;
  benefit_id: string | null;
  benefit_type: string | null;
  picked_up_by_run: string | null;
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
  accounting_mapping_versions: AccountingMappingVersionsTable;
  accounting_mappings: AccountingMappingsTable;
  alerts: AlertsTable;
  allocation_rule_splits: AllocationRuleSplitsTable;
  allocation_rule_versions: AllocationRuleVersionsTable;
  allocation_rules: AllocationRulesTable;
  anomalies: AnomaliesTable;
  anomaly_thresholds: AnomalyThresholdsTable;
  api_keys: ApiKeysTable;
  approvals: ApprovalsTable;
  audit_log: AuditLogTable;
  billing_periods: BillingPeriodsTable;
  billing_run_customers: BillingRunCustomersTable;
  billing_runs: BillingRunsTable;
  charge_category_mapping_versions: ChargeCategoryMappingVersionsTable;
  charge_category_mappings: ChargeCategoryMappingsTable;
  close_run_stage_counts: CloseRunStageCountsTable;
  connections: ConnectionsTable;
  consents: ConsentsTable;
  console_sessions: ConsoleSessionsTable;
  cost_discrepancies: CostDiscrepanciesTable;
  cost_nodes: CostNodesTable;
  customer_reviews: CustomerReviewsTable;
  customers: CustomersTable;
  deals: DealsTable;
  drift_findings: DriftFindingsTable;
  erasures: ErasuresTable;
  erp_postings: ErpPostingsTable;
  external_links: ExternalLinksTable;
  field_mappings: FieldMappingsTable;
  field_owners: FieldOwnersTable;
  fx_rates: FxRatesTable;
  gdap_relationships: GdapRelationshipsTable;
  idempotency_keys: IdempotencyKeysTable;
  import_uploads: ImportUploadsTable;
  imports: ImportsTable;
  invoice_adjustments: InvoiceAdjustmentsTable;
  invoice_deliveries: InvoiceDeliveriesTable;
  invoice_line_sources: InvoiceLineSourcesTable;
  invoice_lines: InvoiceLinesTable;
  invoice_margin_flags: InvoiceMarginFlagsTable;
  invoices: InvoicesTable;
  labour_lines: LabourLinesTable;
  licence_snapshots: LicenceSnapshotsTable;
  license_lines: LicenseLinesTable;
  mapping_uses: MappingUsesTable;
  notification_channels: NotificationChannelsTable;
  notification_deliveries: NotificationDeliveriesTable;
  onboarding_templates: OnboardingTemplatesTable;
  process_counters: ProcessCountersTable;
  psa_product_mappings: PsaProductMappingsTable;
  psa_sync_errors: PsaSyncErrorsTable;
  psa_todos: PsaTodosTable;
  quote_exceptions: QuoteExceptionsTable;
  quote_expected_seats: QuoteExpectedSeatsTable;
  quote_lines: QuoteLinesTable;
  quotes: QuotesTable;
  rate_card_rules: RateCardRulesTable;
  rate_card_versions: RateCardVersionsTable;
  rate_cards: RateCardsTable;
  revenue_journal_entries: RevenueJournalEntriesTable;
  revenue_journals: RevenueJournalsTable;
  revenue_schedule_entries: RevenueScheduleEntriesTable;
  revenue_schedules: RevenueSchedulesTable;
  seat_discrepancies: SeatDiscrepanciesTable;
  settings: SettingsTable;
  subscription_events: SubscriptionEventsTable;
  subscriptions: SubscriptionsTable;
  sync_cursors: SyncCursorsTable;
  sync_runs: SyncRunsTable;
  sync_writes: SyncWritesTable;
  usage_lines: UsageLinesTable;
  webhook_inbox: WebhookInboxTable;
  worker_heartbeats: WorkerHeartbeatsTable;
}
