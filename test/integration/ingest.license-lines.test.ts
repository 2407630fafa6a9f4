import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveCustomers } from '../../src/db/ingest/customers.ts';
import { withClientTransaction } from '../../src/db/ingest/copy.ts';
import { ingestLicenseLines, type LicenseIngestSource, type LicenseLineInput } from '../../src/db/ingest/license-lines.ts';
import { mapLicenseLine } from '../../src/mappings/partner-center/lines.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';
import { licenseRecord } from '../helpers/license-fixtures.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const UNBILLED: LicenseIngestSource = { source: 'unbilled', connectionId: null, syncRunId: null, importId: null };

async function toInputs(records: Record<string, unknown>[]): Promise<LicenseLineInput[]> {
  const mapped = records.map((r) => {
    const m = mapLicenseLine(r);
    if (!m.ok) throw new Error(JSON.stringify(m.errors));
    return m;
  });
  const customers = await resolveCustomers(database.db, mapped.map((m) => ({ tenantId: m.row.customer_tenant_id!, name: m.row.customer_name ?? null })), 'system:test');
  return mapped.map((m) => ({ row: m.row, productQualifiers: m.productQualifiers, customerId: customers.get(m.row.customer_tenant_id!)! }));
}

const ingest = (inputs: LicenseLineInput[], source = UNBILLED) => withClientTransaction(database.pool, (client) => ingestLicenseLines(client, inputs, source));

describe('licence line ingestion', () => {
  it('stores every documented field with vendor precision, and creates the unknown customer', async () => {
    const inputs = await toInputs([licenseRecord({ ProductQualifiers: '["AddOn","Trial"]' })]);
    expect(await ingest(inputs)).toEqual({ inserted: 1, updated: 0, unchanged: 0, late: 0 });
    const row = await database.db.selectFrom('license_lines').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      charge_period: '2026-10',
      customer_tenant_id: '9b1d4e22-7f3a-4c55-8a66-1e2f3a4b5c6d',
      charge_type: 'addQuantity',
      unit_price: '12.00',
      effective_unit_price: '11.225806',
      billable_quantity: '15',
      subtotal: '154.80',
      currency: 'EUR',
      pc_to_bc_exchange_rate: '0.92',
      pc_to_bc_exchange_rate_date: '2026-10-01',
      reference_id: '12d33e18-061e-4040-ad77-fcd77c1a9943',
      product_qualifiers: ['AddOn', 'Trial'],
      source: 'unbilled',
      late: false,
      revision: 1,
    });
    expect(row.charge_start_date!.toISOString()).toBe('2026-10-07T00:00:00.000Z');
    expect(row.order_date!.toISOString()).toBe('2026-10-07T09:14:00.000Z');
    const customer = await database.db.selectFrom('customers').select('name').where('id', '=', row.customer_id).executeTakeFirstOrThrow();
    expect(customer.name).toBe('Northwind Traders');
  });

  it('adds nothing when the same lines come twice, and lets the billed line replace its unbilled estimate in place', async () => {
    const pair = await toInputs([
      licenseRecord({ ChargeType: 'new', ReferenceId: 'ref-2', Quantity: '10', BillableQuantity: '10', Subtotal: '103.20' }),
      licenseRecord({ ChargeType: 'cycleCharge', ReferenceId: 'ref-3', Quantity: '10', BillableQuantity: '10', Subtotal: '110.40' }),
    ]);
    expect(await ingest(pair)).toEqual({ inserted: 2, updated: 0, unchanged: 0, late: 0 });
    expect(await ingest(pair)).toEqual({ inserted: 0, updated: 0, unchanged: 2, late: 0 });

    const billed = await toInputs([licenseRecord({ ChargeType: 'new', ReferenceId: 'ref-2', Quantity: '10', BillableQuantity: '10', Subtotal: '103.19', InvoiceNumber: 'G012345678' })]);
    expect(await ingest(billed, { ...UNBILLED, source: 'billed' })).toEqual({ inserted: 0, updated: 1, unchanged: 0, late: 0 });
    const rows = await database.db.selectFrom('license_lines').select(['subtotal', 'invoice_number', 'revision', 'source']).where('reference_id', '=', 'ref-2').execute();
    expect(rows).toEqual([{ subtotal: '103.19', invoice_number: 'G012345678', revision: 2, source: 'billed' }]);

    // The unbilled estimate fetched again afterwards (jobs finish in any order) changes nothing.
    const estimate = await toInputs([licenseRecord({ ChargeType: 'new', ReferenceId: 'ref-2', Quantity: '10', BillableQuantity: '10', Subtotal: '103.20' })]);
    expect(await ingest(estimate)).toEqual({ inserted: 0, updated: 0, unchanged: 1, late: 0 });
    const after = await database.db.selectFrom('license_lines').select(['subtotal', 'invoice_number']).where('reference_id', '=', 'ref-2').execute();
    expect(after).toEqual([{ subtotal: '103.19', invoice_number: 'G012345678' }]);
  });

  it('keeps the last of duplicate lines within one batch, and a second batch in one transaction sees only its own lines', async () => {
    const first = await toInputs([licenseRecord({ ReferenceId: 'ref-4', Subtotal: '1.00' }), licenseRecord({ ReferenceId: 'ref-4', Subtotal: '2.00' })]);
    const second = await toInputs([licenseRecord({ ReferenceId: 'ref-5' })]);
    const counts = await withClientTransaction(database.pool, async (client) => [await ingestLicenseLines(client, first, UNBILLED), await ingestLicenseLines(client, second, UNBILLED)]);
    expect(counts).toEqual([
      { inserted: 1, updated: 0, unchanged: 0, late: 0 },
      { inserted: 1, updated: 0, unchanged: 0, late: 0 },
    ]);
    const row = await database.db.selectFrom('license_lines').select('subtotal').where('reference_id', '=', 'ref-4').executeTakeFirstOrThrow();
    expect(row.subtotal).toBe('2.00');
  });

  it('stores lines for a closed period as late and never edits what a close froze', async () => {
    const september = { ChargeStartDate: '9/7/2026 0:00', ChargeEndDate: '10/6/2026 0:00', ReferenceId: 'ref-sep' };
    const [original] = await toInputs([licenseRecord(september)]);
    await ingest([original!]);
    await database.db.insertInto('billing_periods').values({ period: '2026-09', status: 'closed', closed_at: new Date() }).execute();

    const newLine = await toInputs([licenseRecord({ ...september, ReferenceId: 'ref-sep-2' })]);
    expect(await ingest(newLine)).toEqual({ inserted: 0, updated: 0, unchanged: 0, late: 1 });
    expect(await ingest(newLine)).toEqual({ inserted: 0, updated: 0, unchanged: 1, late: 0 });

    // Billed after the close with another subtotal: a late revision beside the frozen line, once.
    const changed = await toInputs([licenseRecord({ ...september, Subtotal: '154.79', InvoiceNumber: 'G0999' })]);
    expect(await ingest(changed, { ...UNBILLED, source: 'billed' })).toEqual({ inserted: 0, updated: 0, unchanged: 0, late: 1 });
    expect(await ingest(changed, { ...UNBILLED, source: 'billed' })).toEqual({ inserted: 0, updated: 0, unchanged: 1, late: 0 });

    const rows = await database.db
      .selectFrom('license_lines')
      .select(['id', 'reference_id', 'subtotal', 'late', 'late_detected_at', 'supersedes_id', 'revision', 'invoice_number'])
      .where('charge_period', '=', '2026-09')
      .orderBy('first_seen_at')
      .orderBy('reference_id')
      .execute();
    expect(rows).toHaveLength(3);
    const frozen = rows.find((r) => r.reference_id === 'ref-sep' && !r.late)!;
    expect(frozen).toMatchObject({ subtotal: '154.80', invoice_number: null, revision: 1, supersedes_id: null });
    expect(rows.find((r) => r.reference_id === 'ref-sep-2')).toMatchObject({ late: true, supersedes_id: null, revision: 1 });
    const revision = rows.find((r) => r.reference_id === 'ref-sep' && r.late)!;
    expect(revision).toMatchObject({ subtotal: '154.79', invoice_number: 'G0999', supersedes_id: frozen.id, revision: 2 });
    expect(revision.late_detected_at).toBeInstanceOf(Date);
  });
});
