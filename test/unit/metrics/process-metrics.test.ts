import { describe, expect, it } from 'vitest';
import { HttpClient } from '../../../src/connectors/http/client.ts';
import { createLimiter } from '../../../src/connectors/http/limits.ts';
import { vendorCallSummary, vendorOutcome, vendorRequests, webhookResult } from '../../../src/metrics/process-metrics.ts';

describe('outcome labels', () => {
  it('name a vendor attempt by how it ended', () => {
    expect(
      [
        { ok: true },
        { ok: false, status: 429, reason: 'rate_limited' as const },
        { ok: false, status: 503, reason: 'http' as const },
        { ok: false, status: 404, reason: 'http' as const },
        { ok: false, status: 401, reason: 'auth' as const },
        { ok: false, reason: 'timeout' as const },
        { ok: false, reason: 'network' as const },
        { ok: false, status: 200, reason: 'invalid_response' as const },
      ].map(vendorOutcome),
    ).toEqual(['ok', 'throttled', 'server_error', 'client_error', 'client_error', 'timeout', 'network', 'invalid_response']);
  });

  it('name a webhook answer by its status', () => {
    expect([202, 200, 401, 400, 404, 500].map(webhookResult)).toEqual(['accepted', 'accepted', 'refused', 'invalid', 'invalid', 'error']);
  });
});

describe('the HTTP client', () => {
  it('counts every attempt of every call: a 429 and its retry are two attempts, one of them a success', async () => {
    const answers = [new Response('{}', { status: 429, headers: { 'retry-after': '0' } }), new Response('{"ok":true}', { status: 200, headers: { 'content-type': 'application/json' } })];
    const client = new HttpClient({
      vendor: 'test-vendor',
      baseUrl: 'https://vendor.invalid/v1',
      limiter: createLimiter({}),
      sleep: async () => {},
      fetch: async () => answers.shift()!,
    });
    await client.request({ call: 'things.list', path: '/things' });
    const values = (await vendorRequests.get()).values.filter((v) => v.labels.vendor === 'test-vendor');
    expect(values.map((v) => [v.labels.call, v.labels.outcome, v.value]).sort()).toEqual([
      ['things.list', 'ok', 1],
      ['things.list', 'throttled', 1],
    ]);
    expect((await vendorCallSummary()).filter((s) => s.vendor === 'test-vendor')).toEqual([{ vendor: 'test-vendor', call: 'things.list', attempts: 2, succeeded: 1, successRate: 0.5 }]);
  });
});
