import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// Onboarding templates as data: created and replaced through the admin API, audited with
// the state before, and refused with a reason naming the field when malformed.

let hub: TestHub;
beforeAll(async () => {
  hub = await createTestHub();
}, 60_000);
afterAll(() => hub?.close());

const put = (key: string, payload: unknown, apiKey = hub.keys.sales_ops) =>
  hub.app.inject({ method: 'PUT', url: `/v1/onboarding-templates/${key}`, payload: payload as object, headers: hub.auth(apiKey) });
const list = (apiKey = hub.keys.auditor) => hub.app.inject({ method: 'GET', url: '/v1/onboarding-templates', headers: hub.auth(apiKey) });

const ENTERPRISE = {
  name: 'Enterprise',
  costNodes: [
    { path: ['Engineering'], kind: 'business_unit' },
    { path: ['Engineering', ' Platform '], kind: 'team' },
    { path: ['Sales'], kind: 'department' },
  ],
  invoiceFormat: 'detailed',
  reviewCadence: 'quarterly',
  justification: 'Standard enterprise onboarding',
};

describe('onboarding templates', () => {
  it('creates, lists and replaces a template, each change audited with the state before', async () => {
    const created = await put('enterprise', ENTERPRISE);
    expect(created.statusCode).toBe(200);
    expect(created.json()).toMatchObject({ key: 'enterprise', name: 'Enterprise', invoiceFormat: 'detailed', reviewCadence: 'quarterly', trial: null });
    expect(created.json().costNodes[1]).toEqual({ path: ['Engineering', 'Platform'], kind: 'team' });

    const trial = await put('trial', { name: 'Trial', costNodes: [], invoiceFormat: 'summary', reviewCadence: 'monthly', trial: { spendCap: '500', days: 30 }, justification: 'Thirty-day trial' });
    expect(trial.statusCode).toBe(200);
    expect(trial.json().trial).toEqual({ spendCap: '500.00', days: 30 });

    const replaced = await put('enterprise', { ...ENTERPRISE, invoiceFormat: 'summary', justification: 'Enterprise customers asked for summaries' }, hub.keys.admin);
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json().invoiceFormat).toBe('summary');

    const res = await list();
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((t: { key: string }) => t.key)).toEqual(['enterprise', 'trial']);

    const audit = await hub.ctx.db.selectFrom('audit_log').select(['action', 'before', 'after', 'justification']).where('entity', '=', 'onboarding_template').where('entity_id', '=', 'enterprise').orderBy('seq').execute();
    expect(audit.map((a) => a.action)).toEqual(['onboarding_template.create', 'onboarding_template.update']);
    expect(audit[1]).toMatchObject({ before: { invoiceFormat: 'detailed' }, after: { invoiceFormat: 'summary' }, justification: 'Enterprise customers asked for summaries' });
  });

  it('refuses a node whose parent is not listed before it, a repeated node and a zero trial cap, naming each field', async () => {
    const res = await put('smb', {
      name: 'SMB',
      costNodes: [
        { path: ['Ops', 'Helpdesk'], kind: 'team' },
        { path: ['Ops'], kind: 'department' },
        { path: ['Ops'], kind: 'department' },
      ],
      invoiceFormat: 'summary',
      reviewCadence: 'annual',
      trial: { spendCap: '0.00', days: 14 },
      justification: 'x',
    });
    expect(res.statusCode).toBe(400);
    const fields = (res.json().errors as { field: string }[]).map((e) => e.field);
    expect(fields).toEqual(['costNodes[0].path', 'costNodes[2].path', 'trial.spendCap']);
    expect((await list()).json().items.map((t: { key: string }) => t.key)).not.toContain('smb');
  });

  it('refuses an unknown invoice format and a key with capitals through the schema', async () => {
    expect((await put('smb', { ...ENTERPRISE, invoiceFormat: 'compact' })).statusCode).toBe(400);
    expect((await put('SMB', ENTERPRISE)).statusCode).toBe(400);
  });

  it('is closed to finance for writing', async () => {
    expect((await put('enterprise', ENTERPRISE, hub.keys.finance)).statusCode).toBe(403);
  });
});
