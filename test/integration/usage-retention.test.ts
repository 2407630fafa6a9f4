import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymiseUsageTelemetry } from '../../src/jobs/retention/usage-telemetry.ts';
import { closedInvoice } from '../helpers/closed-invoice.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// Usage telemetry older than 90 days is anonymised; what the invoice and its lineage need
// stays. October's invoice: one line of 3 October and one of 20 October, both tagged with
// an owner's UPN. On 15 January 2027 the cut-off is 17 October: only the first is old.

let hub: TestHub;
let customerId = '';
let invoiceId = '';

const lines = () =>
  hub.ctx.db.selectFrom('usage_lines').select(['id', 'usage_date', 'tags', 'additional_info', 'billing_pre_tax_total', 'quantity']).where('customer_id', '=', customerId).orderBy('usage_date').execute();
const lineage = () =>
  sql<{ ids: string; price: string }>`select string_agg(array_to_string(s.usage_line_ids, ','), ';' order by s.id) as ids, sum(s.price)::text as price
    from invoice_line_sources s join invoice_lines l on l.id = s.invoice_line_id where l.invoice_id = ${invoiceId}::uuid`.execute(hub.ctx.db);

beforeAll(async () => {
  hub = await createTestHub({ worker: true });
  const owner = '{"owner":"sam.lee@client.example","project":"web"}';
  ({ customerId, invoiceId } = await closedInvoice(hub, 'a9b2c3d4-0000-4000-8000-0000000000a9', 'Retained Client', {
    usage: [{ Tags: owner }, { UsageDate: '10/20/2026 0:00', Tags: owner }],
  }));
}, 120_000);

afterAll(async () => {
  await hub?.close();
});

describe('retention:usage_telemetry', () => {
  it('anonymises tag UPNs and drops Microsoft’s free-form telemetry on lines older than 90 days, keeping ids and amounts', async () => {
    const before = await lines();
    const beforeLineage = (await lineage()).rows[0];
    expect(before[0]!.additional_info).not.toBeNull();

    expect(await anonymiseUsageTelemetry(hub.ctx, '2027-01-15')).toEqual({ lines: 1, cutoff: '2026-10-17' });
    const after = await lines();
    expect(after[0]!.tags).toEqual({ owner: expect.stringMatching(/^erased-[0-9a-f]{16}$/), project: 'web' });
    expect(after[0]!.additional_info).toBeNull();
    expect(after[1]).toEqual(before[1]);
    expect(after.map((l) => [l.id, l.billing_pre_tax_total, l.quantity])).toEqual(before.map((l) => [l.id, l.billing_pre_tax_total, l.quantity]));
    expect((await lineage()).rows[0]).toEqual(beforeLineage);
    const invoice = await hub.app.inject({ method: 'GET', url: `/v1/invoices/${invoiceId}/lineage`, headers: hub.auth(hub.keys.auditor) });
    expect(invoice.statusCode).toBe(200);

    // Done lines match nothing: a second run changes nothing.
    expect((await anonymiseUsageTelemetry(hub.ctx, '2027-01-15')).lines).toBe(0);
  });
});
