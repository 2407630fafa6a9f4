import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { storeUpload } from '../../src/db/import-uploads.ts';
import { runImport } from '../../src/db/ingest/partner-center-file.ts';
import { importThroughApi, waitForImport } from '../helpers/imports.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';
import { licenseRecord } from '../helpers/license-fixtures.ts';
import { jsonLines, licenseCsv, usageCsv } from '../helpers/portal-files.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const FABRIKAM = 'a1b2c3d4-0000-4000-8000-000000000001';
const KNOWN = 'c0ffee00-0000-4000-8000-000000000002';
const LIMIT_BYTES = 64 * 1024;
const LIMIT_ROWS = 40;

let hub: TestHub;
let tmp: string;
beforeAll(async () => {
  hub = await createTestHub({ worker: true, env: { HUB_IMPORT_MAX_BYTES: String(LIMIT_BYTES), HUB_IMPORT_MAX_ROWS: String(LIMIT_ROWS) } });
  tmp = await mkdtemp(join(tmpdir(), 'hub-imports-'));
});
afterAll(async () => {
  await hub.close();
  await rm(tmp, { recursive: true, force: true });
});

function post(body: string, contentType = 'text/csv', headers: Record<string, string> = {}, query = '?createCustomers=true') {
  return hub.app.inject({
    method: 'POST',
    url: `/v1/imports/partner-center${query}`,
    headers: { ...hub.auth(hub.keys.billing_ops), 'content-type': contentType, ...headers },
    payload: body,
  });
}

const customerByTenant = (tenantId: string) =>
  hub.ctx.db
    .selectFrom('external_links')
    .innerJoin('customers', 'customers.id', 'external_links.entity_id')
    .select(['customers.id', 'customers.name'])
    .where('external_links.system', '=', 'partner-center')
    .where('external_links.external_id', '=', tenantId)
    .execute();

describe('POST /v1/imports/partner-center', () => {
  it("imports the portal's usage CSV (BOM, 10/1/2026 0:00 dates, quoted commas, JSON tags) and creates the unknown customer with its link", async () => {
    const known = await hub.app.inject({
      method: 'POST',
      url: '/v1/customers',
      headers: hub.auth(hub.keys.admin),
      payload: { name: 'Contoso (known)', externalLinks: [{ system: 'partner-center', externalId: KNOWN }] },
    });
    expect(known.statusCode).toBe(201);

    const file = usageCsv([
      usageRecord({ CustomerName: 'Fabrikam, Ltd', UsageDate: '10/1/2026 0:00', EffectiveUnitPrice: '0.737586206896551724137931' }),
      usageRecord({ CustomerName: 'Fabrikam, Ltd', UsageDate: '10/2/2026 0:00', Tags: '{"costCenter":"CC-200","owner":"ops, infra"}' }),
      usageRecord({ CustomerId: KNOWN.toUpperCase(), CustomerName: 'Contoso Ltd', UsageDate: '10/2/2026 0:00' }),
    ]);
    // The file really is in the portal's shape.
    expect(file.startsWith('\uFEFFPartnerId,PartnerName,CustomerId,')).toBe(true);
    expect(file).toContain(',"Fabrikam, Ltd",');
    expect(file).toContain(',"{""costCenter"":""CC-200"",""owner"":""ops, infra""}",');
    expect(file).toContain(',10/1/2026 0:00,');
    expect(file).toContain('\r\n');

    const answer = await importThroughApi(hub, file, {
      contentType: 'text/csv; charset=utf-8',
      headers: { 'x-request-id': 'import-usage-1' },
      query: '?sourceName=DailyRatedUsage_202610.csv&createCustomers=true',
    });
    expect(answer).toEqual({ importId: expect.any(String), kind: 'usage', accepted: 3, duplicates: 0, rejected: 0, errors: [] });

    const [fabrikam, ...others] = await customerByTenant(FABRIKAM);
    expect(others).toEqual([]);
    expect(fabrikam!.name).toBe('Fabrikam, Ltd');
    const created = await hub.app.inject({ method: 'GET', url: `/v1/customers/${fabrikam!.id}`, headers: hub.auth(hub.keys.admin) });
    expect(created.json().externalLinks).toEqual([expect.objectContaining({ system: 'partner-center', externalId: FABRIKAM })]);

    const lines = await hub.ctx.db.selectFrom('usage_lines').selectAll().where('import_id', '=', answer.importId).orderBy('usage_date').orderBy('customer_tenant_id').execute();
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      usage_date: '2026-10-01',
      customer_id: fabrikam!.id,
      customer_name: 'Fabrikam, Ltd',
      effective_unit_price: '0.737586206896551724137931',
      quantity: '24',
      billing_pre_tax_total: '1.95',
      tags: { costCenter: 'CC-100', project: 'web' },
      additional_info: '{"ImageType":"Canonical","ServiceType":"Standard_D2_v3"}',
      source: 'import',
      late: false,
    });
    expect(lines[0]!.charge_start_date!.toISOString()).toBe('2026-10-01T00:00:00.000Z');
    expect(lines[0]!.charge_end_date!.toISOString()).toBe('2026-10-31T23:59:00.000Z');
    expect(lines[1]).toMatchObject({ usage_date: '2026-10-02', customer_tenant_id: FABRIKAM, tags: { costCenter: 'CC-200', owner: 'ops, infra' } });
    const [contoso] = await customerByTenant(KNOWN);
    expect(lines[2]).toMatchObject({ usage_date: '2026-10-02', customer_id: contoso!.id, customer_tenant_id: KNOWN });
    expect(await customerByTenant(KNOWN)).toHaveLength(1);

    const record = await hub.ctx.db.selectFrom('imports').selectAll().where('id', '=', answer.importId).executeTakeFirstOrThrow();
    expect(record).toMatchObject({ kind: 'usage', format: 'csv', source_name: 'DailyRatedUsage_202610.csv', status: 'completed', accepted: 3, duplicates: 0, rejected: 0, rows_total: 3, expected_rows: 3, create_customers: true, errors: [] });
    // The job deleted the stored file once it was imported.
    expect(await hub.ctx.db.selectFrom('import_uploads').select('seq').where('import_id', '=', answer.importId).execute()).toEqual([]);
    expect(record.requested_by).toMatch(/^key:/);
    const audit = await hub.ctx.db.selectFrom('audit_log').select(['action', 'request_id', 'after']).where('entity', '=', 'import').where('entity_id', '=', answer.importId).orderBy('seq').execute();
    expect(audit.map((a) => [a.action, a.request_id])).toEqual([
      ['import.partner_center', 'import-usage-1'],
      ['import.partner_center', 'import-usage-1'],
    ]);
    expect(audit[1]!.after).toMatchObject({ status: 'completed', accepted: 3, duplicates: 0, rejected: 0 });
  });

  it('imports the licence reconciliation CSV', async () => {
    const file = licenseCsv([
      licenseRecord({ ChargeType: 'new', ReferenceId: 'ref-new', Quantity: '10', BillableQuantity: '10', EffectiveUnitPrice: '12.00', Subtotal: '110.40', TotalForCustomer: '110.40' }),
      licenseRecord({ ProductQualifiers: '["AddOn"]', PriceAdjustmentDescription: '["15.0% Partner earned credit for services managed"]' }),
    ]);
    const res = await importThroughApi(hub, file);
    expect(res).toMatchObject({ kind: 'license', accepted: 2, duplicates: 0, rejected: 0, errors: [] });
    const rows = await hub.ctx.db.selectFrom('license_lines').selectAll().where('import_id', '=', res.importId).orderBy('reference_id').execute();
    expect(rows.map((r) => [r.reference_id, r.charge_type, r.billable_quantity, r.subtotal, r.charge_period, r.source])).toEqual([
      ['12d33e18-061e-4040-ad77-fcd77c1a9943', 'addQuantity', '15', '154.80', '2026-10', 'import'],
      ['ref-new', 'new', '10', '110.40', '2026-10', 'import'],
    ]);
    expect(rows[0]).toMatchObject({ product_qualifiers: ['AddOn'], price_adjustment_description: '["15.0% Partner earned credit for services managed"]', term_and_billing_cycle: 'One-Year commitment for monthly/yearly billing' });
    expect((await customerByTenant('9b1d4e22-7f3a-4c55-8a66-1e2f3a4b5c6d'))[0]!.name).toBe('Northwind Traders');
  });

  it('imports JSON lines (the v2 export shape, and the v1 API spelling) keeping exact decimals', async () => {
    const v2 = jsonLines([usageRecord({ UsageDate: '2026-10-05T00:00:00Z', ResourceURI: '/subscriptions/ent-1/vm/json1' })]).replace('"EffectiveUnitPrice":"0.0816"', '"EffectiveUnitPrice":0.08160000000000000000017');
    expect(v2).toContain(':0.08160000000000000000017');
    const res = await importThroughApi(hub, v2, { contentType: 'application/x-ndjson' });
    expect(res).toMatchObject({ kind: 'usage', accepted: 1, rejected: 0 });
    const stored = await hub.ctx.db.selectFrom('usage_lines').select(['effective_unit_price', 'usage_date']).where('import_id', '=', res.importId).executeTakeFirstOrThrow();
    expect(stored).toEqual({ effective_unit_price: '0.08160000000000000000017', usage_date: '2026-10-05' });

    // The v1 REST API's names: camelCase, unitOfMeasure, tags as an object, PEC as a fraction.
    const v1 =
      '{"partnerId":"p","customerId":"9b1d4e22-7f3a-4c55-8a66-1e2f3a4b5c6d","customerName":"Northwind Traders","usageDate":"2026-10-20T00:00:00Z",' +
      '"chargeStartDate":"2026-10-01T00:00:00Z","chargeEndDate":"2026-10-31T00:00:00Z","meterId":"m-1","meterName":"D2s v3","entitlementId":"ent-9",' +
      '"resourceUri":"/subscriptions/ent-9/vm/erp01","unitOfMeasure":"1 Hour","chargeType":"New","unitPrice":0.868,"quantity":24,"billingPreTaxTotal":16.28,' +
      '"billingCurrency":"EUR","pricingPreTaxTotal":17.70,"pricingCurrency":"USD","tags":{"costcenter":"finance"},"effectiveUnitPrice":0.7375,' +
      '"pcToBCExchangeRate":0.92,"rateOfPartnerEarnedCredit":0.15,"hasPartnerEarnedCredit":true,"attributes":{"objectType":"DailyRatedUsageLineItem"}}\n';
    const v1res = await importThroughApi(hub, v1, { contentType: 'application/jsonl' });
    expect(v1res).toMatchObject({ kind: 'usage', accepted: 1, rejected: 0, errors: [] });
    const line = await hub.ctx.db.selectFrom('usage_lines').selectAll().where('import_id', '=', v1res.importId).executeTakeFirstOrThrow();
    expect(line).toMatchObject({ unit: '1 Hour', pricing_pre_tax_total: '17.70', partner_earned_credit_percentage: '15', tags: { costcenter: 'finance' }, billing_currency: 'EUR' });
  });

  it('stores the good rows and answers each bad one with its row, field and reason', async () => {
    const october = (day: number, extra: Record<string, unknown> = {}) => usageRecord({ UsageDate: `10/${day}/2026 0:00`, ResourceURI: '/subscriptions/ent-1/vm/bad-rows', ...extra });
    const file = usageCsv([
      october(10),
      october(11, { Quantity: 'abc' }),
      october(12, { CustomerId: '' }),
      october(13, { UsageDate: '13/45/2026 0:00' }),
      october(14, { Tags: '{costCenter: CC-100' }),
      october(15),
    ]);
    const res = await importThroughApi(hub, file);
    expect(res).toEqual({
      importId: expect.any(String),
      kind: 'usage',
      accepted: 2,
      duplicates: 0,
      rejected: 4,
      errors: [
        { row: 3, field: 'Quantity', reason: 'is not a number: "abc"' },
        { row: 4, field: 'CustomerId', reason: 'is required' },
        { row: 5, field: 'UsageDate', reason: 'is not a calendar date: 13/45/2026 0:00' },
        { row: 6, field: 'Tags', reason: 'is not a JSON object of tags' },
      ],
    });
    const stored = await hub.ctx.db.selectFrom('usage_lines').select('usage_date').where('import_id', '=', res.importId).orderBy('usage_date').execute();
    expect(stored.map((s) => s.usage_date)).toEqual(['2026-10-10', '2026-10-15']);
    const record = await hub.app.inject({ method: 'GET', url: `/v1/imports/${res.importId}`, headers: hub.auth(hub.keys.auditor) });
    expect(record.json()).toMatchObject({ status: 'completed', rows: 6, expectedRows: 6, accepted: 2, rejected: 4, errorCount: 4, errors: res.errors });
  });

  it('adds nothing when the same file comes twice', async () => {
    const file = usageCsv([1, 2, 3, 4].map((d) => usageRecord({ UsageDate: `10/${d}/2026 0:00`, ResourceURI: '/subscriptions/ent-1/vm/twice' })));
    const first = await importThroughApi(hub, file);
    expect(first).toMatchObject({ accepted: 4, duplicates: 0, rejected: 0 });
    const second = await importThroughApi(hub, file);
    expect(second).toMatchObject({ accepted: 0, duplicates: 4, rejected: 0, errors: [] });
    expect(second.importId).not.toBe(first.importId);
    const count = await hub.ctx.db.selectFrom('usage_lines').select((eb) => eb.fn.countAll<number>().as('n')).where('resource_uri', '=', '/subscriptions/ent-1/vm/twice').executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(4);
  });

  it('replays the answer for a retried Idempotency-Key and refuses the key with another file', async () => {
    const file = usageCsv([usageRecord({ UsageDate: '10/20/2026 0:00', ResourceURI: '/subscriptions/ent-1/vm/idem' })]);
    const first = await post(file, 'text/csv', { 'idempotency-key': 'upload-1' });
    expect(first.statusCode, first.body).toBe(202);
    const retry = await post(file, 'text/csv', { 'idempotency-key': 'upload-1' });
    expect(retry.statusCode).toBe(202);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(first.json());
    const imports = await hub.ctx.db.selectFrom('imports').select('id').where('source_name', 'is', null).where('created_at', '>=', new Date(Date.now() - 60_000)).execute();
    expect(imports.filter((i) => i.id === first.json().importId)).toHaveLength(1);
    // The retry's upload was stored, found to repeat the first, and thrown away.
    const leftover = await hub.ctx.db.selectFrom('import_uploads').select('import_id').where('import_id', '!=', first.json().importId).execute();
    expect(leftover).toEqual([]);
    await waitForImport(hub, first.json().importId);
    const other = await post(file.replace('10/20/2026', '10/21/2026'), 'text/csv', { 'idempotency-key': 'upload-1' });
    expect(other.statusCode).toBe(422);
    expect(await hub.ctx.db.selectFrom('import_uploads').select('import_id').execute()).toEqual([]);
  });

  it('answers 400 naming the header and the missing columns for a file that is neither kind, and records nothing', async () => {
    const before = await hub.ctx.db.selectFrom('imports').select('id').execute();
    const res = await post('\uFEFFDate,Customer,Amount\r\n10/1/2026 0:00,Fabrikam,1.00\r\n');
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const problem = res.json();
    expect(problem).toMatchObject({ type: '/problems/validation', field: 'header', errors: [{ field: 'header', reason: expect.stringContaining('UsageDate, MeterId') }] });
    expect(problem.missingColumns.usage).toEqual(['CustomerId', 'UsageDate', 'MeterId', 'EntitlementId', 'Quantity', 'BillingPreTaxTotal', 'BillingCurrency']);
    expect(problem.missingColumns.license).toContain('BillableQuantity');
    expect(await hub.ctx.db.selectFrom('imports').select('id').execute()).toHaveLength(before.length);

    expect((await post('')).json()).toMatchObject({ field: 'header' });
  });

  it('refuses other media types and keys without an import role', async () => {
    const json = await hub.app.inject({ method: 'POST', url: '/v1/imports/partner-center', headers: hub.auth(hub.keys.billing_ops), payload: { lines: [] } });
    expect(json.statusCode).toBe(415);
    expect(json.headers['content-type']).toContain('application/problem+json');
    const finance = await hub.app.inject({ method: 'POST', url: '/v1/imports/partner-center', headers: { ...hub.auth(hub.keys.finance), 'content-type': 'text/csv' }, payload: 'a,b\r\n' });
    expect(finance.statusCode).toBe(403);
  });

  it('answers 202 with the import id at once, and shows the job progress at GET /v1/imports/{id}', async () => {
    const file = usageCsv([1, 2, 3].map((d) => usageRecord({ UsageDate: `10/${d}/2026 0:00`, ResourceURI: '/subscriptions/ent-1/vm/queued' })));
    const res = await post(file, 'text/csv', {}, '?createCustomers=true&sourceName=queued.csv');
    expect(res.statusCode, res.body).toBe(202);
    const accepted = res.json();
    expect(accepted).toEqual({ importId: expect.any(String), kind: 'usage', status: 'queued', bytes: Buffer.byteLength(file), rows: 3 });
    expect(res.headers.location).toBe(`/v1/imports/${accepted.importId}`);
    const done = await waitForImport(hub, accepted.importId);
    expect(done).toMatchObject({ status: 'completed', sourceName: 'queued.csv', createCustomers: true, expectedRows: 3, rows: 3, accepted: 3, rejected: 0, failure: null });
    expect(done.finishedAt).toEqual(expect.any(String));
  });

  it(`refuses a file over HUB_IMPORT_MAX_BYTES with 413 and one over HUB_IMPORT_MAX_ROWS with 400, naming the limit, storing nothing`, async () => {
    const before = await hub.ctx.db.selectFrom('imports').select('id').execute();
    const row = (d: number) => usageRecord({ UsageDate: `10/${(d % 28) + 1}/2026 0:00`, ResourceURI: `/subscriptions/ent-1/vm/limit-${d}` });
    const big = usageCsv(Array.from({ length: 200 }, (_, i) => row(i)));
    expect(Buffer.byteLength(big)).toBeGreaterThan(LIMIT_BYTES);
    const tooBig = await post(big);
    expect(tooBig.statusCode).toBe(413);
    expect(tooBig.headers['content-type']).toContain('application/problem+json');
    expect(tooBig.json()).toMatchObject({ field: 'body', limit: 'HUB_IMPORT_MAX_BYTES', max: LIMIT_BYTES, detail: expect.stringContaining(`larger than ${LIMIT_BYTES} bytes (HUB_IMPORT_MAX_BYTES)`) });

    const long = usageCsv(Array.from({ length: LIMIT_ROWS + 1 }, (_, i) => row(i)));
    expect(Buffer.byteLength(long)).toBeLessThan(LIMIT_BYTES);
    const tooLong = await post(long);
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json()).toMatchObject({ field: 'body', limit: 'HUB_IMPORT_MAX_ROWS', max: LIMIT_ROWS, detail: expect.stringContaining(`more than ${LIMIT_ROWS} data rows (HUB_IMPORT_MAX_ROWS)`) });
    // Exactly at the limit is fine.
    const atLimit = await post(usageCsv(Array.from({ length: LIMIT_ROWS }, (_, i) => row(i))));
    expect(atLimit.statusCode, atLimit.body).toBe(202);
    await waitForImport(hub, atLimit.json().importId);

    expect(await hub.ctx.db.selectFrom('imports').select('id').execute()).toHaveLength(before.length + 1);
    expect(await hub.ctx.db.selectFrom('import_uploads').select('import_id').execute()).toEqual([]);
  });

  it('rejects the rows of a CustomerId the hub does not know unless createCustomers=true, creating nobody', async () => {
    const stranger = 'd0000000-0000-4000-8000-0000000000ee';
    const file = usageCsv([
      usageRecord({ UsageDate: '10/7/2026 0:00', ResourceURI: '/subscriptions/ent-1/vm/strangers' }),
      usageRecord({ CustomerId: stranger, CustomerName: 'Stranger Ltd', UsageDate: '10/7/2026 0:00', ResourceURI: '/subscriptions/ent-1/vm/strangers' }),
      usageRecord({ CustomerId: stranger, CustomerName: 'Stranger Ltd', UsageDate: '10/8/2026 0:00', ResourceURI: '/subscriptions/ent-1/vm/strangers' }),
    ]);
    const reason = `is not a customer the hub knows: ${stranger} (import with createCustomers=true to create it)`;
    const strict = await importThroughApi(hub, file, { query: '' });
    expect(strict).toMatchObject({ accepted: 1, rejected: 2, errors: [{ row: 3, field: 'CustomerId', reason }, { row: 4, field: 'CustomerId', reason }] });
    expect(await customerByTenant(stranger)).toEqual([]);
    expect((await hub.ctx.db.selectFrom('imports').select('create_customers').where('id', '=', strict.importId).executeTakeFirstOrThrow()).create_customers).toBe(false);

    const explicit = await importThroughApi(hub, file, { query: '?createCustomers=true' });
    expect(explicit).toMatchObject({ accepted: 2, duplicates: 1, rejected: 0 });
    expect(await customerByTenant(stranger)).toEqual([expect.objectContaining({ name: 'Stranger Ltd' })]);
  });

  it('lists imports newest first', async () => {
    const page = await hub.app.inject({ method: 'GET', url: '/v1/imports?limit=2', headers: hub.auth(hub.keys.finance) });
    expect(page.statusCode).toBe(200);
    const body = page.json();
    expect(body.items).toHaveLength(2);
    expect(body.items[0]).not.toHaveProperty('errors');
    expect(body.nextCursor).toEqual(expect.any(String));
    const next = await hub.app.inject({ method: 'GET', url: `/v1/imports?limit=2&cursor=${body.nextCursor}`, headers: hub.auth(hub.keys.finance) });
    expect(next.json().items[0].createdAt <= body.items[1].createdAt).toBe(true);
  });
});

describe('runImport', () => {
  it('reads a stored upload in batches, each its own transaction, and counts across them', async () => {
    async function* slowly(text: string) {
      for (let i = 0; i < text.length; i += 100) yield Buffer.from(text.slice(i, i + 100));
    }
    const records = Array.from({ length: 7 }, (_, i) =>
      usageRecord({ CustomerId: `b0000000-0000-4000-8000-00000000000${i % 3}`, CustomerName: `Batch ${i % 3}`, UsageDate: `10/${i + 1}/2026 0:00`, ResourceURI: '/vm/batches' }),
    );
    records[3]!.Quantity = 'n/a';
    const importId = randomUUID();
    const stored = await storeUpload(hub.ctx.db, importId, slowly(usageCsv(records)), 'csv', { maxBytes: LIMIT_BYTES, maxRows: LIMIT_ROWS });
    expect(stored).toMatchObject({ rows: 7, bytes: Buffer.byteLength(usageCsv(records)) });
    // Registered by hand, without a job: this test runs the import itself, two lines a batch.
    await hub.ctx.db.insertInto('imports').values({ id: importId, kind: 'usage', format: 'csv', status: 'queued', create_customers: true, requested_by: 'system:test' }).execute();
    const result = await runImport(hub.ctx, importId, { batchSize: 2 });
    expect(result).toMatchObject({ kind: 'usage', accepted: 6, duplicates: 0, rejected: 1, errors: [{ row: 5, field: 'Quantity', reason: 'is not a number: "n/a"' }] });
    for (const i of [0, 1, 2]) expect(await customerByTenant(`b0000000-0000-4000-8000-00000000000${i}`)).toHaveLength(1);
    expect(await hub.ctx.db.selectFrom('imports').select(['status', 'rows_total']).where('id', '=', importId).executeTakeFirstOrThrow()).toEqual({ status: 'completed', rows_total: 7 });
  });
});

describe('storeUpload', () => {
  it('stores a file of several chunks as it arrives and gives back the same bytes in order', async () => {
    const { readUpload, deleteUpload } = await import('../../src/db/import-uploads.ts');
    const line = `${'x'.repeat(1000)}\n`;
    const text = `{"CustomerId":"t"}\n${line.repeat(2600)}`;
    async function* inPieces() {
      for (let i = 0; i < text.length; i += 64 * 1024) yield Buffer.from(text.slice(i, i + 64 * 1024));
    }
    const importId = randomUUID();
    const stored = await storeUpload(hub.ctx.db, importId, inPieces(), 'jsonl', { maxBytes: 10 * 1024 * 1024, maxRows: 10_000 });
    expect(stored.bytes).toBe(text.length);
    expect(stored.rows).toBe(2601);
    const chunks = await hub.ctx.db.selectFrom('import_uploads').select(['seq']).where('import_id', '=', importId).orderBy('seq').execute();
    expect(chunks.map((c) => c.seq)).toEqual([0, 1, 2]);
    const back: Buffer[] = [];
    for await (const chunk of readUpload(hub.ctx.db, importId)) back.push(Buffer.from(chunk));
    expect(Buffer.concat(back).toString()).toBe(text);
    await deleteUpload(hub.ctx.db, importId);
  });
});

describe('hub import partner-center FILE', () => {
  it('imports a file from the command line and prints the answer', async () => {
    const file = join(tmp, 'DailyRatedUsage.csv');
    const stranger = 'd0000000-0000-4000-8000-0000000000cc';
    await writeFile(
      file,
      usageCsv([
        usageRecord({ UsageDate: '10/25/2026 0:00', ResourceURI: '/vm/cli' }),
        usageRecord({ UsageDate: '10/26/2026 0:00', Quantity: 'x', ResourceURI: '/vm/cli' }),
        usageRecord({ CustomerId: stranger, UsageDate: '10/26/2026 0:00', ResourceURI: '/vm/cli' }),
      ]),
    );
    const child = spawn(process.execPath, [join(ROOT, 'src', 'cli.ts'), 'import', 'partner-center', file], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: hub.database.url, HUB_SECRET_KEY: randomBytes(32).toString('hex'), LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, stderr).toBe(0);
    const answer = JSON.parse(stdout);
    expect(answer).toEqual({
      importId: expect.any(String),
      kind: 'usage',
      accepted: 1,
      duplicates: 0,
      rejected: 2,
      errors: [
        { row: 3, field: 'Quantity', reason: 'is not a number: "x"' },
        { row: 4, field: 'CustomerId', reason: `is not a customer the hub knows: ${stranger} (import with createCustomers=true to create it)` },
      ],
    });
    const record = await hub.ctx.db.selectFrom('imports').selectAll().where('id', '=', answer.importId).executeTakeFirstOrThrow();
    expect(record).toMatchObject({ source_name: 'DailyRatedUsage.csv', status: 'completed', format: 'csv' });
    expect(record.requested_by).toMatch(/^cli:/);
  });

  it('says what is wrong with an unknown header or a missing format', async () => {
    const file = join(tmp, 'other.csv');
    await writeFile(file, 'Date,Amount\r\n1/1/2026,1\r\n');
    const env = { ...process.env, DATABASE_URL: hub.database.url, HUB_SECRET_KEY: randomBytes(32).toString('hex'), LOG_LEVEL: 'silent' };
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [join(ROOT, 'src', 'cli.ts'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
    const header = await run(['import', 'partner-center', file]);
    expect(header.code).toBe(1);
    expect(header.stderr).toContain('header: not a Partner Center daily rated usage file (missing columns: CustomerId');
    const usage = await run(['import', 'partner-center', join(tmp, 'file.txt')]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('usage: hub import partner-center FILE');
  });
});
