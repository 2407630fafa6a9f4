import type { DatabaseHandle } from '../../src/db/database.ts';
import { withClientTransaction } from '../../src/db/ingest/copy.ts';
import { resolveCustomers } from '../../src/db/ingest/customers.ts';
import { ingestLicenseLines, type LicenseLineInput } from '../../src/db/ingest/license-lines.ts';
import { ingestUsageLines, type IngestSource, type UsageLineInput } from '../../src/db/ingest/usage-lines.ts';
import { mapLicenseLine, mapUsageLine, type MappedLine } from '../../src/mappings/partner-center/lines.ts';

// Vendor records (usageRecord / licenseRecord fixtures) into the canonical tables, as a
// sync would store them: mapped, customers resolved (created when new), one transaction.

const BILLED: IngestSource = { source: 'billed_export', connectionId: null, syncRunId: null, importId: null };

function mappedOrThrow<T extends MappedLine>(records: Record<string, unknown>[], map: (r: Record<string, unknown>) => T): Extract<T, { ok: true }>[] {
  return records.map((r) => {
    const m = map(r);
    if (!m.ok) throw new Error(JSON.stringify(m.errors));
    return m as Extract<T, { ok: true }>;
  });
}

async function customersOf(database: DatabaseHandle, rows: { row: { customer_tenant_id?: string | null; customer_name?: string | null } }[]) {
  return resolveCustomers(database.db, rows.map((m) => ({ tenantId: m.row.customer_tenant_id!, name: m.row.customer_name ?? null })), 'system:test');
}

/** Daily rated usage records into usage_lines (billed export by default). */
export async function ingestUsageRecords(database: DatabaseHandle, records: Record<string, unknown>[], source: IngestSource = BILLED): Promise<void> {
  const mapped = mappedOrThrow(records, mapUsageLine);
  const customers = await customersOf(database, mapped);
  const inputs: UsageLineInput[] = mapped.map((m) => ({ row: m.row, tags: m.tags, customerId: customers.get(m.row.customer_tenant_id!)! }));
  await withClientTransaction(database.pool, (client) => ingestUsageLines(client, inputs, source));
}

/** Licence reconciliation records into license_lines, as billed lines. */
export async function ingestLicenseRecords(database: DatabaseHandle, records: Record<string, unknown>[]): Promise<void> {
  const mapped = mappedOrThrow(records, mapLicenseLine);
  const customers = await customersOf(database, mapped);
  const inputs: LicenseLineInput[] = mapped.map((m) => ({ row: m.row, productQualifiers: m.productQualifiers, customerId: customers.get(m.row.customer_tenant_id!)! }));
  await withClientTransaction(database.pool, (client) => ingestLicenseLines(client, inputs, { source: 'billed', connectionId: null, syncRunId: null, importId: null }));
}
