import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEffectiveRateCard } from '../../src/db/rate-cards.ts';
import { Decimal } from '../../src/engine/decimal.ts';
import { priceLine } from '../../src/engine/rating.ts';
import type { CategorizedLine } from '../../src/engine/types.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// Dual approval of rate card versions: one sales_ops and one finance approval, neither by
// the key that requested the version; an admin key counts as neither; a key holding both
// roles counts once. The requester approving is 403; a second approval for a role is 409.

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub.close());

const post = (url: string, payload: unknown, key: string) =>
  hub.app.inject({ method: 'POST', url, payload: payload as object, headers: hub.auth(key) });
const approveAs = (cardId: string, v: number, key: string, body: Record<string, unknown> = {}) => post(`/v1/rate-cards/${cardId}/versions/${v}/approve`, body, key);

async function newCard(requester: string, effectiveFrom = '2026-01-01'): Promise<{ customerId: string; cardId: string }> {
  const customerId = (await post('/v1/customers', { name: `Approvals ${Math.random()}` }, hub.keys.admin)).json().id as string;
  const res = await post(
    '/v1/rate-cards',
    {
      name: 'Card',
      customerId,
      currency: 'USD',
      rounding: { scope: 'line', mode: 'half_even' },
      effectiveFrom,
      justification: 'Initial prices',
      rules: [
        { match: { category: 'compute' }, basis: 'cost', markupPercent: '15' },
        { match: { sku: 'CFQ7TTC0LH18:0001' }, unitPrice: '36.00' },
      ],
    },
    requester,
  );
  expect(res.statusCode).toBe(201);
  return { customerId, cardId: res.json().id };
}

const version = (markup: string, effectiveFrom: string) => ({
  currency: 'USD',
  effectiveFrom,
  justification: `markup ${markup}`,
  rules: [{ match: { default: true }, basis: 'cost', markupPercent: markup }],
});

async function approveBoth(cardId: string, v: number) {
  expect((await approveAs(cardId, v, hub.keys.sales_ops)).statusCode).toBe(200);
  const res = await approveAs(cardId, v, hub.keys.finance);
  expect(res.statusCode).toBe(200);
  return res.json();
}

describe('rate card approval', () => {
  it('needs a sales_ops and a finance approval before the version prices, and then prices with Decimal values', async () => {
    const { customerId, cardId } = await newCard(hub.keys.admin);

    const first = await approveAs(cardId, 1, hub.keys.sales_ops, { comment: 'margins checked' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ status: 'pending', awaiting: ['finance'], approvals: [{ role: 'sales_ops', decision: 'approve', comment: 'margins checked' }] });
    expect(await loadEffectiveRateCard(hub.ctx.db, customerId, '2026-02-01')).toBeUndefined();

    const again = await approveAs(cardId, 1, await hub.keyFor(['sales_ops']));
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ type: '/problems/conflict', field: 'role' });
    const sameKey = await approveAs(cardId, 1, hub.keys.sales_ops);
    expect(sameKey.statusCode).toBe(409);

    const admin = await approveAs(cardId, 1, hub.keys.admin);
    expect(admin.statusCode).toBe(403);
    expect(await loadEffectiveRateCard(hub.ctx.db, customerId, '2026-02-01')).toBeUndefined();

    const second = await approveAs(cardId, 1, hub.keys.finance);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({ status: 'approved', awaiting: [], effectiveTo: null });
    expect(second.json().decidedAt).toBeTruthy();
    expect(second.json().approvals.map((a: { role: string }) => a.role)).toEqual(['sales_ops', 'finance']);

    const card = await loadEffectiveRateCard(hub.ctx.db, customerId, '2026-02-01');
    expect(card).toMatchObject({ id: cardId, version: 1, currency: 'USD', rounding: { scope: 'line', mode: 'half_even' }, fx: { source: 'microsoft' } });
    const [markup, fixed] = card!.rules;
    expect(markup!.markupPercent).toBeInstanceOf(Decimal);
    expect(markup!.markupPercent!.toString()).toBe('15');
    expect(markup).toMatchObject({ match: { category: 'compute' }, basis: 'cost' });
    expect(fixed!.unitPrice).toBeInstanceOf(Decimal);
    expect(fixed!.unitPrice!.toFixed(2)).toBe('36.00');

    // The loaded card is what the engine prices with: cost 100.00 at +15 % → 115.00.
    const line = {
      kind: 'usage', id: 'u1', customerId, subscriptionId: 's', resourceGroup: null, meterId: 'm', meterCategory: 'Virtual Machines', meterName: 'D2s',
      productId: 'P', skuId: 'S', productName: null, skuName: null, publisherName: 'Microsoft', date: '2026-02-10',
      quantity: new Decimal(1), unitPrice: new Decimal(100), effectiveUnitPrice: new Decimal(100), pricingCurrency: 'USD', billingCurrency: 'USD',
      pcToBCExchangeRate: new Decimal(1), pcToBCExchangeRateDate: '2026-02-01', cost: new Decimal('100.00'), tags: {}, category: 'compute',
    } satisfies CategorizedLine;
    const priced = priceLine(line, card!, { source: 'microsoft' });
    expect(priced).toMatchObject({ status: 'priced', ruleId: markup!.id, cardId, cardVersion: 1 });
    expect(priced.status === 'priced' && priced.price.toFixed(2)).toBe('115.00');

    const late = await approveAs(cardId, 1, await hub.keyFor(['finance']));
    expect(late.statusCode).toBe(409);
    expect(late.json().detail).toMatch(/approved/);
  });

  it('refuses an approval by the key that requested the version (403)', async () => {
    const { cardId } = await newCard(hub.keys.sales_ops);
    const own = await approveAs(cardId, 1, hub.keys.sales_ops);
    expect(own.statusCode).toBe(403);
    expect(own.json().type).toBe('/problems/forbidden');
    const v = await hub.app.inject({ method: 'GET', url: `/v1/rate-cards/${cardId}/versions/1`, headers: hub.auth(hub.keys.auditor) });
    expect(v.json()).toMatchObject({ status: 'pending', approvals: [], awaiting: ['sales_ops', 'finance'] });
    // Another sales_ops key may.
    expect((await approveAs(cardId, 1, await hub.keyFor(['sales_ops']))).statusCode).toBe(200);
  });

  it('counts a key holding both roles once', async () => {
    const { cardId } = await newCard(hub.keys.admin);
    const both = await hub.keyFor(['sales_ops', 'finance']);
    const first = await approveAs(cardId, 1, both);
    expect(first.json()).toMatchObject({ status: 'pending', awaiting: ['finance'] });
    const twice = await approveAs(cardId, 1, both, { role: 'finance' });
    expect(twice.statusCode).toBe(409);
    const notHeld = await approveAs(cardId, 1, hub.keys.finance, { role: 'sales_ops' });
    expect(notHeld.statusCode).toBe(403);
    const done = await approveAs(cardId, 1, hub.keys.finance);
    expect(done.json()).toMatchObject({ status: 'approved' });

    // With an explicit role the dual key can fill the finance slot instead.
    const other = await newCard(hub.keys.admin);
    expect((await approveAs(other.cardId, 1, both, { role: 'finance' })).json()).toMatchObject({ awaiting: ['sales_ops'] });
    expect((await approveAs(other.cardId, 1, hub.keys.sales_ops)).json()).toMatchObject({ status: 'approved' });
  });

  it('needs a reason to reject, and a rejected version never prices', async () => {
    const { customerId, cardId } = await newCard(hub.keys.admin);
    expect((await approveAs(cardId, 1, hub.keys.sales_ops)).statusCode).toBe(200);
    const url = `/v1/rate-cards/${cardId}/versions/1/reject`;
    for (const payload of [{}, { reason: '   ' }]) {
      const res = await post(url, payload, hub.keys.finance);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json()).toMatchObject({ type: '/problems/validation', field: 'reason' });
    }
    expect((await post(url, { reason: 'no' }, hub.keys.billing_ops)).statusCode).toBe(403);
    // Another sales_ops key may reject after a sales_ops approval: a rejection is not an approval.
    const rejected = await post(url, { reason: 'Storage markup too low for this client' }, await hub.keyFor(['sales_ops']));
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json()).toMatchObject({ status: 'rejected', awaiting: [] });
    expect(rejected.json().approvals.map((a: { decision: string }) => a.decision)).toEqual(['approve', 'reject']);
    expect((await approveAs(cardId, 1, hub.keys.finance)).statusCode).toBe(409);
    expect((await post(url, { reason: 'again' }, hub.keys.finance)).statusCode).toBe(409);
    expect(await loadEffectiveRateCard(hub.ctx.db, customerId, '2026-06-01')).toBeUndefined();

    const audit = await hub.ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'rate_card.version.reject').where('entity_id', '=', cardId).execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ justification: 'Storage markup too low for this client' });
    expect((audit[0]!.before as { status: string }).status).toBe('pending');
    expect((audit[0]!.after as { status: string }).status).toBe('rejected');
  });

  it('supersedes earlier versions from the new version’s effective date', async () => {
    const { customerId, cardId } = await newCard(hub.keys.admin, '2026-01-01');
    await approveBoth(cardId, 1);
    const v2 = await post(`/v1/rate-cards/${cardId}/versions`, version('20', '2026-03-01'), hub.keys.admin);
    expect(v2.json()).toMatchObject({ version: 2, status: 'pending' });
    // Pending: v1 still prices March.
    expect((await loadEffectiveRateCard(hub.ctx.db, customerId, '2026-03-15'))!.version).toBe(1);
    await approveBoth(cardId, 2);

    const view = (await hub.app.inject({ method: 'GET', url: `/v1/rate-cards/${cardId}`, headers: hub.auth(hub.keys.finance) })).json();
    expect(view.versions.map((v: { version: number; status: string; effectiveFrom: string; effectiveTo: string | null }) => [v.version, v.status, v.effectiveFrom, v.effectiveTo])).toEqual([
      [1, 'superseded', '2026-01-01', '2026-02-28'],
      [2, 'approved', '2026-03-01', null],
    ]);
    const at = async (date: string) => (await loadEffectiveRateCard(hub.ctx.db, customerId, date))?.version;
    expect(await at('2026-02-28')).toBe(1);
    expect(await at('2026-03-01')).toBe(2);
    expect((await loadEffectiveRateCard(hub.ctx.db, customerId, '2026-03-01'))!.rules[0]!.markupPercent!.toString()).toBe('20');

    // A later approval with an earlier date wins from its date on: v2 never prices.
    await post(`/v1/rate-cards/${cardId}/versions`, version('18', '2026-02-01'), hub.keys.admin);
    const activated = await approveBoth(cardId, 3);
    expect(activated).toMatchObject({ version: 3, status: 'approved', effectiveFrom: '2026-02-01', effectiveTo: null });
    const after = (await hub.app.inject({ method: 'GET', url: `/v1/rate-cards/${cardId}`, headers: hub.auth(hub.keys.finance) })).json();
    expect(after.versions.map((v: { version: number; status: string; effectiveTo: string | null }) => [v.version, v.status, v.effectiveTo])).toEqual([
      [1, 'superseded', '2026-01-31'],
      [2, 'superseded', '2026-02-28'],
      [3, 'approved', null],
    ]);
    expect(await at('2026-01-31')).toBe(1);
    expect(await at('2026-02-01')).toBe(3);
    expect(await at('2026-04-01')).toBe(3);
    expect(await at('2025-12-31')).toBeUndefined();

    const list = (await hub.app.inject({ method: 'GET', url: `/v1/rate-cards?customerId=${customerId}`, headers: hub.auth(hub.keys.auditor) })).json();
    expect(list.items[0]).toMatchObject({ latestVersion: { version: 3, status: 'approved' }, activeVersion: 3 });
  });

  it('records request, approvals, rejection and activation with old and new values in the audit trail', async () => {
    const { cardId } = await newCard(hub.keys.admin, '2026-01-01');
    await approveBoth(cardId, 1);
    await post(`/v1/rate-cards/${cardId}/versions`, version('22', '2026-05-01'), hub.keys.admin);
    await approveAs(cardId, 2, hub.keys.sales_ops, { comment: 'ok by sales' });
    await approveAs(cardId, 2, hub.keys.finance, { comment: 'ok by finance' });

    const rows = await hub.ctx.db.selectFrom('audit_log').selectAll().where('entity', '=', 'rate_card').where('entity_id', '=', cardId).orderBy('seq').execute();
    expect(rows.map((r) => r.action)).toEqual([
      'rate_card.create',
      'rate_card.version.request',
      'rate_card.version.approve',
      'rate_card.version.approve',
      'rate_card.version.activate',
      'rate_card.version.request',
      'rate_card.version.approve',
      'rate_card.version.approve',
      'rate_card.version.activate',
    ]);
    const request2 = rows[5]!;
    expect(request2.justification).toBe('markup 22');
    expect(request2.before).toMatchObject({ version: 1, status: 'approved', rules: [{ markupPercent: '15' }, { unitPrice: '36.00' }] });
    expect(request2.after).toMatchObject({ version: 2, status: 'pending', rules: [{ markupPercent: '22' }] });
    expect(rows[6]).toMatchObject({ justification: 'ok by sales' });
    expect(rows[6]!.before).toMatchObject({ approvals: [] });
    expect(rows[6]!.after).toMatchObject({ approvals: [{ role: 'sales_ops' }] });
    const activation = rows[8]!;
    expect(activation.before).toMatchObject({ version: { version: 2, status: 'pending' }, superseded: [{ version: 1, status: 'approved', effectiveTo: null }] });
    expect(activation.after).toMatchObject({ version: { version: 2, status: 'approved' }, superseded: [{ version: 1, status: 'superseded', effectiveTo: '2026-04-30' }] });
    expect(rows.every((r) => /^key:/.test(r.actor))).toBe(true);
  });
});
