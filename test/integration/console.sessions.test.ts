import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../helpers/test-hub.ts';

// Sessions as the console uses them, through the HTTP layer: an API key exchanged for a
// cookie with the attributes OWASP's session management cheat sheet asks for, a CSRF
// token required on writes made with the cookie, sign-out, and the idle timeout.

let hub: TestHub;

beforeAll(async () => {
  hub = await createTestHub({ env: { HUB_CONSOLE_IDLE_SECONDS: '60' } });
});
afterAll(async () => {
  await hub?.close();
});

async function signIn(key: string) {
  const res = await hub.app.inject({ method: 'POST', url: '/v1/sessions', headers: hub.auth(key) });
  expect(res.statusCode, res.body).toBe(200);
  const setCookie = String(res.headers['set-cookie']);
  const cookie = setCookie.split(';')[0]!;
  return { res, setCookie, cookie, csrf: res.json().session.csrfToken as string };
}

describe('console sessions', () => {
  it('exchanges a key for an HttpOnly, SameSite=Strict cookie that is Secure only over TLS', async () => {
    const { setCookie, res } = await signIn(hub.keys.finance);
    expect(setCookie).toMatch(/^hub_session=[A-Za-z0-9_-]{40,}; /);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).not.toContain('Secure');
    expect(res.json()).toMatchObject({ key: { roles: ['finance'], customerId: null }, session: { idleTimeoutSeconds: 60 } });
    const tls = await hub.app.inject({ method: 'POST', url: '/v1/sessions', headers: { ...hub.auth(hub.keys.finance), 'x-forwarded-proto': 'https' } });
    // Without trustProxy a forwarded header proves nothing; HUB_PUBLIC_URL=https://… is how a proxied hub says it is on TLS.
    expect(String(tls.headers['set-cookie'])).not.toContain('Secure');
    const behindTls = await createTestHub({ env: { HUB_PUBLIC_URL: 'https://billing.example.com' } });
    try {
      const secure = await behindTls.app.inject({ method: 'POST', url: '/v1/sessions', headers: behindTls.auth(behindTls.keys.admin) });
      expect(String(secure.headers['set-cookie'])).toMatch(/; Secure(;|$)/);
    } finally {
      await behindTls.close();
    }
  });

  it('authenticates reads with the cookie alone, and writes only with the CSRF token', async () => {
    const { cookie, csrf } = await signIn(hub.keys.admin);
    expect((await hub.app.inject({ method: 'GET', url: '/v1/customers', headers: { cookie } })).statusCode).toBe(200);
    const noToken = await hub.app.inject({ method: 'POST', url: '/v1/customers', headers: { cookie }, payload: { name: 'Forged Ltd' } });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().detail).toContain('x-csrf-token');
    const wrong = await hub.app.inject({ method: 'POST', url: '/v1/customers', headers: { cookie, 'x-csrf-token': 'guess' }, payload: { name: 'Forged Ltd' } });
    expect(wrong.statusCode).toBe(403);
    const made = await hub.app.inject({ method: 'POST', url: '/v1/customers', headers: { cookie, 'x-csrf-token': csrf }, payload: { name: 'Real Ltd' } });
    expect(made.statusCode, made.body).toBe(201);
    const names = (await hub.ctx.db.selectFrom('customers').select('name').execute()).map((c) => c.name);
    expect(names).toContain('Real Ltd');
    expect(names).not.toContain('Forged Ltd');
  });

  it('signs out: the session is gone and its cookie cleared', async () => {
    const { cookie, csrf } = await signIn(hub.keys.auditor);
    const refused = await hub.app.inject({ method: 'DELETE', url: '/v1/sessions/current', headers: { cookie } });
    expect(refused.statusCode).toBe(403);
    const out = await hub.app.inject({ method: 'DELETE', url: '/v1/sessions/current', headers: { cookie, 'x-csrf-token': csrf } });
    expect(out.json()).toEqual({ closed: true });
    expect(String(out.headers['set-cookie'])).toMatch(/^hub_session=; .*Max-Age=0/);
    expect((await hub.app.inject({ method: 'GET', url: '/v1/sessions/current', headers: { cookie } })).statusCode).toBe(401);
  });

  it('ends a session left idle longer than HUB_CONSOLE_IDLE_SECONDS, and one whose key is revoked', async () => {
    const idle = await signIn(hub.keys.billing_ops);
    await hub.ctx.db.updateTable('console_sessions').set({ last_seen_at: new Date(Date.now() - 61_000) }).execute();
    const res = await hub.app.inject({ method: 'GET', url: '/v1/sessions/current', headers: { cookie: idle.cookie } });
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toContain('idle');

    const key = await hub.keyFor(['admin']);
    const live = await signIn(key);
    expect((await hub.app.inject({ method: 'GET', url: '/v1/sessions/current', headers: { cookie: live.cookie } })).statusCode).toBe(200);
    await hub.ctx.db.updateTable('api_keys').set({ revoked_at: new Date() }).where('prefix', '=', key.split('_')[1]!).execute();
    expect((await hub.app.inject({ method: 'GET', url: '/v1/sessions/current', headers: { cookie: live.cookie } })).statusCode).toBe(401);
  });

  it('signs in through the console form, refuses a form from another origin, and shows pages only to a session', async () => {
    expect((await hub.app.inject({ method: 'GET', url: '/console/dashboard' })).headers.location).toBe('/console/sign-in');
    const foreign = await hub.app.inject({
      method: 'POST',
      url: '/console/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example', host: 'localhost:80' },
      payload: `key=${encodeURIComponent(hub.keys.admin)}`,
    });
    expect(foreign.statusCode).toBe(403);
    expect(foreign.headers['set-cookie']).toBeUndefined();
    const bad = await hub.app.inject({ method: 'POST', url: '/console/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'key=hub_nope' });
    expect(bad.statusCode).toBe(401);
    const ok = await hub.app.inject({ method: 'POST', url: '/console/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `key=${encodeURIComponent(hub.keys.admin)}` });
    expect(ok.statusCode).toBe(303);
    const cookie = String(ok.headers['set-cookie']).split(';')[0]!;
    const dashboard = await hub.app.inject({ method: 'GET', url: '/console/dashboard', headers: { cookie } });
    expect(dashboard.statusCode, dashboard.body).toBe(200);
    expect(dashboard.headers['content-security-policy']).toContain("script-src 'self'");
    expect(dashboard.body).toContain('Open queues');
  });

  it('rejects a rate card version from the console form only with a reason, and records it', async () => {
    const card = await hub.app.inject({
      method: 'POST',
      url: '/v1/rate-cards',
      headers: hub.auth(hub.keys.admin),
      payload: { name: 'Refused card', template: true, currency: 'USD', rules: [{ match: { default: true }, basis: 'cost', markupPercent: '90' }] },
    });
    expect(card.statusCode, card.body).toBe(201);
    const { cookie, csrf } = await signIn(hub.keys.finance);
    const form = { 'content-type': 'application/x-www-form-urlencoded', cookie };
    const url = `/console/rate-cards/${card.json().id}/versions/1/reject`;
    const blank = await hub.app.inject({ method: 'POST', url, headers: form, payload: `_csrf=${csrf}&reason=+` });
    expect(blank.statusCode).toBe(400);
    expect(blank.body).toContain('reason: must say why');
    const done = await hub.app.inject({ method: 'POST', url, headers: form, payload: `_csrf=${csrf}&reason=${encodeURIComponent('Margin far above policy')}` });
    expect(done.statusCode, done.body).toBe(303);
    const page = await hub.app.inject({ method: 'GET', url: done.headers.location as string, headers: { cookie } });
    expect(page.body).toContain('Status: <strong>rejected</strong>');
    expect(page.body).toContain('reject as finance by key:');
    expect(page.body).toContain('Margin far above policy');
  });
});
