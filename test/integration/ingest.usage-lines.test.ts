import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveCustomers } from '../../src/db/ingest/customers.ts';
import { withClientTransaction } from '../../src/db/ingest/copy.ts';
import { ingestUsageLines, type IngestSource, type UsageLineInput } from '../../src/db/ingest/usage-lines.ts';
import { mapUsageLine } from '../../src/mappings/partner-center/lines.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const SOURCE: IngestSource = { source: 'unbilled_export', connectionId: null, syncRunId: null, importId: null };

async function toInputs(records: Record<string, unknown>[]): Promise<UsageLineInput[]> {
  const mapped = records.map((r) => mapUsageLine(r));
  const rows = mapped.map((m) => {
    if (!m.ok) throw new Error(JSON.stringify(m.errors));
    return m;
  });
  const customers = await resolveCustomers(database.db, rows.map((m) => ({ tenantId: m.row.customer_tenant_id!, name: m.row.customer_name ?? null })), 'system:test');
  return rows.map((m) => ({ row: m.row, tags: m.tags, customerId: customers.get(m.row.customer_tenant_id!)! }));
}

const ingest = (inputs: UsageLineInput[], source = SOURCE) => withClientTransaction(database.pool, (client) => ingestUsageLines(client, inputs, source));

describe('usage line ingestion', () => {
  it('stores every documented field with vendor precision, and creates the unknown customer', async () => {
    const inputs = await toInputs([usageRecord({ EffectiveUnitPrice: '0.737586206896551724137931' })]);
    expect(await ingest(inputs)).toEqual({ inserted: 1, updated: 0, unchanged: 0, late: 0 });
    const row = await database.db.selectFrom('usage_lines').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      usage_date: '2026-10-03',
      customer_tenant_id: 'a1b2c3d4-0000-4000-8000-000000000001',
      meter_category: 'Virtual Machines',
      resource_group: 'rg-web',
      effective_unit_price: '0.737586206896551724137931',
      quantity: '24',
      billing_pre_tax_total: '1.95',
      pc_to_bc_exchange_rate: '1',
      pc_to_bc_exchange_rate_date: '2026-09-28',
      partner_earned_credit_percentage: '15',
      tags: { costCenter: 'CC-100', project: 'web' },
      late: false,
    });
    expect(row.charge_end_date!.toISOString()).toBe('2026-10-31T23:59:00.000Z');
    const customer = await database.db.selectFrom('customers').selectAll().where('id', '=', row.customer_id).executeTakeFirstOrThrow();
    expect(customer.name).toBe('Fabrikam Ltd');
    const audit = await database.db.selectFrom('audit_log').select(['action', 'justification']).where('entity_id', '=', row.customer_id).execute();
    expect(audit).toEqual([{ action: 'customer.create', justification: 'first seen in Partner Center data' }]);
  });

  it('adds nothing when the same page is ingested twice, and revises a line whose unbilled estimate changed', async () => {
    const page = await toInputs([usageRecord({ UsageDate: '2026-10-04' }), usageRecord({ UsageDate: '2026-10-05' })]);
    expect(await ingest(page)).toMatchObject({ inserted: 2, unchanged: 0 });
    expect(await ingest(page)).toEqual({ inserted: 0, updated: 0, unchanged: 2, late: 0 });
    // The billed version of the same line: invoice number set, amount revised. Same line, not a second one.
    const billed = await toInputs([usageRecord({ UsageDate: '2026-10-04', InvoiceNumber: 'G012345678', Quantity: '23.5', BillingPreTaxTotal: '1.91' })]);
    expect(await ingest(billed, { ...SOURCE, source: 'billed_export' })).toEqual({ inserted: 0, updated: 1, unchanged: 0, late: 0 });
    const rows = await database.db.selectFrom('usage_lines').select(['quantity', 'invoice_number', 'revision', 'source']).where('usage_date', '=', '2026-10-04').execute();
    expect(rows).toEqual([{ quantity: '23.5', invoice_number: 'G012345678', revision: 2, source: 'billed_export' }]);
  });

  it('never lets an unbilled estimate replace a billed line, whatever order the exports finish in', async () => {
    const billed = await toInputs([usageRecord({ UsageDate: '2026-10-07', InvoiceNumber: 'G099', Quantity: '10', BillingPreTaxTotal: '0.81' })]);
    const unbilled = await toInputs([usageRecord({ UsageDate: '2026-10-07', Quantity: '9', BillingPreTaxTotal: '0.73' })]);
    await ingest(billed, { ...SOURCE, source: 'billed_export' });
    expect(await ingest(unbilled)).toEqual({ inserted: 0, updated: 0, unchanged: 1, late: 0 });
    const row = await database.db.selectFrom('usage_lines').select(['quantity', 'invoice_number']).where('usage_date', '=', '2026-10-07').executeTakeFirstOrThrow();
    expect(row).toEqual({ quantity: '10', invoice_number: 'G099' });
  });

  it('keeps the last of duplicate lines within one batch', async () => {
    const batch = await toInputs([usageRecord({ UsageDate: '2026-10-06', Quantity: '1' }), usageRecord({ UsageDate: '2026-10-06', Quantity: '2' })]);
    expect(await ingest(batch)).toMatchObject({ inserted: 1 });
    const row = await database.db.selectFrom('usage_lines').select('quantity').where('usage_date', '=', '2026-10-06').executeTakeFirstOrThrow();
    expect(row.quantity).toBe('2');
  });

  it('stores lines for a closed period as late and never edits what a close froze', async () => {
    const original = await toInputs([usageRecord({ UsageDate: '2026-09-10', ChargeStartDate: '9/1/2026 0:00', ChargeEndDate: '9/30/2026 23:59' })]);
    await ingest(original);
    await database.db.insertInto('billing_periods').values({ period: '2026-09', status: 'closed', closed_at: new Date() }).execute();

    const newLine = await toInputs([usageRecord({ UsageDate: '2026-09-11', ChargeStartDate: '9/1/2026 0:00', ChargeEndDate: '9/30/2026 23:59' })]);
    expect(await ingest(newLine)).toEqual({ inserted: 0, updated: 0, unchanged: 0, late: 1 });

    const changed = await toInputs([usageRecord({ UsageDate: '2026-09-10', ChargeStartDate: '9/1/2026 0:00', ChargeEndDate: '9/30/2026 23:59', Quantity: '30', BillingPreTaxTotal: '2.44' })]);
    expect(await ingest(changed)).toEqual({ inserted: 0, updated: 0, unchanged: 0, late: 1 });
    expect(await ingest(changed)).toEqual({ inserted: 0, updated: 0, unchanged: 1, late: 0 });

    const september = await database.db
      .selectFrom('usage_lines')
      .select(['id', 'usage_date', 'quantity', 'late', 'supersedes_id', 'revision'])
      .where('usage_date', '<', '2026-10-01')
      .orderBy('id')
      .execute();
    expect(september).toHaveLength(3);
    const [frozen, lateNew, lateRevision] = september;
    expect(frozen).toMatchObject({ usage_date: '2026-09-10', quantity: '24', late: false, revision: 1 });
    expect(lateNew).toMatchObject({ usage_date: '2026-09-11', late: true, supersedes_id: null });
    expect(lateRevision).toMatchObject({ usage_date: '2026-09-10', quantity: '30', late: true, supersedes_id: frozen!.id, revision: 2 });
  });
});
