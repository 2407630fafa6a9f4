import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEffectiveRateCard } from '../../src/db/rate-cards.ts';
import { Decimal } from '../../src/engine/decimal.ts';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
});
afterAll(() => hub.close());

const post = (url: string, payload: unknown, key = hub.keys.admin) =>
  hub.app.inject({ method: 'POST', url, payload: payload as object, headers: hub.auth(key) });
const get = (url: string, key = hub.keys.auditor) => hub.app.inject({ method: 'GET', url, headers: hub.auth(key) });

async function customer(name: string): Promise<string> {
  return (await post('/v1/customers', { name })).json().id as string;
}

/** Both approvals, by keys other than the admin key that requested the version. */
async function approve(cardId: string, version: number) {
  expect((await post(`/v1/rate-cards/${cardId}/versions/${version}/approve`, {}, hub.keys.sales_ops)).statusCode).toBe(200);
  const res = await post(`/v1/rate-cards/${cardId}/versions/${version}/approve`, {}, hub.keys.finance);
  expect(res.statusCode).toBe(200);
  expect(res.json().status).toBe('approved');
}

const card = (customerId: string, extra: Record<string, unknown> = {}) => ({
  name: 'Standard',
  customerId,
  currency: 'USD',
  rounding: { scope: 'invoice', mode: 'half_up' },
  fx: { source: 'microsoft' },
  rules: [
    { match: { category: 'compute' }, basis: 'cost', markupPercent: '15' },
    { match: { sku: 'CFQ7TTC0LH18:0001' }, unitPrice: '36.00' },
    { match: { default: true }, basis: 'list', markupPercent: '-2.5' },
  ],
  ...extra,
});

describe('rate cards', () => {
  it('creates a customer card whose first version is pending, keeping decimals as strings', async () => {
    const customerId = await customer('Contoso');
    const res = await post('/v1/rate-cards', card(customerId, { minimumMonthly: '250.00', targetMarginPercent: '18.5', effectiveFrom: '2026-01-01', justification: 'New contract' }));
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      name: 'Standard',
      customerId,
      template: false,
      templateId: null,
      version: 1,
      status: 'pending',
      effectiveFrom: '2026-01-01',
      effectiveTo: null,
      currency: 'USD',
      rounding: { scope: 'invoice', mode: 'half_up' },
      fx: { source: 'microsoft', rate: null, from: null },
      minimumMonthly: '250.00',
      targetMarginPercent: '18.5',
      justification: 'New contract',
      approvals: [],
      awaiting: ['sales_ops', 'finance'],
    });
    expect(body.requestedBy).toMatch(/^key:[0-9a-f-]{36}$/);
    expect(body.rules).toMatchObject([
      { position: 0, match: { category: 'compute' }, basis: 'cost', markupPercent: '15', unitPrice: null },
      { position: 1, match: { sku: 'CFQ7TTC0LH18:0001' }, basis: null, markupPercent: null, unitPrice: '36.00' },
      { position: 2, match: { default: true }, basis: 'list', markupPercent: '-2.5', unitPrice: null },
    ]);
    expect(body.rules.every((r: { id: string }) => /^[0-9a-f-]{36}$/.test(r.id))).toBe(true);

    const full = await get(`/v1/rate-cards/${body.id}`);
    expect(full.statusCode).toBe(200);
    expect(full.json().versions).toHaveLength(1);
    expect(full.json().versions[0]).toMatchObject({ version: 1, status: 'pending', awaiting: ['sales_ops', 'finance'] });

    const list = await get(`/v1/rate-cards?customerId=${customerId}`);
    expect(list.json().items).toMatchObject([{ id: body.id, latestVersion: { version: 1, status: 'pending' }, activeVersion: null }]);
    const one = await get(`/v1/rate-cards/${body.id}/versions/1`, hub.keys.billing_ops);
    expect(one.json()).toEqual(body);
    expect((await get(`/v1/rate-cards/${body.id}/versions/2`)).statusCode).toBe(404);

    const audit = await hub.ctx.db.selectFrom('audit_log').selectAll().where('entity', '=', 'rate_card').where('entity_id', '=', body.id).orderBy('seq').execute();
    expect(audit.map((a) => a.action)).toEqual(['rate_card.create', 'rate_card.version.request']);
    expect(audit[1]).toMatchObject({ before: null, justification: 'New contract' });
    expect((audit[1]!.after as { rules: unknown[] }).rules).toHaveLength(3);
  });

  it('prices nothing while pending: the loader ignores the card until it is approved', async () => {
    const customerId = await customer('Pending Co');
    const created = (await post('/v1/rate-cards', card(customerId, { effectiveFrom: '2026-01-01' }))).json();
    expect(await loadEffectiveRateCard(hub.ctx.db, customerId, '2026-06-01')).toBeUndefined();
    expect((await get(`/v1/customers/${customerId}/rate-card?date=2026-06-01`)).statusCode).toBe(404);
    await approve(created.id, 1);
    const loaded = await loadEffectiveRateCard(hub.ctx.db, customerId, '2026-06-01');
    expect(loaded).toMatchObject({ id: created.id, version: 1, currency: 'USD', fx: { source: 'microsoft' }, template: null });
    expect(await loadEffectiveRateCard(hub.ctx.db, customerId, '2025-12-31')).toBeUndefined();
  });

  it('answers bad input with 400 naming the field', async () => {
    const customerId = await customer('Validation Co');
    const base = card(customerId);
    const rule = (r: Record<string, unknown>) => ({ ...base, rules: [r] });
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [rule({ match: { category: 'compute' }, basis: 'cost', markupPercent: 15 }), 'rules.0.markupPercent', /string/],
      [rule({ match: { category: 'compute' }, basis: 'cost', markupPercent: '1e3' }), 'rules.0.markupPercent', /pattern/],
      [rule({ match: { category: 'compute' }, basis: 'cost', markupPercent: '-100.01' }), 'rules.0.markupPercent', /-100 or more/],
      [rule({ match: { category: 'food' }, basis: 'cost', markupPercent: '10' }), 'rules.0.match.category', /one of compute/],
      [rule({ match: {}, basis: 'cost', markupPercent: '10' }), 'rules.0.match', /fewer than 1/],
      [rule({ match: { category: 'compute', default: true }, basis: 'cost', markupPercent: '10' }), 'rules.0.match', /more than 1/],
      [rule({ match: { category: 'compute' }, markupPercent: '10' }), 'rules.0.basis', /required/],
      [rule({ match: { category: 'compute' }, basis: 'cost', markupPercent: '10', unitPrice: '3.00' }), 'rules.0.unitPrice', /not both/],
      [rule({ match: { category: 'compute' } }), 'rules.0.markupPercent', /markupPercent .* or unitPrice/],
      [rule({ match: { category: 'compute' }, basis: 'list', unitPrice: '3.00' }), 'rules.0.basis', /no basis/],
      [rule({ match: { sku: 'no-colon' }, unitPrice: '3.00' }), 'rules.0.match.sku', /pattern/],
      [rule({ match: { category: 'compute' }, unitPrice: '-3.00' }), 'rules.0.unitPrice', /pattern/],
      [
        {
          ...base,
          rules: [
            { match: { category: 'compute' }, basis: 'cost', markupPercent: '10' },
            { match: { sku: 'ABC:0001' }, unitPrice: '1' },
            { match: { meterId: 'm-1' }, unitPrice: '1' },
            { match: { sku: 'abc:0001' }, unitPrice: '2' },
          ],
        },
        'rules.3.match',
        /same lines as rules\.1\.match/,
      ],
      [{ ...base, fx: { source: 'fixed' } }, 'fx.rate', /required when fx.source is fixed/],
      [{ ...base, fx: { source: 'fixed', rate: '1.08' } }, 'fx.from', /required/],
      [{ ...base, fx: { source: 'market', rate: '1.08' } }, 'fx.rate', /only allowed/],
      [{ ...base, fx: { source: 'fixed', rate: '0', from: 'EUR' } }, 'fx.rate', /more than 0/],
      [{ ...base, currency: 'XYZ' }, 'currency', /minor unit/],
      [{ ...base, currency: 'usd' }, 'currency', /pattern/],
      [{ ...base, minimumMonthly: '10.005' }, 'minimumMonthly', /whole USD minor units/],
      [{ ...base, targetMarginPercent: '100' }, 'targetMarginPercent', /below 100/],
      [{ ...base, rounding: { scope: 'page', mode: 'half_up' } }, 'rounding.scope', /one of line, invoice/],
      [{ ...base, rules: [] }, 'rules', /at least one rule/],
      [{ ...base, customerId: '00000000-0000-4000-8000-000000000000' }, 'customerId', /no customer/],
      [{ ...base, customerId: undefined }, 'customerId', /required unless template/],
      [{ ...base, template: true }, 'customerId', /template belongs to no customer/],
      [{ ...base, templateId: '00000000-0000-4000-8000-000000000000' }, 'templateId', /no template/],
      [{ ...base, colour: 'red' }, 'colour', /not a known field/],
      [{ ...base, effectiveFrom: '2026-13-01' }, 'effectiveFrom', /format/],
    ];
    for (const [payload, field, reason] of cases) {
      const res = await post('/v1/rate-cards', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      const problem = res.json();
      expect(problem.type).toBe('/problems/validation');
      expect(problem.field, JSON.stringify(problem)).toBe(field);
      expect(problem.errors.find((e: { field: string }) => e.field === field).reason, JSON.stringify(problem)).toMatch(reason);
    }
    expect(await hub.ctx.db.selectFrom('rate_cards').select('id').where('customer_id', '=', customerId).execute()).toEqual([]);
  });

  it('keeps one card per customer: more prices are versions of it', async () => {
    const customerId = await customer('One Card Co');
    const first = await post('/v1/rate-cards', card(customerId));
    expect(first.statusCode).toBe(201);
    const second = await post('/v1/rate-cards', card(customerId, { name: 'Another' }));
    expect(second.statusCode).toBe(409);
    expect(second.json()).toMatchObject({ type: '/problems/conflict', field: 'customerId' });

    const v2 = await post(`/v1/rate-cards/${first.json().id}/versions`, {
      currency: 'USD',
      effectiveFrom: '2026-04-01',
      rules: [{ match: { default: true }, basis: 'cost', markupPercent: '12' }],
    }, hub.keys.sales_ops);
    expect(v2.statusCode).toBe(201);
    expect(v2.json()).toMatchObject({ version: 2, status: 'pending', rounding: { scope: 'invoice', mode: 'half_up' }, fx: { source: 'microsoft' } });
    const bad = await post(`/v1/rate-cards/${first.json().id}/versions`, { currency: 'USD', name: 'x', rules: [{ match: { default: true }, basis: 'cost', markupPercent: '12' }] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('name');
    const missing = await post('/v1/rate-cards/00000000-0000-4000-8000-000000000000/versions', { currency: 'USD', rules: [{ match: { default: true }, basis: 'cost', markupPercent: '1' }] });
    expect(missing.statusCode).toBe(404);
    const forbidden = await post(`/v1/rate-cards/${first.json().id}/versions`, { currency: 'USD', rules: [] }, hub.keys.billing_ops);
    expect(forbidden.statusCode).toBe(403);
  });

  it('merges a template under the customer card: the customer rule wins on the same match', async () => {
    const template = await post('/v1/rate-cards', {
      name: 'MSP standard',
      template: true,
      currency: 'USD',
      effectiveFrom: '2026-01-01',
      rules: [
        { match: { category: 'compute' }, basis: 'cost', markupPercent: '10' },
        { match: { category: 'storage' }, basis: 'cost', markupPercent: '20' },
        { match: { sku: 'CFQ7TTC0LH18:0001' }, unitPrice: '30.00' },
        { match: { default: true }, basis: 'cost', markupPercent: '25' },
      ],
    });
    expect(template.statusCode).toBe(201);
    expect(template.json()).toMatchObject({ template: true, customerId: null });
    const customerId = await customer('Inheriting Co');
    const own = await post('/v1/rate-cards', {
      name: 'Inheriting Co prices',
      customerId,
      templateId: template.json().id,
      currency: 'USD',
      effectiveFrom: '2026-02-01',
      rules: [
        { match: { category: 'compute' }, basis: 'cost', markupPercent: '15' },
        { match: { sku: 'cfq7ttc0lh18:0001' }, unitPrice: '28.50' },
        { match: { meterId: 'meter-1' }, basis: 'list', markupPercent: '5' },
      ],
    });
    expect(own.statusCode).toBe(201);
    expect(own.json().templateId).toBe(template.json().id);

    // The customer's approved version is what prices; before the template is approved it stands alone.
    await approve(own.json().id, 1);
    const alone = await loadEffectiveRateCard(hub.ctx.db, customerId, '2026-03-01');
    expect(alone!.rules).toHaveLength(3);
    expect(alone!.template).toBeNull();

    await approve(template.json().id, 1);
    const merged = await loadEffectiveRateCard(hub.ctx.db, customerId, '2026-03-01');
    expect(merged).toBeDefined();
    const byMatch = Object.fromEntries(merged!.rules.map((r) => [JSON.stringify(r.match), r]));
    expect(Object.keys(byMatch).sort()).toEqual(
      ['{"category":"compute"}', '{"category":"storage"}', '{"default":true}', '{"meterId":"meter-1"}', '{"sku":"cfq7ttc0lh18:0001"}'].sort(),
    );
    const compute = byMatch['{"category":"compute"}']!;
    expect(compute.markupPercent).toBeInstanceOf(Decimal);
    expect(compute.markupPercent!.equals(15)).toBe(true);
    expect(byMatch['{"sku":"cfq7ttc0lh18:0001"}']!.unitPrice!.toString()).toBe('28.5');
    expect(byMatch['{"category":"storage"}']!.markupPercent!.toString()).toBe('20');
    expect(byMatch['{"default":true}']!.markupPercent!.toString()).toBe('25');
    expect(merged!.template).toMatchObject({ id: template.json().id, version: 1 });
    expect(merged!.template!.ruleIds.sort()).toEqual([byMatch['{"category":"storage"}']!.id, byMatch['{"default":true}']!.id].sort());
    // Every rule id is a stored rule: lineage reaches the template's own rows.
    const stored = await hub.ctx.db.selectFrom('rate_card_rules').select('id').where('id', 'in', merged!.rules.map((r) => r.id)).execute();
    expect(stored).toHaveLength(5);

    const view = await get(`/v1/customers/${customerId}/rate-card?date=2026-03-01`, hub.keys.billing_ops);
    expect(view.statusCode).toBe(200);
    expect(view.json()).toMatchObject({ id: own.json().id, version: 1, template: { id: template.json().id, version: 1 } });
    expect(view.json().rules.filter((r: { inherited: boolean }) => r.inherited).map((r: { match: unknown }) => r.match)).toEqual([{ category: 'storage' }, { default: true }]);

    const wrongCurrency = await post(`/v1/rate-cards/${own.json().id}/versions`, { currency: 'EUR', rules: [] });
    expect(wrongCurrency.statusCode).toBe(400);
    expect(wrongCurrency.json().field).toBe('currency');
    const emptyOwnRules = await post(`/v1/rate-cards/${own.json().id}/versions`, { currency: 'USD', rules: [] });
    expect(emptyOwnRules.statusCode).toBe(201);

    const templateWithParent = await post('/v1/rate-cards', { name: 'x', template: true, templateId: template.json().id, currency: 'USD', rules: [{ match: { default: true }, basis: 'cost', markupPercent: '1' }] });
    expect(templateWithParent.statusCode).toBe(400);
    expect(templateWithParent.json().field).toBe('templateId');
    const notATemplate = await post('/v1/rate-cards', { ...card(await customer('Other')), templateId: own.json().id });
    expect(notATemplate.statusCode).toBe(400);
    expect(notATemplate.json().field).toBe('templateId');

    const templates = await get('/v1/rate-cards?template=true');
    expect(templates.json().items.map((c: { id: string }) => c.id)).toEqual([template.json().id]);
  });

  it("keeps a customer's rate card, with its markups and target margin, from the customer's portal key", async () => {
    const mine = await customer('Portal Prices');
    const created = (await post('/v1/rate-cards', card(mine, { effectiveFrom: '2026-01-01' }))).json();
    await approve(created.id, 1);
    const key = await hub.keyFor(['portal'], mine);
    const own = await get(`/v1/customers/${mine}/rate-card?date=2026-05-01`, key);
    expect(own.statusCode).toBe(403);
    expect((await get(`/v1/customers/${mine}/rate-card?date=2026-05-01`)).json().rules.map((r: { markupPercent: string | null }) => r.markupPercent)).toEqual(['15', null, '-2.5']);
    expect((await get(`/v1/rate-cards/${created.id}`, key)).statusCode).toBe(403);
    expect((await get(`/v1/rate-cards?customerId=${mine}`, key)).statusCode).toBe(403);
  });

  it('pages the list newest first', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(`/v1/rate-cards?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const page = res.json() as { items: { id: string }[]; nextCursor: string | null };
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor;
    } while (cursor);
    const all = await hub.ctx.db.selectFrom('rate_cards').select('id').orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    expect(seen).toEqual(all.map((r) => r.id));
  });
});
