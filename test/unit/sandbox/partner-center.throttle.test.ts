import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPartnerCenterSandbox, type PartnerCenterSandbox } from '../../../src/sandbox/partner-center/index.ts';
import { Throttle } from '../../../src/sandbox/partner-center/throttle.ts';
import { PC_RESOURCE, token } from './partner-center-client.ts';
import { facts } from './vendor-facts.ts';

describe('Throttle', () => {
  it('admits `limit` calls per window and names the wait until the oldest leaves it, in whole seconds', () => {
    let now = 0;
    const t = new Throttle({ limit: 3, windowSeconds: 2 }, () => now);
    expect([t.admit(), t.admit(), t.admit()]).toEqual([0, 0, 0]);
    now = 500;
    expect(t.admit()).toBe(2); // oldest (t=0) leaves at 2000 → 1.5 s → 2
    now = 1200;
    expect(t.admit()).toBe(1); // 0.8 s → 1
    now = 2000;
    expect(t.admit()).toBe(0);
  });

  it('refuses exactly every Nth call with the configured Retry-After', () => {
    const t = new Throttle({ everyNth: 4, everyNthRetryAfterSeconds: 3 }, () => 0);
    expect(Array.from({ length: 12 }, () => t.admit())).toEqual([0, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 3]);
  });

  it('keeps a window per key', () => {
    const t = new Throttle({ limit: 1, windowSeconds: 1 }, () => 0);
    expect([t.admit('a'), t.admit('a'), t.admit('b'), t.admit('b')]).toEqual([0, 1, 0, 1]);
  });

  it('rejects nonsense options', () => {
    expect(() => new Throttle({ limit: -1 }, () => 0)).toThrow();
  });
});

describe('throttling over HTTP', () => {
  let now = 1_000_000;
  let sandbox: PartnerCenterSandbox;
  let accessToken: string;

  beforeAll(async () => {
    sandbox = await startPartnerCenterSandbox({ seed: 5, customers: 2, now: new Date('2026-09-20T12:00:00Z'), wallClock: () => now });
    accessToken = await token(sandbox, PC_RESOURCE);
  });
  afterAll(() => sandbox.close());

  const call = () => fetch(`${sandbox.partnerCenterUrl}/v1/customers?size=10`, { headers: { authorization: `Bearer ${accessToken}` } });

  it('sends 429 + Retry-After beyond the rate and counts calls, 429s and seconds asked for', async () => {
    sandbox.setThrottle({ limit: 2 });
    sandbox.resetStats();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await call()).status);
    expect(statuses).toEqual([200, 200, 429, 429, 429]);
    const refused = await call();
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as Record<string, unknown>).statusCode).toBe(429);
    now += 1000;
    expect((await call()).status).toBe(200);
    expect(sandbox.stats()).toMatchObject({ calls: 7, served: 3, throttled: 4, retryAfterSecondsRequested: 4 });
  });

  it('answers one call in N with 429 when asked to, configurable through the control API', async () => {
    const put = await fetch(`${sandbox.url}/_sandbox/throttle`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ everyNth: 50, everyNthRetryAfterSeconds: 2 }),
    });
    expect(put.status).toBe(200);
    await fetch(`${sandbox.url}/_sandbox/stats/reset`, { method: 'POST' });
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++) statuses.push((await call()).status);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    expect(statuses[49]).toBe(429);
    expect(statuses[99]).toBe(429);
    const stats = (await (await fetch(`${sandbox.url}/_sandbox/stats`)).json()) as Record<string, number>;
    expect(stats).toMatchObject({ calls: 100, served: 98, throttled: 2, retryAfterSecondsRequested: 4 });
  });

  it('throttles per API and per customer tenant, as Partner Center does, not in one window for everything', async () => {
    expect(facts.throttling).toMatchObject({ perApi: true, perCustomerTenant: true });
    const [a, b] = sandbox.portfolio.customers;
    const get = (path: string) => fetch(`${sandbox.partnerCenterUrl}${path}`, { headers: { authorization: `Bearer ${accessToken}` } });
    sandbox.setThrottle({ limit: 2 });
    const subsOfA = [];
    for (let i = 0; i < 3; i++) subsOfA.push((await get(`/v1/customers/${a!.id}/subscriptions`)).status);
    expect(subsOfA).toEqual([200, 200, 429]);
    // Another customer's subscriptions, and another API, still have their budget.
    expect((await get(`/v1/customers/${b!.id}/subscriptions`)).status).toBe(200);
    expect((await get(`/v1/customers/${a!.id}`)).status).toBe(200);
    expect((await get('/v1/invoices')).status).toBe(200);
    sandbox.setThrottle({});
  });

  it('never throttles the token endpoint or the control API', async () => {
    sandbox.setThrottle({ everyNth: 1 });
    expect(await token(sandbox, PC_RESOURCE)).toBeTruthy();
    expect((await fetch(`${sandbox.url}/_sandbox/stats`)).status).toBe(200);
    expect((await call()).status).toBe(429);
    sandbox.setThrottle({});
    expect((await call()).status).toBe(200);
  });
});
