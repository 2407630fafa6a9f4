import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ingestUsageStream, type UsageStreamBatch } from '../../src/db/ingest/usage-stream.ts';
import type { IngestSource } from '../../src/db/ingest/usage-lines.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.ts';
import { usageRecord } from '../helpers/usage-fixtures.ts';

// ingestUsageStream stores two batches at once on two connections while it maps the
// next: these tests pin what must still hold: stream order of commits, the later copy
// of a line winning, and nothing committed past a failed batch.

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());
beforeEach(async () => {
  await database.pool.query('delete from usage_lines');
});

const SOURCE: IngestSource = { source: 'unbilled_export', connectionId: null, syncRunId: null, importId: null };

/** Line i of a blob: one resource's usage on day 1 + (i mod 28), its quantity i, cost i/100. */
function record(i: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return usageRecord({
    UsageDate: `10/${1 + (i % 28)}/2026 0:00`,
    ResourceURI: `/subscriptions/5e7c9f5a-1d9d-4c31-9f33-6c0f1f2b3a4d/resourceGroups/rg-web/providers/Microsoft.Compute/virtualMachines/vm-${Math.floor(i / 28)}`,
    Quantity: String(i),
    BillingPreTaxTotal: (i / 100).toFixed(2),
    PricingPreTaxTotal: (i / 100).toFixed(2),
    ...overrides,
  });
}

async function* stream(records: Record<string, unknown>[]): AsyncGenerator<Record<string, unknown>> {
  for (const r of records) yield r;
}

async function storedTotal(): Promise<{ lines: number; total: string | null }> {
  const { rows } = await database.pool.query<{ lines: number; total: string | null }>('select count(*)::int as lines, sum(billing_pre_tax_total)::text as total from usage_lines');
  return rows[0]!;
}

describe('ingestUsageStream', () => {
  it('commits batches in stream order, each with the position it reached', async () => {
    const records = Array.from({ length: 1000 }, (_, i) => record(i));
    const seen: { reached: number; last: boolean; lines: number; visible: number }[] = [];
    const totals = await ingestUsageStream(database, stream(records), {
      source: SOURCE,
      actor: 'system:test',
      batchLines: 64,
      onBatch: async (client, batch: UsageStreamBatch) => {
        // What this batch's transaction sees as it ends: its own lines and every earlier
        // batch's (committed), none of a later one's (none has committed yet).
        const { rows } = await client.query<{ n: number }>('select count(*)::int as n from usage_lines');
        seen.push({ reached: batch.reached, last: batch.last, lines: batch.lines, visible: rows[0]!.n });
      },
    });
    expect(totals).toMatchObject({ read: 1000, rejected: 0, inserted: 1000 });
    expect(seen.map((s) => s.reached)).toEqual([...Array.from({ length: 15 }, (_, k) => 64 * (k + 1)), 1000]);
    expect(seen.at(-1)!.last).toBe(true);
    for (const s of seen) expect(s.visible).toBe(s.reached);
    expect(await storedTotal()).toEqual({ lines: 1000, total: '4995.00' });
  });

  it('keeps the later copy of a line that two neighbouring batches both carry', async () => {
    // Lines 0..99, then line 5 again with a revised amount in the next batch, then 100..149.
    const records = [...Array.from({ length: 100 }, (_, i) => record(i)), record(5, { Quantity: '500', BillingPreTaxTotal: '9.99', PricingPreTaxTotal: '9.99' }), ...Array.from({ length: 50 }, (_, i) => record(100 + i))];
    const totals = await ingestUsageStream(database, stream(records), { source: SOURCE, actor: 'system:test', batchLines: 100 });
    expect(totals).toMatchObject({ read: 151, inserted: 150, updated: 1 });
    const { rows } = await database.pool.query<{ quantity: string; total: string }>(`select quantity::text, billing_pre_tax_total::text as total from usage_lines where quantity in (5, 500)`);
    expect(rows).toEqual([{ quantity: '500', total: '9.99' }]);
    // Σ 0..149 / 100 = 111.75, less 0.05, plus 9.99.
    expect(await storedTotal()).toEqual({ lines: 150, total: '121.69' });
  });

  it('stops at a failed batch: the batches before it stay committed, none after it commits', async () => {
    const records = Array.from({ length: 500 }, (_, i) => record(i));
    const committed: number[] = [];
    const failure = ingestUsageStream(database, stream(records), {
      source: SOURCE,
      actor: 'system:test',
      batchLines: 50,
      onBatch: async (_client, batch) => {
        if (batch.reached === 200) throw new Error('the cursor write failed');
        committed.push(batch.reached);
      },
    });
    await expect(failure).rejects.toThrow('the cursor write failed');
    expect(committed).toEqual([50, 100, 150]);
    expect((await storedTotal()).lines).toBe(150);
    // Resuming from the saved position stores the rest, and nothing twice.
    const totals = await ingestUsageStream(database, stream(records), { source: SOURCE, actor: 'system:test', batchLines: 50, skip: 150 });
    expect(totals).toMatchObject({ read: 500, inserted: 350 });
    expect(await storedTotal()).toEqual({ lines: 500, total: '1247.50' });
  });

  it('passes refused lines on with their position and reason, and stores the others', async () => {
    const records = Array.from({ length: 30 }, (_, i) => (i === 7 ? record(i, { Quantity: 'lots' }) : record(i)));
    const rejected: { line: number; fields: string[] }[] = [];
    const totals = await ingestUsageStream(database, stream(records), {
      source: SOURCE,
      actor: 'system:test',
      batchLines: 10,
      onBatch: async (_client, batch) => {
        for (const r of batch.rejected) rejected.push({ line: r.line, fields: r.errors.map((e) => e.field) });
      },
    });
    expect(totals).toMatchObject({ read: 30, rejected: 1, inserted: 29 });
    expect(rejected).toEqual([{ line: 8, fields: ['Quantity'] }]);
  });
});
