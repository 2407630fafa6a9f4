import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../../src/connectors/http/client.ts';
import { VendorAuthError, VendorCallError, isVendorCallError } from '../../../src/connectors/http/errors.ts';
import { createLimiter } from '../../../src/connectors/http/limits.ts';
import type { HttpClientOptions, RetryEvent } from '../../../src/connectors/http/types.ts';

const HOST = 'https://vendor.test';

function setup(overrides: Partial<HttpClientOptions> = {}) {
  const waits: number[] = [];
  const retries: RetryEvent[] = [];
  const limiter = createLimiter({});
  let scheduled = 0;
  limiter.on('executing', () => {
    scheduled++;
  });
  const client = new HttpClient({
    vendor: 'partner-center',
    baseUrl: `${HOST}/v1`,
    limiter,
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0.5,
    baseDelayMs: 100,
    onRetry: (event) => retries.push(event),
    ...overrides,
  });
  return { client, waits, retries, scheduled: () => scheduled };
}

async function failure(promise: Promise<unknown>): Promise<VendorCallError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isVendorCallError(error)) throw new Error(`expected a VendorCallError, got ${String(error)}`);
  return error;
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('HttpClient: throttling', () => {
  it('rides out a storm of ten 429s, waiting exactly what Retry-After says each time', async () => {
    const scope = nock(HOST);
    for (let i = 0; i < 10; i++) scope.get('/v1/customers').reply(429, { statusCode: 429 }, { 'Retry-After': String(i % 2) });
    scope.get('/v1/customers').reply(200, { items: [{ id: 'c1' }] });
    const { client, waits, retries, scheduled } = setup({ maxAttempts: 11 });

    const res = await client.request<{ items: { id: string }[] }>({ call: 'customers.list', path: '/customers' });

    expect(res.status).toBe(200);
    expect(res.body.items[0]!.id).toBe('c1');
    expect(waits).toEqual([0, 1000, 0, 1000, 0, 1000, 0, 1000, 0, 1000]);
    expect(retries.map((r) => r.reason)).toEqual(Array(10).fill('rate_limited'));
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(client.stats).toEqual({ calls: 1, attempts: 11, retries: 10, waitedMs: 5000 });
    // Every attempt, retries included, took its turn on the connection's limiter.
    expect(scheduled()).toBe(11);
    expect(scope.isDone()).toBe(true);
  });

  it('honours Retry-After given as an HTTP-date', async () => {
    const now = Date.parse('2026-10-21T07:28:00Z');
    nock(HOST)
      .get('/v1/invoices')
      .reply(503, 'busy', { 'Retry-After': 'Wed, 21 Oct 2026 07:28:07 GMT' })
      .get('/v1/invoices')
      .reply(200, { items: [] });
    const { client, waits, retries } = setup({ now: () => now });

    await client.request({ call: 'invoices.list', path: '/invoices' });

    expect(waits).toEqual([7000]);
    expect(retries).toEqual([{ call: 'invoices.list', attempt: 1, status: 503, delayMs: 7000, reason: 'http' }]);
  });

  it('gives up at once, retryable, when the server asks for a longer wait than the client will sit through', async () => {
    nock(HOST).get('/v1/customers').reply(429, 'slow down', { 'Retry-After': '3600' });
    const { client, waits } = setup({ maxRetryAfterMs: 60_000 });

    const error = await failure(client.request({ call: 'customers.list', path: '/customers' }));

    expect(waits).toEqual([]);
    expect(error).toMatchObject({ reason: 'rate_limited', status: 429, attempts: 1, retryable: true, retryAfterMs: 3_600_000 });
  });
});

describe('HttpClient: gateway errors', () => {
  it('retries 502, 503 and 504 with jittered exponential backoff, then succeeds', async () => {
    nock(HOST)
      .get('/v1/customers')
      .reply(502)
      .get('/v1/customers')
      .reply(503)
      .get('/v1/customers')
      .reply(504)
      .get('/v1/customers')
      .reply(200, { ok: true });
    const { client, waits, retries } = setup();

    const res = await client.request<{ ok: boolean }>({ call: 'customers.list', path: '/customers' });

    expect(res.body.ok).toBe(true);
    // random() = 0.5 of windows 100, 200, 400 ms.
    expect(waits).toEqual([50, 100, 200]);
    expect(retries.map((r) => r.status)).toEqual([502, 503, 504]);
  });

  it('stops after maxAttempts with an error naming the call, the status and the attempts', async () => {
    const scope = nock(HOST).get('/v1/customers').times(5).reply(503, 'Service Unavailable');
    const extra = nock(HOST).get('/v1/customers').reply(200, {});
    const { client, waits } = setup({ maxAttempts: 5 });

    const error = await failure(client.request({ call: 'customers.list', path: '/customers' }));

    expect(error.message).toBe('partner-center customers.list failed: HTTP 503 after 5 attempts');
    expect(error).toMatchObject({
      vendor: 'partner-center',
      call: 'customers.list',
      method: 'GET',
      url: `${HOST}/v1/customers`,
      status: 503,
      attempts: 5,
      retryable: true,
      reason: 'http',
      bodyExcerpt: 'Service Unavailable',
    });
    expect(waits).toHaveLength(4);
    expect(scope.isDone()).toBe(true);
    expect(extra.isDone()).toBe(false);
  });

  it('does not retry a 400 and keeps an excerpt of the body for the log', async () => {
    nock(HOST).get('/v1/customers').query({ size: '5000' }).reply(400, { code: 400, description: 'size must be <= 2000' });
    const untouched = nock(HOST).get('/v1/customers').query(true).reply(200, {});
    const { client, waits } = setup();

    const error = await failure(client.request({ call: 'customers.list', path: '/customers', query: { size: 5000 } }));

    expect(error).toMatchObject({ status: 400, attempts: 1, retryable: false, reason: 'http' });
    expect(error.bodyExcerpt).toContain('size must be <= 2000');
    expect(waits).toEqual([]);
    expect(untouched.isDone()).toBe(false);
  });

  it('retries a dropped connection', async () => {
    nock(HOST)
      .get('/v1/customers')
      .replyWithError('socket hang up')
      .get('/v1/customers')
      .reply(200, { ok: true });
    const { client, retries } = setup();

    const res = await client.request<{ ok: boolean }>({ call: 'customers.list', path: '/customers' });

    expect(res.body.ok).toBe(true);
    expect(retries.map((r) => r.reason)).toEqual(['network']);
  });
});

describe('HttpClient: timeouts', () => {
  // A server that accepts the request and never answers: the attempt can only end by
  // its timeout, however slow the machine. (nock 15's own `.delay()` holds back only the
  // end of the body, and aborting a fetch mid-body trips an assertion inside undici under
  // nock's mock socket; the body-phase timeout is covered against a real socket in
  // http-client-stream.test.ts.)
  const silent = () => new Promise<[number, object]>(() => {});

  it('retries a timed-out attempt and then succeeds', async () => {
    nock(HOST)
      .get('/v1/customers')
      .reply(silent)
      .get('/v1/customers')
      .reply(200, { late: false });
    // Long enough that the answering retry never times out on a loaded machine.
    const { client, retries } = setup({ timeoutMs: 1_000 });

    const res = await client.request<{ late: boolean }>({ call: 'customers.list', path: '/customers' });

    expect(res.body.late).toBe(false);
    expect(retries.map((r) => r.reason)).toEqual(['timeout']);
  });

  it('reports reason "timeout" once every attempt has timed out', async () => {
    nock(HOST).get('/v1/customers').times(3).reply(silent);
    const { client, waits } = setup({ timeoutMs: 50, maxAttempts: 3 });

    const error = await failure(client.request({ call: 'customers.list', path: '/customers' }));

    expect(error).toMatchObject({ reason: 'timeout', attempts: 3, retryable: true, status: undefined });
    expect(error.message).toBe('partner-center customers.list failed: timed out after 3 attempts');
    expect(waits).toHaveLength(2);
  });
});

describe('HttpClient: authentication', () => {
  it('raises VendorAuthError on 401 without retrying', async () => {
    nock(HOST).get('/v1/customers').reply(401, { error: 'invalid_token' });
    const untouched = nock(HOST).get('/v1/customers').reply(200, {});
    const { client } = setup();

    const error = await failure(client.request({ call: 'customers.list', path: '/customers' }));

    expect(error).toBeInstanceOf(VendorAuthError);
    expect(error).toMatchObject({ reason: 'auth', status: 401, attempts: 1, retryable: false });
    expect(untouched.isDone()).toBe(false);
  });

  it('raises VendorAuthError on 403', async () => {
    nock(HOST).get('/v1/customers/abc/subscriptions').reply(403, { code: 403 });
    const { client } = setup();

    const error = await failure(client.request({ call: 'subscriptions.list', path: '/customers/abc/subscriptions' }));

    expect(error).toBeInstanceOf(VendorAuthError);
    expect(error.message).toBe('partner-center subscriptions.list failed: HTTP 403 after 1 attempt');
  });

  it('on a 401 asks onUnauthorized for a fresh token once and retries with it', async () => {
    let token = 'stale';
    let refreshed = 0;
    nock(HOST)
      .get('/v1/customers')
      .matchHeader('authorization', 'Bearer stale')
      .reply(401)
      .get('/v1/customers')
      .matchHeader('authorization', 'Bearer fresh')
      .reply(200, { ok: true });
    const { client, waits } = setup({
      headers: () => ({ authorization: `Bearer ${token}` }),
      onUnauthorized: () => {
        refreshed++;
        token = 'fresh';
      },
    });

    const res = await client.request<{ ok: boolean }>({ call: 'customers.list', path: '/customers' });

    expect(res.body.ok).toBe(true);
    expect(refreshed).toBe(1);
    expect(waits).toEqual([]);
  });

  it('gives up with VendorAuthError when the fresh token is refused too', async () => {
    nock(HOST).get('/v1/customers').times(2).reply(401);
    let refreshed = 0;
    const { client } = setup({ headers: async () => ({ authorization: 'Bearer x' }), onUnauthorized: async () => void refreshed++ });

    const error = await failure(client.request({ call: 'customers.list', path: '/customers' }));

    expect(error).toBeInstanceOf(VendorAuthError);
    expect(error.attempts).toBe(2);
    expect(refreshed).toBe(1);
  });
});

describe('HttpClient: responses', () => {
  it('rejects malformed JSON as invalid_response, without retrying', async () => {
    nock(HOST).get('/v1/customers').reply(200, '{"items": [', { 'Content-Type': 'application/json' });
    const { client } = setup();

    const error = await failure(client.request({ call: 'customers.list', path: '/customers' }));

    expect(error).toMatchObject({ reason: 'invalid_response', status: 200, attempts: 1, retryable: false });
    expect(error.bodyExcerpt).toBe('{"items": [');
  });

  it('rejects an HTML page where JSON was expected', async () => {
    nock(HOST).get('/v1/customers').reply(200, '<html>Sign in</html>', { 'Content-Type': 'text/html' });
    const { client } = setup();

    const error = await failure(client.request({ call: 'customers.list', path: '/customers' }));

    expect(error.reason).toBe('invalid_response');
  });

  it('parses JSON that starts with a byte-order mark', async () => {
    nock(HOST).get('/v1/customers').reply(200, '\uFEFF{"totalCount":0}', { 'Content-Type': 'application/json; charset=utf-8' });
    const { client } = setup();

    const res = await client.request<{ totalCount: number }>({ call: 'customers.list', path: '/customers' });

    expect(res.body.totalCount).toBe(0);
  });

  it('treats an unexpected 2xx as invalid_response when expectedStatus is given', async () => {
    nock(HOST).post('/v1/export').reply(200, {});
    const { client } = setup();

    const error = await failure(client.request({ call: 'usage.export', method: 'POST', path: '/export', body: {}, expectedStatus: 202 }));

    expect(error).toMatchObject({ reason: 'invalid_response', status: 200, retryable: false });
  });

  it('sends JSON and form bodies with their content types', async () => {
    nock(HOST)
      .post('/v1/export', { invoiceId: 'G1' })
      .matchHeader('content-type', 'application/json')
      .reply(202, '', { Location: `${HOST}/v1/operations/op1` })
      .post('/tenant/oauth2/token', 'grant_type=client_credentials&client_id=app')
      .matchHeader('content-type', 'application/x-www-form-urlencoded')
      .reply(200, { access_token: 't' });
    const { client } = setup();

    const accepted = await client.request({ call: 'usage.export', method: 'POST', path: '/export', body: { invoiceId: 'G1' }, expectedStatus: 202 });
    const token = await client.request<{ access_token: string }>({
      call: 'token',
      method: 'POST',
      url: `${HOST}/tenant/oauth2/token`,
      form: { grant_type: 'client_credentials', client_id: 'app' },
    });

    expect(accepted.status).toBe(202);
    expect(accepted.headers.get('location')).toBe(`${HOST}/v1/operations/op1`);
    expect(accepted.body).toBeUndefined();
    expect(token.body.access_token).toBe('t');
  });

  it('follows an absolute URL and merges query parameters', async () => {
    nock('https://other.test').get('/v1/customers').query({ size: '40', seekOperation: 'Next' }).reply(200, { page: 2 });
    const { client } = setup();

    const res = await client.request<{ page: number }>({
      call: 'customers.list',
      url: 'https://other.test/v1/customers?size=40',
      query: { seekOperation: 'Next', skipped: undefined },
    });

    expect(res.body.page).toBe(2);
  });

  it('returns text, buffers and streams', async () => {
    nock(HOST).get('/v1/a').reply(200, 'plain').get('/v1/b').reply(200, Buffer.from([1, 2, 3])).get('/v1/c').reply(200, 'streamed body');
    const { client } = setup();

    const text = await client.request({ call: 'a', path: '/a', responseType: 'text' });
    const buffer = await client.request({ call: 'b', path: '/b', responseType: 'buffer' });
    const stream = await client.request({ call: 'c', path: '/c', responseType: 'stream' });
    const chunks: Buffer[] = [];
    for await (const chunk of stream.body) chunks.push(Buffer.from(chunk as Uint8Array));

    expect(text.body).toBe('plain');
    expect([...buffer.body]).toEqual([1, 2, 3]);
    expect(Buffer.concat(chunks).toString()).toBe('streamed body');
  });

  it('keeps SAS signatures and tokens out of error URLs', async () => {
    nock('https://blobs.test').get('/c/part-0.json.gz').query(true).reply(404, 'BlobNotFound');
    const { client } = setup();

    const error = await failure(
      client.request({ call: 'usage.blob', url: 'https://blobs.test/c/part-0.json.gz?sv=2021-08-06&sp=rl&sig=SECRET%3D', responseType: 'stream' }),
    );

    expect(error.url).toBe('https://blobs.test/c/part-0.json.gz?sv=2021-08-06&sp=rl&sig=REDACTED');
    expect(error.message).not.toContain('SECRET');
    expect(error).toMatchObject({ status: 404, retryable: false });
  });

  it('lets a caller abort without turning it into a retry', async () => {
    nock(HOST)
      .get('/v1/customers')
      .reply(() => new Promise<[number, object]>(() => {}));
    // Neither an answer nor the timeout can end the call first: only the abort.
    const { client, retries } = setup({ timeoutMs: 600_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('shutting down')), 20);

    await expect(client.request({ call: 'customers.list', path: '/customers', signal: controller.signal })).rejects.toThrow('shutting down');
    expect(retries).toEqual([]);
  });
});

describe('HttpClient: exact numbers', () => {
  it('returns JSON numbers as their exact text when asked, so money never passes through a double', async () => {
    nock(HOST)
      .get('/v1/invoices/G1/lineitems')
      .reply(200, '{"items":[{"effectiveUnitPrice":0.737586206896551724137931,"quantity":15,"name":"x"}]}', {
        'Content-Type': 'application/json',
      });
    const { client } = setup();

    const res = await client.request<{ items: Record<string, unknown>[] }>({ call: 'lineitems', path: '/invoices/G1/lineitems', exactNumbers: true });

    expect(res.body.items[0]).toEqual({ effectiveUnitPrice: '0.737586206896551724137931', quantity: '15', name: 'x' });
  });
});

describe('HttpClient: caller abort during a wait', () => {
  it('stops waiting out a long Retry-After as soon as the caller aborts', async () => {
    nock(HOST).get('/v1/customers').reply(429, '', { 'Retry-After': '120' });
    const controller = new AbortController();
    const { client } = setup({
      // A real clock here: the point is that the abort cuts the two-minute wait short.
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      onRetry: () => setTimeout(() => controller.abort(new Error('worker stopping')), 10),
    });
    const started = Date.now();

    await expect(client.request({ call: 'customers.list', path: '/customers', signal: controller.signal })).rejects.toThrow('worker stopping');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
